package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// project writes tenantc.yaml with src into a temporary directory that has
// schema/ and queries/ directories, and returns the config's path.
func project(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"schema", "queries"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDefaults(t *testing.T) {
	path := project(t, "version: \"1\"\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Path, want.Dir = path, filepath.Dir(path)
	if diff := cmp.Diff(&want, c); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if got := c.TenantSchemaFor("acme"); got != "tenant_acme" {
		t.Errorf("TenantSchemaFor = %q", got)
	}
}

func TestLoadEveryKey(t *testing.T) {
	path := project(t, `version: "1"
schema: schema
queries: [queries]
default_scope: tenant
shared_schema: app
tenant_schema: "t_{id}_data"
registry: {table: accounts}
migrations: {dir: db/migrations, dev_url: "postgres://localhost/dev"}
gen:
  package: store
  out: internal/store
  emit_json_tags: true
  json_tags_case_style: camel
  emit_db_tags: true
  emit_pointers_for_null_types: true
  emit_empty_slices: true
  emit_interface: true
  emit_exact_table_names: true
  emit_enum_valid_method: true
  emit_all_enum_values: true
  query_parameter_limit: 3
  rename: {url: URL}
  overrides:
    - db_type: uuid
      go_type: github.com/google/uuid.UUID
    - column: products.price
      nullable: true
      go_type: {import: github.com/shopspring/decimal, type: Decimal, pointer: true}
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Gen
	checks := []struct {
		name string
		ok   bool
	}{
		{"schema scalar", cmp.Equal(c.Schema, []string{"schema"})},
		{"default_scope", c.DefaultScope == "tenant"},
		{"shared_schema", c.SharedSchema == "app"},
		{"tenant_schema", c.TenantSchemaFor("x") == "t_x_data"},
		{"registry", c.Registry.Table == "accounts"},
		{"migrations", c.Migrations == Migrations{Dir: "db/migrations", DevURL: "postgres://localhost/dev"}},
		{"gen", g.Package == "store" && g.Out == "internal/store" && g.JSONTagsCaseStyle == "camel"},
		{"bools", g.EmitJSONTags && g.EmitDBTags && g.EmitPointersForNullTypes && g.EmitEmptySlices &&
			g.EmitInterface && g.EmitExactTableNames && g.EmitEnumValidMethod && g.EmitAllEnumValues},
		{"limit", g.QueryParameterLimit == 3},
		{"rename", g.Rename["url"] == "URL"},
		{"override string form", len(g.Overrides) == 2 &&
			g.Overrides[0].GoType == GoType{Import: "github.com/google/uuid", Type: "UUID"}},
		{"override mapping form", len(g.Overrides) == 2 && g.Overrides[1].Nullable &&
			g.Overrides[1].GoType == GoType{Import: "github.com/shopspring/decimal", Type: "Decimal", Pointer: true}},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s not parsed as written", c.name)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // every line of the error, in order
	}{
		{"unknown key", "version: \"1\"\nfoo: 1\n", `tenantc.yaml:2:1: unknown key "foo"`},
		{"unknown nested key", "gen:\n  pakage: db\n", `tenantc.yaml:2:3: unknown key "pakage" in gen`},
		{"bad version", "version: \"2\"\n", `tenantc.yaml:1:10: unsupported version "2" (want "1")`},
		{"bad default scope", "default_scope: global\n", `tenantc.yaml:1:16: default_scope must be "", "shared" or "tenant", not "global"`},
		{"bad shared schema", "shared_schema: Public\n", `tenantc.yaml:1:16: shared_schema "Public" must match [a-z_][a-z0-9_]*`},
		{"pg_ shared schema", "shared_schema: pg_app\n", `tenantc.yaml:1:16: shared_schema "pg_app" must not start with pg_`},
		{"tenant schema without id", "tenant_schema: tenants\n", `tenantc.yaml:1:16: tenant_schema "tenants" must contain {id} exactly once`},
		{"bad bool", "gen:\n  emit_json_tags: yes please\n", `tenantc.yaml:2:19: gen.emit_json_tags must be true or false`},
		{"bad limit", "gen:\n  query_parameter_limit: -1\n", `tenantc.yaml:2:26: gen.query_parameter_limit must be a whole number of 0 or more`},
		{"bad package", "gen:\n  package: my-db\n", `tenantc.yaml:2:12: gen.package "my-db" is not a Go package name`},
		{"missing path", "schema: [schema, nope]\n", `tenantc.yaml:1:9: schema path "nope" does not exist`},
		{"duplicate key", "version: \"1\"\nversion: \"1\"\n", `tenantc.yaml:2:1: duplicate key "version"`},
		{"override without go_type", "gen:\n  overrides:\n    - db_type: uuid\n", `tenantc.yaml:3:7: override needs go_type`},
		{"override with both", "gen:\n  overrides:\n    - {db_type: uuid, column: a.b, go_type: string}\n", `tenantc.yaml:3:7: override needs exactly one of db_type and column`},
		{"not utf-8", "version: \"1\"\nschema: [sch\xffema]\n", `tenantc.yaml:2:13: file is not valid UTF-8`},
		{"syntax error", "gen: [\n", `tenantc.yaml:1:1: did not find expected node content`},
		{
			"all errors reported, sorted",
			"queries: [nope]\nversion: \"3\"\nextra: true\n",
			"tenantc.yaml:1:10: queries path \"nope\" does not exist\n" +
				"tenantc.yaml:2:10: unsupported version \"3\" (want \"1\")\n" +
				"tenantc.yaml:3:1: unknown key \"extra\"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(project(t, tt.src))
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load error = %v, want a *config.Error", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), FileName))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a missing file = %v, want ErrNotFound", err)
	}
}

func TestFilesExpandDirectoriesInOrder(t *testing.T) {
	path := project(t, "schema: [schema/b.sql, schema]\n")
	dir := filepath.Dir(path)
	for _, f := range []string{"schema/b.sql", "schema/a.sql", "schema/notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	files, err := c.SchemaFiles()
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, f := range files {
		rel = append(rel, c.Rel(f))
	}
	// A file named twice (directly and through its directory) is read once.
	want := []string{"schema/b.sql", "schema/a.sql"}
	if diff := cmp.Diff(want, rel); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if got := c.Rel("/elsewhere/x.sql"); !strings.HasPrefix(got, "/elsewhere") {
		t.Errorf("Rel of an outside path = %q, want it unchanged", got)
	}
}
