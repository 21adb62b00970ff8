package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tenantc/tenantc/internal/pgserver"
)

// The server's ceiling: pgbench, PostgreSQL's C client, runs the point
// select with the clients of the Go scenarios, so that what the server
// itself does for one tenant and for a fleet is measured without Go,
// pgx or tenantc in the way. A fleet's statements cannot be prepared by
// pgbench (its prepared mode keeps one text per script), so the fleet runs
// in the simple protocol with the schema written into the text, as
// tenantc writes it, and one tenant runs prepared, the best the server
// does.

// pgbenchScript returns the script of the point select over the first n
// fleet tenants: each client first visits every tenant in turn, so that
// its backend's catalog caches hold all of them (the warming the Go
// scenarios do), then picks one at random per call. The schema name is
// fleetID's, built from its five digits, since pgbench's variables are
// integers.
func pgbenchScript(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `\if :k < %[1]d
\set t :k
\else
\set t random(0, %[1]d - 1)
\endif
\set k :k + 1
`, n)
	for i, div := range []int{10000, 1000, 100, 10, 1} {
		fmt.Fprintf(&b, "\\set d%d (:t / %d) %% 10\n", i, div)
	}
	fmt.Fprintf(&b, "\\set id random(1, %d)\n", fleetItems)
	b.WriteString("SELECT id, plan_id, name, qty, note FROM tenant_t:d0:d1:d2:d3:d4.items WHERE id = :id;\n")
	return b.String()
}

// pgbenchOneTenant is the point select on fleet tenant 0 only.
func pgbenchOneTenant() string {
	return fmt.Sprintf("\\set id random(1, %d)\nSELECT id, plan_id, name, qty, note FROM tenant_%s.items WHERE id = :id;\n",
		fleetItems, fleetID(0))
}

// progressLine is a line of pgbench's -P output.
var progressLine = regexp.MustCompile(`(?m)^progress: ([0-9.]+) s, ([0-9.]+) tps`)

// steadyTPS returns the mean rate of pgbench's progress lines after from
// seconds.
func steadyTPS(progress string, from float64) (float64, error) {
	var sum float64
	var n int
	for _, m := range progressLine.FindAllStringSubmatch(progress, -1) {
		at, _ := strconv.ParseFloat(m[1], 64)
		tps, _ := strconv.ParseFloat(m[2], 64)
		if at > from {
			sum += tps
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("no pgbench progress after %.0f s", from)
	}
	return sum / float64(n), nil
}

// pgbench runs script with the harness's clients for warm then d seconds
// (whole seconds) in mode ("simple" or "prepared") on the fleet, and
// returns the rate of the last d seconds.
func (h *harness) pgbench(ctx context.Context, script, mode string, warm, d int) (float64, error) {
	bin, err := pgserver.BinDir()
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "tenantc-pgbench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "select.sql")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pgbench"), "-n", "-M", mode,
		"-c", strconv.Itoa(h.o.Clients), "-j", "2", "-T", strconv.Itoa(warm+d), "-P", "1",
		"-D", "k=0", "-f", f, h.fleetURL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, firstLine(out.String()))
	}
	return steadyTPS(out.String(), float64(warm))
}

// ceiling adds P2's pgbench rows: one tenant prepared and in the simple
// protocol, and the fleet in the simple protocol — the server's own ratio.
func (h *harness) ceiling(ctx context.Context) error {
	d := max(1, int(h.o.Duration.Round(time.Second)/time.Second))
	one, err := h.pgbench(ctx, pgbenchOneTenant(), "prepared", 2, d)
	if err != nil {
		return fmt.Errorf("pgbench one tenant: %w", err)
	}
	oneSimple, err := h.pgbench(ctx, pgbenchOneTenant(), "simple", 2, d)
	if err != nil {
		return fmt.Errorf("pgbench one tenant: %w", err)
	}
	n := len(h.tenants)
	// Every client visits every tenant first; a backend loads a tenant's
	// catalog entries at about a thousand per second when eight share two
	// cores.
	warm := max(2, n/500)
	fleet, err := h.pgbench(ctx, pgbenchScript(n), "simple", warm, d)
	if err != nil {
		return fmt.Errorf("pgbench fleet: %w", err)
	}
	note := fmt.Sprintf("pgbench -c %d -j 2, C client; rate of the last %d s after %d s of warming", h.o.Clients, d, warm)
	h.add(Row{Scenario: "P2", Variant: "server ceiling: pgbench, 1 tenant, prepared", Value: one, Unit: "ops/s", Note: note})
	h.add(Row{Scenario: "P2", Variant: "server ceiling: pgbench, 1 tenant, simple protocol", Value: oneSimple, Unit: "ops/s",
		Baseline: one, BaselineName: "pgbench 1 tenant", Note: note})
	h.add(Row{Scenario: "P2", Variant: fmt.Sprintf("server ceiling: pgbench, %d tenants, simple protocol, schema in the text", n),
		Value: fleet, Unit: "ops/s", Baseline: one, BaselineName: "pgbench 1 tenant", Note: note})
	return nil
}
