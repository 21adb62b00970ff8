package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Size of P6's project.
const (
	p6Tables  = 200
	p6Queries = 1000
)

// writeGenProject writes a project of p6Tables tables (every other one a
// tenant table) and p6Queries queries, with a tenantc.yaml and a sqlc.yaml
// reading the same files, into dir.
func writeGenProject(dir string) error {
	var s strings.Builder
	for i := range p6Tables {
		scope := "shared"
		if i%2 == 0 {
			scope = "tenant"
		}
		fmt.Fprintf(&s, "-- tenantc:%s\nCREATE TABLE t%03d (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n    n integer NOT NULL,\n    note text,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n\n", scope, i)
	}
	files := map[string]string{
		"schema/schema.sql": s.String(),
		"tenantc.yaml":      "version: \"1\"\nschema: [schema]\nqueries: [queries]\ngen: {package: db, out: tenantcdb}\n",
		"sqlc.yaml": `version: "2"
sql:
  - engine: postgresql
    schema: schema
    queries: queries
    gen:
      go:
        package: db
        out: sqlcdb
        sql_package: pgx/v5
`,
	}
	const perFile = 100
	for f := range p6Queries / perFile {
		var q strings.Builder
		for i := f * perFile; i < (f+1)*perFile; i++ {
			t := i % p6Tables
			switch i % 4 {
			case 0:
				fmt.Fprintf(&q, "-- name: Get%d :one\nSELECT id, name, n, note, created_at FROM t%03d WHERE id = $1;\n\n", i, t)
			case 1:
				fmt.Fprintf(&q, "-- name: List%d :many\nSELECT id, name FROM t%03d WHERE n > $1 ORDER BY id LIMIT $2;\n\n", i, t)
			case 2:
				fmt.Fprintf(&q, "-- name: Insert%d :one\nINSERT INTO t%03d (name, n, note) VALUES ($1, $2, $3) RETURNING id;\n\n", i, t)
			default:
				fmt.Fprintf(&q, "-- name: Join%d :many\nSELECT a.id, a.name, b.name AS other FROM t%03d a JOIN t%03d b ON b.id = a.n WHERE a.id = $1;\n\n", i, t, (t+1)%p6Tables|1)
			}
		}
		files[fmt.Sprintf("queries/q%02d.sql", f)] = q.String()
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// timeCmd runs bin with args in dir and returns how long it took.
func timeCmd(ctx context.Context, dir, bin string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	return d, nil
}

// buildTenantc builds cmd/tenantc from the module at h.o.Repo into dir.
func (h *harness) buildTenantc(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "tenantc")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tenantc")
	cmd.Dir = h.o.Repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build tenantc (run from the module root, or pass -repo): %w\n%s", err, out)
	}
	return bin, nil
}

// p6 times `tenantc generate` against `sqlc generate` (sqlc's own Go
// generator, embedded in tenantc as `tenantc __sqlc`) on one project, and a
// second, no-op `tenantc generate`.
func (h *harness) p6(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "tenantc-bench-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := h.buildTenantc(ctx, dir)
	if err != nil {
		return err
	}
	proj := filepath.Join(dir, "project")
	if err := writeGenProject(proj); err != nil {
		return err
	}
	// One untimed run first: a new tenantc binary hashes itself once for
	// the generate cache (remembered by size and time), a one-off cost per
	// install that would otherwise land in the first timed run.
	if _, err := timeCmd(ctx, proj, bin, "generate", "-f", "tenantc.yaml"); err != nil {
		return err
	}
	runs := 3
	if h.o.Short {
		runs = 1
	}
	var tcs, sqs, noops []time.Duration
	for range runs {
		for _, out := range []string{"tenantcdb", "sqlcdb"} {
			if err := os.RemoveAll(filepath.Join(proj, out)); err != nil {
				return err
			}
		}
		tc, err := timeCmd(ctx, proj, bin, "generate", "-f", "tenantc.yaml")
		if err != nil {
			return err
		}
		sq, err := timeCmd(ctx, proj, bin, "__sqlc", "generate", "-f", "sqlc.yaml")
		if err != nil {
			return err
		}
		noop, err := timeCmd(ctx, proj, bin, "generate", "-f", "tenantc.yaml")
		if err != nil {
			return err
		}
		tcs, sqs, noops = append(tcs, tc), append(sqs, sq), append(noops, noop)
	}
	note := fmt.Sprintf("%d tables, %d queries; median of %d", p6Tables, p6Queries, runs)
	h.add(Row{Scenario: "P6", Variant: "tenantc generate", Value: ms(median(tcs)), Unit: "ms",
		Baseline: ms(median(sqs)), BaselineName: "sqlc generate", Target: 1.5, Note: note})
	h.add(Row{Scenario: "P6", Variant: "tenantc generate, no-op (output current)", Value: ms(median(noops)), Unit: "ms",
		Baseline: 200, BaselineName: "limit", Target: 1, Note: note})
	return nil
}
