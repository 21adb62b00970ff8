package tenanttest

import (
	"path/filepath"
	"testing"
)

func TestLoadConfigFindsNearest(t *testing.T) {
	want, err := filepath.Abs("testdata/app/tenantc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("testdata/app/schema")
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != want || cfg.TenantSchema != "t_{id}" {
		t.Errorf("loaded %s (tenant_schema %q), want %s", cfg.Path, cfg.TenantSchema, want)
	}
	t.Chdir(t.TempDir())
	if _, err := loadConfig(""); err == nil {
		t.Error("loadConfig found a tenantc.yaml above an empty temporary directory")
	}
}
