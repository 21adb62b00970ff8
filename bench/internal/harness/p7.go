package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// p7 runs vet's own benchmark (go test ./vet -bench Vet: 1,000 queries over
// 50 tables and ~100,000 lines of Go) once and reports its parts. Its
// project setup takes over a minute, so -short leaves it out.
func (h *harness) p7(ctx context.Context) error {
	if h.o.Short {
		h.add(Row{Scenario: "P7", Variant: "tenantc vet", Note: "not run with -short (vet's benchmark setup takes ~100 s); run without -short or -only P7"})
		return nil
	}
	cmd := exec.CommandContext(ctx, "go", "test", "./vet", "-run", "^$", "-bench", "^BenchmarkVet$", "-benchtime", "1x", "-count", "1")
	cmd.Dir = h.o.Repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go test ./vet -bench Vet: %w\n%s", err, out)
	}
	s := bufio.NewScanner(bytes.NewReader(out))
	found := false
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkVet/") || f[3] != "ns/op" {
			continue
		}
		ns, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			continue
		}
		part := strings.TrimPrefix(f[0], "BenchmarkVet/")
		if i := strings.LastIndexByte(part, '-'); i > 0 {
			part = part[:i]
		}
		found = true
		h.add(Row{Scenario: "P7", Variant: "tenantc vet " + part, Value: ns / 1e6, Unit: "ms",
			Note: "1,000 queries, 50 tables, ~100,000 lines of Go (vet's BenchmarkVet, 1 run)"})
	}
	if !found {
		return fmt.Errorf("no BenchmarkVet results in:\n%s", out)
	}
	return nil
}
