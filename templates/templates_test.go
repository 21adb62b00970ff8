package templates

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInit(t *testing.T) {
	files, err := Init(InitData{Package: "store"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"internal/store/generate.go", "queries/queries.sql", "schema/schema.sql", "tenantc.yaml"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	gen := string(files["internal/store/generate.go"])
	for _, s := range []string{
		"package store\n",
		"\n//go:generate go run github.com/tenantc/tenantc/cmd/tenantc generate -f ../../tenantc.yaml\n",
	} {
		if !strings.Contains(gen, s) {
			t.Errorf("generate.go does not contain %q:\n%s", s, gen)
		}
	}
	cfg := string(files["tenantc.yaml"])
	for _, s := range []string{"  package: store\n", "  out: internal/store\n"} {
		if !strings.Contains(cfg, s) {
			t.Errorf("tenantc.yaml does not contain %q", s)
		}
	}
}

func TestInitBadPackage(t *testing.T) {
	for _, pkg := range []string{"", "my-db", "1db", "a/b"} {
		if _, err := Init(InitData{Package: pkg}); err == nil {
			t.Errorf("Init(%q) succeeded, want an error", pkg)
		}
	}
}
