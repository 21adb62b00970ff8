package tenancy_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRuntimeDoesNotImportTesting checks that an application linking tenancy
// does not link package testing (and its flags): test helpers live in
// tenanttest.
func TestRuntimeDoesNotImportTesting(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.CommandContext(t.Context(), goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testing" || strings.HasPrefix(dep, "testing/") {
			t.Errorf("tenancy imports %s", dep)
		}
	}
}
