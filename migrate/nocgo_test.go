package migrate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantc/tenantc/internal/pgtest"
)

// runtimePackages are what an application links at run time: the example
// app, the tenancy runtime and its test helpers, and this package.
var runtimePackages = []string{"./examples/shop", "./tenancy/...", "./migrate"}

// goCmd runs the go command at the module root with cgo disabled, as a
// static container image is built.
func goCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.CommandContext(t.Context(), goBin, args...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}

// TestRuntimeBuildsWithoutCgo builds the runtime with CGO_ENABLED=0, checks
// that the packages an app imports link neither pg_query (cgo), sqlc nor
// the throwaway-server launcher, and runs the example's self-test built
// that way. Diff, lint and drift live in migrate/migratedev, which the CLI
// links.
func TestRuntimeBuildsWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example")
	}
	if out, err := goCmd(t, append([]string{"build"}, runtimePackages...)...).CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build %s: %v\n%s", strings.Join(runtimePackages, " "), err, out)
	}
	out, err := goCmd(t, "list", "-deps", "./migrate", "./tenancy").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/pganalyze/pg_query_go", "github.com/sqlc-dev/sqlc", "github.com/tenantc/tenantc/internal/pgserver", "github.com/tenantc/tenantc/schema", "github.com/tenantc/tenantc/migrate/migratedev"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("the runtime links %s", dep)
			}
		}
	}

	shop := filepath.Join(t.TempDir(), "shop")
	if out, err := goCmd(t, "build", "-o", shop, "./examples/shop").CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./examples/shop: %v\n%s", err, out)
	}
	db := pgtest.New(t)
	cmd := exec.CommandContext(t.Context(), shop, "-selftest", "-url", db.URL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("shop -selftest built without cgo: %v\n%s", err, out)
	}
}
