package generator

import (
	"bytes"
	"context"
	"flag"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) {
	if os.Getenv(queries.EngineEnv) == "1" {
		os.Exit(queries.EngineMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// generate runs the whole pipeline on one golden case, as tenantc generate
// does: config, schema, queries, generator. Warnings come back as lines
// for stderr.txt.
func generate(t *testing.T, dir string) (map[string][]byte, string, error) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(configPath(dir))
	if err != nil {
		return nil, "", err
	}
	cat, err := schema.Load(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	res, err := queries.Analyze(ctx, cfg, cat, queries.WithEngine(queries.TestEngine()))
	if err != nil {
		return nil, "", err
	}
	var warnings strings.Builder
	files, err := Generate(ctx, cat, res, cfg, WithWarnings(func(e *position.Error) {
		warnings.WriteString(e.Error() + "\n")
	}))
	return files, warnings.String(), err
}

// configPath is a golden case's config: tenantc.yaml, or a sqlc config
// that tenantc reads in its place.
func configPath(dir string) string {
	for _, name := range []string{config.FileName, "sqlc.yaml", "sqlc.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
	}
	return ""
}

// cases are the golden case directories: every directory of testdata with
// a tenantc.yaml or a sqlc config.
func cases(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if configPath(filepath.Join("testdata", e.Name())) != "" {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no golden cases in testdata")
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			files, stderr, err := generate(t, dir)
			if err != nil {
				stderr += err.Error() + "\n"
			}
			if *update {
				writeGolden(t, dir, files, stderr)
				return
			}
			want, wantStderr := readGolden(t, dir)
			if diff := cmp.Diff(wantStderr, stderr); diff != "" {
				t.Errorf("stderr.txt mismatch (-want +got):\n%s", diff)
			}
			var got map[string]string
			for name, src := range files {
				if got == nil {
					got = map[string]string{}
				}
				if formatted, err := format.Source(src); err != nil || !bytes.Equal(formatted, src) {
					t.Errorf("%s is not gofmt'd (%v)", name, err)
				}
				got[name] = string(src)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("go/ mismatch (-want +got); run go test ./generator -update:\n%s", diff)
			}
		})
	}
}

func readGolden(t *testing.T, dir string) (map[string]string, string) {
	t.Helper()
	files := map[string]string{}
	ents, err := os.ReadDir(filepath.Join(dir, "go"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, "go", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	if len(files) == 0 {
		files = nil
	}
	stderr, err := os.ReadFile(filepath.Join(dir, "stderr.txt"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return files, string(stderr)
}

func writeGolden(t *testing.T, dir string, files map[string][]byte, stderr string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, "go")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "stderr.txt"))
	if stderr != "" {
		if err := os.WriteFile(filepath.Join(dir, "stderr.txt"), []byte(stderr), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(files) == 0 {
		return
	}
	if err := os.MkdirAll(filepath.Join(dir, "go"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, "go", name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeterministic generates every case twice and expects the same bytes.
func TestDeterministic(t *testing.T) {
	for _, name := range cases(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			a, _, errA := generate(t, dir)
			b, _, errB := generate(t, dir)
			if (errA == nil) != (errB == nil) || errA != nil && errA.Error() != errB.Error() {
				t.Fatalf("errors differ: %v / %v", errA, errB)
			}
			if len(a) != len(b) {
				t.Fatalf("file sets differ: %v / %v", keys(a), keys(b))
			}
			for name := range a {
				if !bytes.Equal(a[name], b[name]) {
					t.Errorf("%s differs between runs", name)
				}
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// goTool runs the go command in dir, the golden module's. It may fetch
// modules: the golden module needs one the main module does not
// (pgvector-go, for the pgvector types), which a fresh module cache lacks,
// and go.sum pins it.
func goTool(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestGoldenCompiles builds and vets the golden packages, so that the
// expected output is code that compiles against pgx and tenancy.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every golden package")
	}
	if out, err := goTool(t, "testdata", "build", "./..."); err != nil {
		t.Fatalf("go build in testdata: %v\n%s", err, out)
	}
	if out, err := goTool(t, "testdata", "vet", "./..."); err != nil {
		t.Fatalf("go vet in testdata: %v\n%s", err, out)
	}
	// testdata/usage runs the generated code without a database: the
	// unbound paths must return tenancy.ErrUnbound.
	if out, err := goTool(t, "testdata", "test", "-count=1", "./..."); err != nil {
		t.Fatalf("go test in testdata: %v\n%s", err, out)
	}
}

// TestMisuseDoesNotCompile checks the compile-time half of the contract:
// a pool is not a tenant connection, a tenant query is not a method of
// Queries, and tenancy's values cannot be forged with a struct literal.
func TestMisuseDoesNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	// The package lives inside the golden module so that it resolves the
	// same dependencies; the leading underscore keeps it out of ./... .
	dir, err := os.MkdirTemp("testdata", "_misuse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	src := `package misuse

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	db "github.com/tenantc/tenantc/generator/testdata/commands/go"
	"github.com/tenantc/tenantc/tenancy"
)

func poolAsConn(pool *pgxpool.Pool) { _ = db.NewTenant(pool) }

func tenantOnShared(ctx context.Context, pool *pgxpool.Pool) { _, _ = db.New(pool).GetTicket(ctx, 1) }

func forgeConn(pool *pgxpool.Pool) { _ = tenancy.Conn{db: pool} }

func forgeTenant() { _ = tenancy.Tenant{id: "acme", schema: "tenant_acme"} }
`
	if err := os.WriteFile(filepath.Join(dir, "misuse.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := goTool(t, "testdata", "build", "-gcflags=-e", "./"+filepath.Base(dir))
	if err == nil {
		t.Fatal("misuse compiled")
	}
	for _, want := range []string{
		"cannot use pool (variable of type *pgxpool.Pool) as tenancy.Conn value in argument to db.NewTenant",
		"db.New(pool).GetTicket undefined (type *db.Queries has no field or method GetTicket)",
		"cannot refer to unexported field db in struct literal of type tenancy.Conn",
		"cannot refer to unexported field id in struct literal of type tenancy.Tenant",
		"cannot refer to unexported field schema in struct literal of type tenancy.Tenant",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("compiler output lacks %q:\n%s", want, out)
		}
	}
}

// TestUsageLoadsEveryCase checks that testdata/usage imports every golden
// package, so that go test there loads each one.
func TestUsageLoadsEveryCase(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "usage", "load_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range cases(t) {
		if _, err := os.Stat(filepath.Join("testdata", name, "go")); err != nil {
			continue // an error case
		}
		imp := `_ "github.com/tenantc/tenantc/generator/testdata/` + name + `/go"`
		if !strings.Contains(string(src), imp) {
			t.Errorf("testdata/usage/load_test.go does not import %s", name)
		}
	}
}
