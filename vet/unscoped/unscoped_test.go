package unscoped_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/tenantc/tenantc/vet/unscoped"
)

func TestAnalyzer(t *testing.T) {
	dir := analysistest.TestData()
	a := unscoped.New()
	if err := a.Flags.Set("config", filepath.Join(dir, "tenantc.yaml")); err != nil {
		t.Fatal(err)
	}
	analysistest.Run(t, dir, a, "a", "github.com/tenantc/tenantc/tenancy")
}
