package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tenantc/tenantc/position"
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
			g.Overrides[0].GoType == GoType{Import: "github.com/google/uuid", Qualifier: "uuid", Type: "UUID"}},
		{"override mapping form", len(g.Overrides) == 2 && g.Overrides[1].Nullable &&
			g.Overrides[1].GoType == GoType{Import: "github.com/shopspring/decimal", Qualifier: "decimal", Type: "Decimal", Pointer: true}},
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
		{"missing path", "schema: [schema, nope]\n", `tenantc.yaml:1:18: schema path "nope" does not exist`},
		{"duplicate key", "version: \"1\"\nversion: \"1\"\n", `tenantc.yaml:2:1: duplicate key "version"`},
		{"override without go_type", "gen:\n  overrides:\n    - db_type: uuid\n", `tenantc.yaml:3:7: override needs go_type or go_struct_tag`},
		{"override with both", "gen:\n  overrides:\n    - {db_type: uuid, column: a.b, go_type: string}\n", `tenantc.yaml:3:7: override needs exactly one of db_type and column, not both`},
		{"override with neither", "gen:\n  overrides:\n    - {go_type: string}\n", `tenantc.yaml:3:7: override needs one of db_type and column`},
		{"override column with five parts", "gen:\n  overrides:\n    - {column: a.b.c.d.e, go_type: string}\n", `tenantc.yaml:3:7: override column "a.b.c.d.e" must be [catalog.][schema.]table.column`},
		{"override column bad escape", "gen:\n  overrides:\n    - {column: 'a.b\\x', go_type: string}\n", `tenantc.yaml:3:7: override column "a.b\\x": invalid escaped character 'x'`},
		{"go_type not basic", "gen:\n  overrides:\n    - {db_type: uuid, go_type: UUID}\n", `tenantc.yaml:3:32: go_type "UUID" is not a Go basic type such as string; name a type in a package as path/to/pkg.Type`},
		{"go_type package without import", "gen:\n  overrides:\n    - {db_type: uuid, go_type: {package: u, type: UUID}}\n", `tenantc.yaml:3:32: go_type.package "u" needs go_type.import`},
		{"bad go_struct_tag", "gen:\n  overrides:\n    - {db_type: uuid, go_struct_tag: 'a:b'}\n", `tenantc.yaml:3:38: go_struct_tag "a:b" is not a Go struct tag (key:"value" ...)`},
		{"db_type and postgres_type", "gen:\n  overrides:\n    - {db_type: uuid, postgres_type: uuid, go_type: string}\n", `tenantc.yaml:3:7: override cannot have both db_type and postgres_type; use db_type`},
		{"other engine", "gen:\n  overrides:\n    - {db_type: uuid, engine: mysql, go_type: string}\n", `tenantc.yaml:3:31: override engine "mysql": tenantc generates for postgresql only`},
		{"sql_package database/sql", "gen:\n  sql_package: database/sql\n", `tenantc.yaml:2:16: gen.sql_package "database/sql" is not supported: tenantc generates pgx/v5 code only (set pgx/v5 or leave it out)`},
		{"sql_driver lib/pq", "gen:\n  sql_driver: github.com/lib/pq\n", `tenantc.yaml:2:15: gen.sql_driver "github.com/lib/pq" is not supported: tenantc generates pgx/v5 code only (github.com/jackc/pgx/v5)`},
		{"bad analyzer.database", "analyzer: {database: maybe}\n", `tenantc.yaml:1:22: analyzer.database must be true, false or "only"`},
		{"db argument and prepared queries", "gen:\n  emit_methods_with_db_argument: true\n  emit_prepared_queries: true\n", `tenantc.yaml:2:34: gen.emit_methods_with_db_argument and gen.emit_prepared_queries are mutually exclusive, as in sqlc`},
		{"not utf-8", "version: \"1\"\nschema: [sch\xffema]\n", `tenantc.yaml:2:13: file is not valid UTF-8`},
		{"syntax error", "gen: [\n", `tenantc.yaml:1:1: did not find expected node content`},
		{
			"all errors reported, sorted",
			"queries: [nope]\nversion: \"3\"\nextra: true\n",
			"tenantc.yaml:1:11: queries path \"nope\" does not exist\n" +
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

// TestSQLCOptions checks that every option of sqlc v1.31.1's Go generator,
// and the analysis settings of a sqlc package, are keys of tenantc.yaml.
func TestSQLCOptions(t *testing.T) {
	path := project(t, `version: "1"
strict_function_checks: true
strict_order_by: false
rules: [no-delete]
analyzer: {database: false}
database: {uri: "postgres://localhost/app", managed: false}
gen:
  package: store
  out: internal/store
  emit_interface: true
  emit_json_tags: true
  json_tags_id_uppercase: true
  emit_db_tags: true
  emit_prepared_queries: true
  emit_exact_table_names: true
  emit_empty_slices: true
  emit_exported_queries: true
  emit_result_struct_pointers: true
  emit_params_struct_pointers: true
  emit_methods_with_db_argument: false
  emit_pointers_for_null_types: true
  emit_pointers_for_null_enum_types: false
  emit_enum_valid_method: true
  emit_all_enum_values: true
  emit_sql_as_comment: true
  json_tags_case_style: camel
  sql_package: pgx/v5
  sql_driver: github.com/jackc/pgx/v5
  output_batch_file_name: batches.go
  output_db_file_name: dbtx.go
  output_models_file_name: model.go
  output_querier_file_name: querier_gen.go
  output_copyfrom_file_name: copy.go
  output_files_suffix: _gen
  inflection_exclude_table_names: [news]
  wrap_errors: true
  query_parameter_limit: 2
  omit_sqlc_version: true
  omit_unused_structs: true
  build_tags: "pg && !mysql"
  initialisms: [id, url]
  rename: {url: URL}
  overrides:
    - column: "*.*_id"
      go_type: {import: database/sql, package: orm, type: NullInt64}
      go_struct_tag: 'validate:"required" x:"y,z"'
    - postgres_type: int8
      unsigned: true
      null: true
      engine: postgresql
      go_type: github.com/segmentio/go-ksuid.KSUID
    - column: app.*.created_at
      go_type: {import: gopkg.in/guregu/null.v4, type: Time}
    - column: "*.id"
      go_type: {import: github.com/volatiletech/null/v8, type: Int64}
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Gen
	f := false
	want := Gen{
		Package: "store", Out: "internal/store",
		EmitInterface: true, EmitJSONTags: true, JSONTagsIDUppercase: true, EmitDBTags: true,
		EmitPreparedQueries: true, EmitExactTableNames: true, EmitEmptySlices: true,
		EmitExportedQueries: true, EmitResultStructPointers: true, EmitParamsStructPointers: true,
		EmitPointersForNullTypes: true, EmitPointersForNullEnumTypes: &f,
		EmitEnumValidMethod: true, EmitAllEnumValues: true, EmitSQLAsComment: true,
		JSONTagsCaseStyle: "camel", SQLPackage: "pgx/v5", SQLDriver: "github.com/jackc/pgx/v5",
		OutputBatchFileName: "batches.go", OutputDBFileName: "dbtx.go", OutputModelsFileName: "model.go",
		OutputQuerierFileName: "querier_gen.go", OutputCopyfromFileName: "copy.go", OutputFilesSuffix: "_gen",
		InflectionExcludeTableNames: []string{"news"}, WrapErrors: true, QueryParameterLimit: 2,
		OmitSqlcVersion: true, OmitUnusedStructs: true, BuildTags: "pg && !mysql",
		Initialisms: []string{"id", "url"}, Rename: map[string]string{"url": "URL"},
		Overrides: []Override{
			{
				Column:     "*.*_id",
				GoType:     GoType{Import: "database/sql", Package: "orm", Qualifier: "orm", Type: "NullInt64"},
				StructTags: map[string]string{"validate": "required", "x": "y,z"},
			},
			{
				DBType: "int8", Unsigned: true, Nullable: true,
				GoType: GoType{Import: "github.com/segmentio/go-ksuid", Qualifier: "ksuid", Type: "KSUID"},
			},
			{
				Column: "app.*.created_at",
				GoType: GoType{Import: "gopkg.in/guregu/null.v4", Package: "null_v4", Qualifier: "null_v4", Type: "Time"},
			},
			{
				Column: "*.id",
				GoType: GoType{Import: "github.com/volatiletech/null/v8", Package: "null", Qualifier: "null", Type: "Int64"},
			},
		},
	}
	for i := range g.Overrides {
		g.Overrides[i].Pos = position.Pos{}
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("gen (-want +got)\n%s", diff)
	}
	if !c.StrictFunctionChecks || c.StrictOrderBy == nil || *c.StrictOrderBy ||
		!cmp.Equal(c.Rules, []string{"no-delete"}) || c.Analyzer.Database != "false" ||
		c.Database != (Database{URI: "postgres://localhost/app"}) {
		t.Errorf("package settings not parsed as written: %+v", c)
	}
}
