package unscoped

import (
	"go/ast"
	"strings"
	"testing"
)

// TestSitePanic checks that a panic while following a site's text becomes
// a dynamic-sql warning at the site instead of failing the run.
func TestSitePanic(t *testing.T) {
	fc := &fileChecker{} // no package: evaluating anything panics
	got := fc.site(site{arg: ast.NewIdent("q")})
	if len(got) != 1 || got[0].rule != RuleDynamic || !strings.Contains(got[0].msg, "could not follow this SQL") {
		t.Errorf("site = %+v, want one dynamic-sql warning", got)
	}
}
