package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sqlcProject writes files (name → contents) into a directory with schema/
// and queries/ directories and returns the path of the first named file.
func sqlcProject(t *testing.T, files map[string]string, config string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"schema", "queries"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, config)
}

func TestLoadSQLCConfig(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "v1 json, the postgresql package among others",
			files: map[string]string{"sqlc.json": `{"version": "1", "packages": [
  {"name": "my", "path": "mysql", "engine": "mysql", "schema": "x", "queries": "y"},
  {"name": "store", "path": "internal/store", "engine": "postgresql", "schema": "schema", "queries": "queries",
   "sql_package": "pgx/v5", "emit_json_tags": true, "query_parameter_limit": 2,
   "overrides": [{"db_type": "uuid", "go_type": "github.com/google/uuid.UUID"}], "rename": {"a": "B"}}],
 "overrides": [{"column": "*.id", "go_type": "int64"}],
 "rename": {"a": "A", "c": "C"},
 "tenantc": {"default_scope": "tenant", "shared_schema": "app"}}`},
			check: func(t *testing.T, c *Config) {
				g := c.Gen
				got := []any{g.Package, g.Out, g.EmitJSONTags, g.QueryParameterLimit, c.DefaultScope, c.SharedSchema,
					len(g.Overrides), g.Overrides[0].Column, g.Overrides[1].DBType, g.Rename}
				want := []any{"store", "internal/store", true, 2, "tenant", "app",
					2, "*.id", "uuid", map[string]string{"a": "B", "c": "C"}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got)\n%s", diff)
				}
			},
		},
		{
			name: "v2 yaml with a sidecar",
			files: map[string]string{
				"sqlc.yaml": `version: "2"
sql:
- engine: postgresql
  schema: schema
  queries: queries
  strict_function_checks: true
  database: {uri: "postgres://localhost/app"}
  analyzer: {database: false}
  gen:
    go: {package: authors, out: db, sql_package: pgx/v5, emit_interface: true}
overrides:
  go:
    overrides:
    - db_type: uuid
      go_type: string
`,
				"sqlc.tenantc.yaml": "default_scope: shared\nregistry: {table: accounts}\n",
			},
			check: func(t *testing.T, c *Config) {
				got := []any{c.Gen.Package, c.Gen.Out, c.Gen.EmitInterface, c.StrictFunctionChecks, c.Database.URI,
					c.Analyzer.Database, c.DefaultScope, c.Registry.Table, len(c.Gen.Overrides), filepath.Base(c.Sidecar)}
				want := []any{"authors", "db", true, true, "postgres://localhost/app", "false", "shared", "accounts", 1, "sqlc.tenantc.yaml"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got)\n%s", diff)
				}
			},
		},
		{
			name:  "package named after out, as in sqlc",
			files: map[string]string{"sqlc.yaml": "version: \"2\"\nsql:\n- {engine: postgresql, schema: schema, queries: queries, gen: {go: {out: internal/store, sql_package: pgx/v5}}}\n"},
			check: func(t *testing.T, c *Config) {
				if c.Gen.Package != "store" {
					t.Errorf("package %q, want store", c.Gen.Package)
				}
			},
		},
		{
			name: "two postgresql packages, one named",
			files: map[string]string{"sqlc.yaml": `version: "2"
sql:
- {name: a, engine: postgresql, schema: schema, queries: queries, gen: {go: {package: a, out: a, sql_package: pgx/v5}}}
- {name: b, engine: postgresql, schema: schema, queries: queries, gen: {go: {package: b, out: b, sql_package: pgx/v5}}}
tenantc: {package: b, default_scope: tenant}
`},
			check: func(t *testing.T, c *Config) {
				if c.Gen.Package != "b" || c.Gen.Out != "b" {
					t.Errorf("package %q out %q, want b and b", c.Gen.Package, c.Gen.Out)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "sqlc.yaml"
			if _, ok := tt.files["sqlc.json"]; ok {
				name = "sqlc.json"
			}
			c, err := Load(sqlcProject(t, tt.files, name))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadSQLCConfigErrors(t *testing.T) {
	gen := "gen: {go: {package: db, out: db, sql_package: pgx/v5}}"
	tests := []struct {
		name, src, want string
	}{
		{"mysql only", "version: \"2\"\nsql:\n- {engine: mysql, schema: schema, queries: queries, " + gen + "}\n",
			"sqlc.yaml:3:1: the sqlc config has no PostgreSQL package: tenantc is for PostgreSQL"},
		{"database/sql by default", "version: \"1\"\npackages:\n- {name: db, path: db, engine: postgresql, schema: schema, queries: queries}\n",
			"sqlc.yaml:3:3: sqlc generates database/sql code for this package (no sql_package); tenantc generates pgx/v5 only: set sql_package: pgx/v5"},
		{"two postgresql packages", "version: \"2\"\nsql:\n- {engine: postgresql, schema: schema, queries: queries, " + gen + "}\n- {engine: postgresql, schema: schema, queries: queries, " + gen + "}\n",
			"sqlc.yaml:3:1: the sqlc config has 2 PostgreSQL packages: name one with package in the tenantc settings"},
		{"unknown tenantc key", "version: \"2\"\nsql:\n- {engine: postgresql, schema: schema, queries: queries, " + gen + "}\ntenantc: {scope: tenant}\n",
			`sqlc.yaml:4:11: unknown key "scope" in tenantc settings (want default_scope, shared_schema, tenant_schema, registry, migrations or package)`},
		{"unknown go option", "version: \"2\"\nsql:\n- {engine: postgresql, schema: schema, queries: queries, gen: {go: {package: db, sql_package: pgx/v5, emit_everything: true}}}\n",
			`sqlc.yaml:3:103: unknown key "emit_everything" in gen`},
		{"bad path", "version: \"2\"\nsql:\n- {engine: postgresql, schema: nope, queries: queries, " + gen + "}\n",
			`sqlc.yaml:3:32: schema path "nope" does not exist`},
		{"no gen.go", "version: \"2\"\nsql:\n- {engine: postgresql, schema: schema, queries: queries, gen: {kotlin: {}}}\n",
			"sqlc.yaml:3:3: the sqlc sql entry has no gen.go: tenantc generates Go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(sqlcProject(t, map[string]string{"sqlc.yaml": tt.src}, "sqlc.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestFromSQLC(t *testing.T) {
	path := sqlcProject(t, map[string]string{
		"sqlc.json": `{"version": "2", "sql": [{"engine": "postgresql", "schema": "schema", "queries": "queries",
  "gen": {"go": {"package": "authors", "out": "db", "sql_package": "pgx/v5", "emit_json_tags": true}}}]}`,
		"sqlc.tenantc.yaml": "default_scope: tenant\n",
	}, "sqlc.json")
	src, err := FromSQLC(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `# Converted from sqlc.json by tenantc init --from.
version: "1"
default_scope: tenant
schema: schema
queries: queries
gen:
  package: authors
  out: db
  sql_package: pgx/v5
  emit_json_tags: true
`
	if diff := cmp.Diff(want, string(src)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// The result is a tenantc.yaml with the same meaning.
	out := filepath.Join(filepath.Dir(path), FileName)
	if err := os.WriteFile(out, src, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	a.Path, b.Path, a.Sidecar = "", "", ""
	if diff := cmp.Diff(a, b, cmp.FilterPath(func(p cmp.Path) bool { return strings.HasSuffix(p.String(), "Pos") }, cmp.Ignore())); diff != "" {
		t.Errorf("converted config differs (-sqlc +tenantc)\n%s", diff)
	}
}
