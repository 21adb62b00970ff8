package migrate

import (
	"os/exec"
	"strings"
	"testing"
)

// TestMisplacedOptionsDoNotCompile builds the packages of
// testdata/options: valid passes every option to the operations it
// concerns and compiles; each other passes one option to an operation
// that does not take it, which must be a compile error naming the
// operation's option type.
func TestMisplacedOptionsDoNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	tests := []struct {
		name string
		want string // in the compiler's message; "" compiles
	}{
		{"valid", ""},
		{"diff_to_apply", `migratedev.DiffOption does not implement "github.com/tenantc/tenantc/migrate".ApplyOption`},
		{"apply_to_status", `as "github.com/tenantc/tenantc/migrate".StatusOption value in argument to migrate.Status`},
		{"schema_to_drop", `as "github.com/tenantc/tenantc/migrate".DropOption value in argument to migrate.DropTenant`},
		{"registry_to_rename", `as "github.com/tenantc/tenantc/migrate".RenameOption value in argument to migrate.RenameTenant`},
		{"tenants_to_create", `as "github.com/tenantc/tenantc/migrate".CreateOption value in argument to migrate.CreateTenant`},
		{"lint_to_diff", `as migratedev.DiffOption value in argument to migratedev.Diff`},
		{"fs_to_diff", `as migratedev.DiffOption value in argument to migratedev.Diff`},
		{"tenants_to_lint", `as migratedev.LintOption value in argument to migratedev.Lint`},
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), goBin, "build", "./testdata/options/"+tt.name)
			out, err := cmd.CombinedOutput()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("does not compile: %v\n%s", err, out)
			case tt.want != "" && err == nil:
				t.Fatal("compiles")
			case tt.want != "" && !strings.Contains(string(out), tt.want):
				t.Errorf("compile error lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
