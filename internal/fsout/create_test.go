package fsout

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{"tenantc.yaml": []byte("version: \"1\"\n"), "schema/schema.sql": []byte("-- s\n")}
	got, err := Create(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "schema", "schema.sql"), filepath.Join(dir, "tenantc.yaml")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	for name, src := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != string(src) {
			t.Errorf("%s = %q, %v; want %q", name, b, err, src)
		}
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tenantc.yaml"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Create(dir, map[string][]byte{"tenantc.yaml": []byte("new\n"), "schema/schema.sql": []byte("-- s\n")})
	var exist *ExistError
	if !errors.As(err, &exist) {
		t.Fatalf("Create over an existing file: err = %v, want *ExistError", err)
	}
	if diff := cmp.Diff([]string{filepath.Join(dir, "tenantc.yaml")}, exist.Paths); diff != "" {
		t.Errorf("existing paths (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "tenantc.yaml")); string(b) != "mine\n" {
		t.Errorf("existing file overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "schema")); !os.IsNotExist(err) {
		t.Errorf("schema/ created although Create refused (stat: %v)", err)
	}
}

func TestCreateRejectsEscapingNames(t *testing.T) {
	for _, name := range []string{"../x", "/abs", "", "a/../../x"} {
		if _, err := Create(t.TempDir(), map[string][]byte{name: nil}); err == nil {
			t.Errorf("Create accepted %q", name)
		}
	}
}
