package vet_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/generator"
	"github.com/tenantc/tenantc/internal/fsout"
	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
	"github.com/tenantc/tenantc/vet"
)

func TestMain(m *testing.M) {
	// The staleness check runs the sqlc engine by re-executing this
	// binary.
	if os.Getenv(queries.EngineEnv) == "1" {
		os.Exit(queries.EngineMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// Size of the benchmark project: tables, queries, and Go lines.
const (
	benchTables   = 50
	benchQueries  = 1000
	benchPackages = 20
	benchFiles    = 10 // per package
	benchFuncs    = 45 // per file, 11 lines each: ~100,000 lines in all
)

// benchProject writes a module with benchQueries queries over benchTables
// tables (every other one a tenant table) and about 100,000 lines of Go
// that run SQL through database/sql, and returns its config path.
func benchProject(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	write := func(name, src string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("go.mod", "module example.com/big\n\ngo 1.26\n")
	write("tenantc.yaml", "version: \"1\"\ngen: {package: db, out: gen/db}\n")
	var s strings.Builder
	for i := range benchTables {
		scope := "shared"
		if i%2 == 0 {
			scope = "tenant"
		}
		fmt.Fprintf(&s, "-- tenantc:%s\nCREATE TABLE t%d (id bigint PRIMARY KEY, name text NOT NULL, n int NOT NULL);\n\n", scope, i)
	}
	write("schema/schema.sql", s.String())
	for f := range 10 {
		var q strings.Builder
		for i := f * benchQueries / 10; i < (f+1)*benchQueries/10; i++ {
			fmt.Fprintf(&q, "-- name: Query%d :many\nSELECT id, name FROM t%d WHERE n = $1;\n\n", i, i%benchTables)
		}
		write(fmt.Sprintf("queries/q%d.sql", f), q.String())
	}
	lines := 0
	for p := range benchPackages {
		for f := range benchFiles {
			var g strings.Builder
			fmt.Fprintf(&g, "package p%d\n\nimport (\n\t\"context\"\n\t\"database/sql\"\n)\n\n", p)
			for fn := range benchFuncs {
				table := (p*benchFiles*benchFuncs + f*benchFuncs + fn) % benchTables
				if table%2 == 0 {
					table++ // shared: the clean case is the common one
				}
				fmt.Fprintf(&g, `func F%d_%d(ctx context.Context, db *sql.DB, id int64) (string, error) {
	var name string
	q := "SELECT name FROM t%d WHERE id = $1"
	if id < 0 {
		q += " LIMIT 1"
	}
	err := db.QueryRowContext(ctx, q, id).Scan(&name)
	return name, err
}

`, f, fn, table)
			}
			lines += strings.Count(g.String(), "\n")
			write(fmt.Sprintf("app/p%d/f%d.go", p, f), g.String())
		}
	}
	b.Logf("%d queries, %d lines of Go", benchQueries, lines)
	return filepath.Join(dir, "tenantc.yaml")
}

// stale is the generate pipeline compared with gen.out, as tenantc vet
// runs it.
func stale(ctx context.Context, cfg *config.Config) ([]string, error) {
	files, err := generate(ctx, cfg)
	if err != nil {
		return nil, err
	}
	changes, err := fsout.Changes(cfg.Abs(cfg.Gen.Out), "// "+generator.Header, files)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range changes {
		names = append(names, c.Name)
	}
	return names, nil
}

func generate(ctx context.Context, cfg *config.Config) (map[string][]byte, error) {
	cat, err := schema.Load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res, err := queries.Analyze(ctx, cfg, cat, queries.WithEngine(queries.TestEngine()))
	if err != nil {
		return nil, err
	}
	return generator.Generate(ctx, cat, res, cfg)
}

// BenchmarkVet runs every check of tenantc vet on the benchmark project:
// part=all is what the command does; sql and go are its two halves.
//
//	go test ./vet -run '^$' -bench Vet -benchtime 3x
func BenchmarkVet(b *testing.B) {
	ctx := context.Background()
	cfg, err := config.Load(benchProject(b))
	if err != nil {
		b.Fatal(err)
	}
	files, err := generate(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := fsout.Write(cfg.Abs(cfg.Gen.Out), "// "+generator.Header, files); err != nil {
		b.Fatal(err)
	}
	cat, err := schema.Load(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	// Warm the build cache: go/packages reads dependencies' export data,
	// which the first run compiles.
	if _, err := vet.CheckGo(ctx, cfg, cat, cfg.Dir, []string{"./app/..."}); err != nil {
		b.Fatal(err)
	}
	check := func(b *testing.B, opts vet.Options) {
		b.ReportAllocs()
		for b.Loop() {
			findings, err := vet.Run(ctx, cfg, opts)
			if err != nil {
				b.Fatal(err)
			}
			if len(findings) != 0 {
				b.Fatalf("%d findings, want none; first: %s", len(findings), findings[0])
			}
		}
	}
	b.Run("part=all", func(b *testing.B) {
		check(b, vet.Options{Packages: []string{"./app/..."}, Dir: cfg.Dir, Stale: stale})
	})
	b.Run("part=sql", func(b *testing.B) {
		check(b, vet.Options{Stale: stale})
	})
	b.Run("part=go", func(b *testing.B) {
		check(b, vet.Options{Packages: []string{"./app/..."}, Dir: cfg.Dir})
	})
}
