package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoSQLCEngine checks that tenantc-vet, and so the unscoped analyzer,
// does not link the sqlc engine: go vet builds the vet tool in users' CI,
// and sqlc's tree is hundreds of packages. Names and references come from
// internal/sqlref, which needs pg_query alone.
func TestNoSQLCEngine(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".", "github.com/tenantc/tenantc/vet/unscoped").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, p := range deps {
		if strings.HasPrefix(p, "github.com/sqlc-dev/sqlc") || p == "github.com/tenantc/tenantc/queries" {
			t.Errorf("tenantc-vet depends on %s", p)
		}
	}
	t.Logf("%d packages", len(deps))
}
