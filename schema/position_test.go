package schema_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
)

// TestLoadErrorListFromOutside checks what a caller outside tenantc sees:
// a Load error, wrapped once more, yields every problem through errors.As,
// each with a position it can name.
func TestLoadErrorListFromOutside(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"schema", "queries"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := "CREATE TABLE a (id int);\n-- tenantc:tenant\nCREATE TABLE b (id int);\nCREATE TABLE c (id int);\n"
	if err := os.WriteFile(filepath.Join(dir, "schema", "app.sql"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "tenantc.yaml"), []byte("schema: [schema]\nqueries: [queries]\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = schema.Load(context.Background(), cfg)
	err = fmt.Errorf("load the schema: %w", err)

	var list position.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("errors.As(%v, *position.ErrorList) = false", err)
	}
	var got []position.Pos
	for _, e := range list {
		got = append(got, e.Pos)
	}
	want := []position.Pos{
		{File: "schema/app.sql", Line: 1, Col: 14},
		{File: "schema/app.sql", Line: 4, Col: 14},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got)\n%s\nerror: %v", diff, err)
	}
	if got, want := list[0].Error(), "schema/app.sql:1:14: "; !strings.HasPrefix(got, want) {
		t.Errorf("first error = %q, want it to start with %q", got, want)
	}
	var one *position.Error
	if !errors.As(err, &one) || one.Pos != want[0] {
		t.Errorf("errors.As(*position.Error) = %v, want the error at %v", one, want[0])
	}
}
