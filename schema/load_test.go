package schema

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
)

// schemaFile is one file written under schema/ for a test.
type schemaFile struct {
	name, src string
}

// load writes files into a fresh project and loads it with a config made of
// the schema and queries directories plus extra YAML.
func load(t testing.TB, extra string, files ...schemaFile) (*Catalog, error) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"schema", "queries"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, "schema", f.name), []byte(f.src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "tenantc.yaml")
	cfg, err := config.Parse(path, []byte("schema: [schema]\nqueries: [queries]\n"+extra))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return Load(context.Background(), cfg)
}

func pos(file string, line, col int) position.Pos {
	return position.Pos{File: "schema/" + file, Line: line, Col: col}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		files []schemaFile
		want  []*Object
		// implicit are names that resolve as relations without being
		// declared objects (serial sequences), with their scope.
		implicit map[string]Scope
	}{
		{
			name: "annotations, foreign keys, enums and serials",
			files: []schemaFile{{"app.sql", `-- tenantc:shared
CREATE TABLE plans (id bigserial PRIMARY KEY, name text NOT NULL);
-- tenantc:tenant
CREATE TYPE ticket_status AS ENUM ('open', 'closed');
--tenantc:tenant
CREATE TABLE tickets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  plan_id bigint REFERENCES plans (id),
  status ticket_status NOT NULL DEFAULT 'open',
  tags ticket_status[]
);
CREATE INDEX tickets_plan ON tickets (plan_id);
COMMENT ON TABLE tickets IS 'per tenant';
ALTER TABLE tickets ADD COLUMN note text;
ALTER TABLE tickets DROP COLUMN tags;
`}},
			want: []*Object{
				{Name: "plans", Kind: Table, Scope: Shared, Pos: pos("app.sql", 2, 14), Columns: []string{"id", "name"}},
				{Name: "ticket_status", Kind: Enum, Scope: Tenant, Pos: pos("app.sql", 4, 13)},
				{Name: "tickets", Kind: Table, Scope: Tenant, Pos: pos("app.sql", 6, 14),
					Columns: []string{"id", "plan_id", "status", "note"}, Refs: []string{"plans", "ticket_status"}},
			},
			implicit: map[string]Scope{"plans_id_seq": Shared, "tickets_id_seq": Tenant},
		},
		{
			name:  "defaults per file and from the config, quoted names",
			extra: "default_scope: shared\n",
			files: []schemaFile{
				{"a.sql", `-- tenantc:default tenant
-- a comment that is not an annotation; neither is this: tenantc:shared

CREATE TABLE "Tickets" (id int);
CREATE TABLE tickets (id int, "Note" text);
-- tenantc: shared
CREATE TABLE Plans (ID int);
`},
				{"b.sql", `CREATE SEQUENCE counter;
-- tenantc:tenant
CREATE SEQUENCE tenant_counter OWNED BY tickets.id;
CREATE VIEW "Everything" AS SELECT * FROM plans;
`},
			},
			want: []*Object{
				{Name: "Tickets", Kind: Table, Scope: Tenant, Pos: pos("a.sql", 4, 14), Columns: []string{"id"}},
				{Name: "tickets", Kind: Table, Scope: Tenant, Pos: pos("a.sql", 5, 14), Columns: []string{"id", "Note"}},
				{Name: "plans", Kind: Table, Scope: Shared, Pos: pos("a.sql", 7, 14), Columns: []string{"id"}},
				{Name: "counter", Kind: Sequence, Scope: Shared, Pos: pos("b.sql", 1, 17)},
				{Name: "tenant_counter", Kind: Sequence, Scope: Tenant, Pos: pos("b.sql", 3, 17), Refs: []string{"tickets"}},
				{Name: "Everything", Kind: View, Scope: Shared, Pos: pos("b.sql", 4, 13), Columns: []string{"id"}, Refs: []string{"plans"}},
			},
		},
		{
			name: "views, CTEs, types and functions",
			files: []schemaFile{
				{"a.sql", `-- tenantc:default shared
CREATE TABLE plans (id int PRIMARY KEY, name text, price numeric);
CREATE TYPE money_pair AS (amount numeric, currency text);
CREATE DOMAIN positive AS numeric CHECK (VALUE > 0);
-- A CTE named like a tenant table is not that table.
CREATE VIEW plan_names AS
  WITH tickets AS (SELECT id, name FROM plans)
  SELECT t.*, upper(t.name), t.id::text AS label, count(*) OVER () FROM tickets t;
CREATE OR REPLACE VIEW plan_names AS
  WITH tickets AS (SELECT id, name FROM plans)
  SELECT t.*, upper(t.name), t.id::text AS label, count(*) OVER () FROM tickets t;
CREATE MATERIALIZED VIEW plan_prices (plan, amount) AS SELECT id, price FROM plans;
CREATE VIEW joined AS SELECT * FROM plans p JOIN plan_prices pp ON pp.plan = p.id;
CREATE FUNCTION plan_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM plans $$;
CREATE FUNCTION plan_count(min int) RETURNS bigint LANGUAGE sql
  RETURN (SELECT count(*) FROM plans WHERE id >= min);
CREATE PROCEDURE touch(p positive) LANGUAGE sql AS 'SELECT 1';
`},
				{"b.sql", `-- tenantc:default tenant
CREATE TABLE tickets (id int, plan_id int REFERENCES plans, cost positive, total money_pair);
CREATE VIEW ticket_plans AS SELECT t.id, p.name FROM tickets t JOIN plans p ON p.id = t.plan_id;
CREATE FUNCTION open_tickets() RETURNS SETOF tickets LANGUAGE sql AS $$
  SELECT * FROM tickets WHERE plan_id IN (SELECT id FROM plans)
$$;
`},
			},
			want: []*Object{
				{Name: "plans", Kind: Table, Scope: Shared, Pos: pos("a.sql", 2, 14), Columns: []string{"id", "name", "price"}},
				{Name: "money_pair", Kind: Composite, Scope: Shared, Pos: pos("a.sql", 3, 13), Columns: []string{"amount", "currency"}},
				{Name: "positive", Kind: Domain, Scope: Shared, Pos: pos("a.sql", 4, 15)},
				{Name: "plan_names", Kind: View, Scope: Shared, Pos: pos("a.sql", 6, 13),
					Columns: []string{"id", "name", "upper", "label", "count"}, Refs: []string{"plans"}},
				{Name: "plan_prices", Kind: MaterializedView, Scope: Shared, Pos: pos("a.sql", 12, 26),
					Columns: []string{"plan", "amount"}, Refs: []string{"plans"}},
				{Name: "joined", Kind: View, Scope: Shared, Pos: pos("a.sql", 13, 13),
					Columns: []string{"id", "name", "price", "plan", "amount"}, Refs: []string{"plans", "plan_prices"}},
				{Name: "plan_count", Kind: Function, Scope: Shared, Pos: pos("a.sql", 14, 17), Refs: []string{"plans"}},
				{Name: "touch", Kind: Function, Scope: Shared, Pos: pos("a.sql", 17, 18), Refs: []string{"positive"}},
				{Name: "tickets", Kind: Table, Scope: Tenant, Pos: pos("b.sql", 2, 14),
					Columns: []string{"id", "plan_id", "cost", "total"}, Refs: []string{"plans", "positive", "money_pair"}},
				{Name: "ticket_plans", Kind: View, Scope: Tenant, Pos: pos("b.sql", 3, 13),
					Columns: []string{"id", "name"}, Refs: []string{"tickets", "plans"}},
				{Name: "open_tickets", Kind: Function, Scope: Tenant, Pos: pos("b.sql", 4, 17), Refs: []string{"tickets", "plans"}},
			},
		},
		{
			name: "view column names",
			files: []schemaFile{{"a.sql", `-- tenantc:default shared
CREATE TABLE plans (id int, name text);
CREATE VIEW u AS SELECT id, name FROM plans UNION SELECT 1, 'x';
CREATE VIEW vals AS VALUES (1, 'a');
CREATE VIEW sub AS SELECT s.* FROM (SELECT id AS pid FROM plans) s;
CREATE VIEW nat AS SELECT * FROM plans NATURAL JOIN u;
CREATE VIEW ex AS SELECT EXISTS (SELECT 1), CASE WHEN true THEN 1 END, (SELECT max(id) FROM plans), 1 + 1;
CREATE VIEW sys AS SELECT * FROM pg_class;
`}},
			want: []*Object{
				{Name: "plans", Kind: Table, Scope: Shared, Pos: pos("a.sql", 2, 14), Columns: []string{"id", "name"}},
				{Name: "u", Kind: View, Scope: Shared, Pos: pos("a.sql", 3, 13), Columns: []string{"id", "name"}, Refs: []string{"plans"}},
				{Name: "vals", Kind: View, Scope: Shared, Pos: pos("a.sql", 4, 13), Columns: []string{"column1", "column2"}},
				{Name: "sub", Kind: View, Scope: Shared, Pos: pos("a.sql", 5, 13), Columns: []string{"pid"}, Refs: []string{"plans"}},
				{Name: "nat", Kind: View, Scope: Shared, Pos: pos("a.sql", 6, 13), Refs: []string{"plans", "u"}},
				{Name: "ex", Kind: View, Scope: Shared, Pos: pos("a.sql", 7, 13), Columns: []string{"exists", "case", "max", "?column?"}, Refs: []string{"plans"}},
				{Name: "sys", Kind: View, Scope: Shared, Pos: pos("a.sql", 8, 13)},
			},
		},
		{
			name:  "registry table declared shared with its columns",
			extra: "registry: {table: accounts}\n",
			files: []schemaFile{{"a.sql", `-- tenantc:shared
CREATE TABLE accounts (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, plan text);
-- tenantc:tenant
CREATE TABLE tenants (id int);
`}},
			want: []*Object{
				{Name: "accounts", Kind: Table, Scope: Shared, Pos: pos("a.sql", 2, 14), Columns: []string{"id", "schema_name", "plan"}},
				{Name: "tenants", Kind: Table, Scope: Tenant, Pos: pos("a.sql", 4, 14), Columns: []string{"id"}},
			},
		},
		{
			// pg_dump --schema-only qualifies every name and adds session
			// statements; the scope still comes from the annotations.
			name: "qualified by the shared schema, as pg_dump writes it",
			files: []schemaFile{{"a.sql", `-- tenantc:default tenant
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE SCHEMA public;
COMMENT ON SCHEMA public IS 'standard public schema';
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
COMMENT ON EXTENSION citext IS 'case-insensitive strings';
-- tenantc:shared
CREATE TABLE public.users (id bigint NOT NULL, email public.citext);
ALTER TABLE public.users OWNER TO postgres;
CREATE TYPE public.mood AS ENUM ('ok');
ALTER TYPE public.mood OWNER TO postgres;
CREATE DOMAIN public.qty AS integer CHECK (VALUE > 0);
CREATE SEQUENCE public.notes_id_seq START WITH 1;
ALTER TABLE public.notes_id_seq OWNER TO postgres;
CREATE TABLE public.notes (id bigint NOT NULL, author bigint, mood public.mood, n public.qty);
ALTER SEQUENCE public.notes_id_seq OWNED BY public.notes.id;
ALTER TABLE ONLY public.notes ALTER COLUMN id SET DEFAULT nextval('public.notes_id_seq'::regclass);
ALTER TABLE ONLY public.notes ADD CONSTRAINT notes_author_fkey FOREIGN KEY (author) REFERENCES public.users(id);
CREATE INDEX notes_mood_idx ON public.notes USING btree (mood);
CREATE FUNCTION public.note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.notes $$;
ALTER FUNCTION public.note_count() OWNER TO postgres;
CREATE VIEW public.note_moods AS SELECT notes.mood, public.note_count() AS total FROM public.notes;
CREATE OR REPLACE VIEW public.note_moods AS SELECT notes.mood FROM public.notes;
`}},
			want: []*Object{
				{Name: "users", Kind: Table, Scope: Shared, Pos: pos("a.sql", 9, 21), Columns: []string{"id", "email"}},
				{Name: "mood", Kind: Enum, Scope: Tenant, Pos: pos("a.sql", 11, 20)},
				{Name: "qty", Kind: Domain, Scope: Tenant, Pos: pos("a.sql", 13, 22)},
				{Name: "notes_id_seq", Kind: Sequence, Scope: Tenant, Pos: pos("a.sql", 14, 24)},
				{Name: "notes", Kind: Table, Scope: Tenant, Pos: pos("a.sql", 16, 21), Columns: []string{"id", "author", "mood", "n"},
					Refs: []string{"mood", "qty", "notes_id_seq", "users"}},
				{Name: "note_count", Kind: Function, Scope: Tenant, Pos: pos("a.sql", 21, 24), Refs: []string{"notes"}},
				{Name: "note_moods", Kind: View, Scope: Tenant, Pos: pos("a.sql", 23, 20), Columns: []string{"mood"},
					Refs: []string{"note_count", "notes"}},
			},
		},
		{
			name:  "qualified by a shared schema other than public",
			extra: "shared_schema: app\n",
			files: []schemaFile{{"a.sql", `-- tenantc:default shared
CREATE SCHEMA app;
CREATE TABLE app.plans (id int PRIMARY KEY);
-- tenantc:tenant
CREATE TABLE app.tickets (id int, plan int REFERENCES app.plans);
`}},
			want: []*Object{
				{Name: "plans", Kind: Table, Scope: Shared, Pos: pos("a.sql", 3, 18), Columns: []string{"id"}},
				{Name: "tickets", Kind: Table, Scope: Tenant, Pos: pos("a.sql", 5, 18), Columns: []string{"id", "plan"}, Refs: []string{"plans"}},
			},
		},
		{
			name: "qualified built-in and extension names are not tenantc's",
			files: []schemaFile{{"a.sql", `-- tenantc:tenant
CREATE TABLE notes (
  id pg_catalog.int8,
  body extensions.citext,
  made timestamptz DEFAULT pg_catalog.now(),
  kind regclass DEFAULT 'pg_catalog.pg_class'::regclass
);
`}},
			want: []*Object{
				{Name: "notes", Kind: Table, Scope: Tenant, Pos: pos("a.sql", 2, 14), Columns: []string{"id", "body", "made", "kind"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := load(t, tt.extra, tt.files...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, cat.Objects); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if len(cat.Files) != len(tt.files) {
				t.Errorf("Files = %v, want %d files", cat.Files, len(tt.files))
			}
			for _, o := range tt.want {
				var got *Object
				switch {
				case o.Kind.IsRelation():
					got, _ = cat.Relation(o.Name)
				case o.Kind.IsType():
					got, _ = cat.Type(o.Name)
				case o.Kind == Function:
					got, _ = cat.Function(o.Name)
				}
				if got == nil || got.Name != o.Name || got.Kind != o.Kind {
					t.Errorf("lookup of %s %q = %v", o.Kind, o.Name, got)
				}
			}
			for name, scope := range tt.implicit {
				o, ok := cat.Relation(name)
				if !ok || o.Kind != Sequence || o.Scope != scope {
					t.Errorf("Relation(%q) = %v, %v; want a %s sequence", name, o, ok, scope)
				}
			}
		})
	}
}

func TestLoadLookupFolding(t *testing.T) {
	cat, err := load(t, "", schemaFile{"a.sql", `-- tenantc:default tenant
CREATE TABLE "Patients" (id int);
CREATE TYPE Mood AS ENUM ('ok');
`})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.Relation("patients"); ok {
		t.Error(`Relation("patients") found "Patients"; quoted names keep their case`)
	}
	if _, ok := cat.Relation("Patients"); !ok {
		t.Error(`Relation("Patients") not found`)
	}
	if _, ok := cat.Type("mood"); !ok {
		t.Error(`Type("mood") not found; unquoted names fold to lower case`)
	}
	if o, ok := cat.Type("Patients"); !ok || o.Kind != Table {
		t.Errorf(`Type("Patients") = %v, want the table's row type`, o)
	}
	if !cat.HasTenant() {
		t.Error("HasTenant() = false")
	}
}

func TestLoadErrors(t *testing.T) {
	// Shared fixtures: a tenant enum, table, sequence and function.
	const tenantObjects = `-- tenantc:default tenant
CREATE TYPE ticket_status AS ENUM ('open', 'closed');
CREATE TABLE tickets (id serial PRIMARY KEY, status ticket_status);
CREATE SEQUENCE tseq;
CREATE FUNCTION tf() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
`
	tenant := schemaFile{"a.sql", tenantObjects}
	tests := []struct {
		name  string
		extra string
		files []schemaFile
		want  []string
	}{
		{
			name:  "unknown directive",
			files: []schemaFile{{"b.sql", "-- tenantc:sharred\nCREATE TABLE t (id int);\n"}},
			want: []string{
				`schema/b.sql:1:12: unknown tenantc directive "sharred" (want shared, tenant or default)`,
				`schema/b.sql:2:14: table "t" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
			},
		},
		{
			name:  "empty directive",
			extra: "default_scope: tenant\n",
			files: []schemaFile{{"b.sql", "--tenantc:\nCREATE TABLE t (id int);\n"}},
			want:  []string{`schema/b.sql:1:11: missing tenantc directive after "tenantc:" (want shared, tenant or default)`},
		},
		{
			name:  "default without a value",
			extra: "default_scope: tenant\n",
			files: []schemaFile{{"b.sql", "-- tenantc:default\nCREATE TABLE t (id int);\n"}},
			want:  []string{`schema/b.sql:1:12: tenantc:default needs a scope: shared or tenant`},
		},
		{
			name:  "default with an unknown value",
			extra: "default_scope: tenant\n",
			files: []schemaFile{{"b.sql", "-- tenantc:default both\nCREATE TABLE t (id int);\n"}},
			want:  []string{`schema/b.sql:1:20: unknown tenantc:default scope "both" (want shared or tenant)`},
		},
		{
			name:  "text after an annotation",
			files: []schemaFile{{"b.sql", "-- tenantc:default tenant mostly\n-- tenantc:shared plans are global\nCREATE TABLE t (id int);\n"}},
			want: []string{
				`schema/b.sql:1:27: unexpected "mostly" after tenantc:default tenant`,
				`schema/b.sql:2:19: unexpected "plans" after tenantc:shared`,
			},
		},
		{
			name:  "two defaults in one file",
			files: []schemaFile{{"b.sql", "-- tenantc:default tenant\n-- tenantc:default shared\nCREATE TABLE t (id int);\n"}},
			want:  []string{`schema/b.sql:2:12: second tenantc:default in this file (the first is at schema/b.sql:1:12)`},
		},
		{
			name:  "default after the first statement",
			files: []schemaFile{{"b.sql", "-- tenantc:shared\nCREATE TABLE t (id int);\n-- tenantc:default tenant\nCREATE TABLE u (id int);\n"}},
			want: []string{
				`schema/b.sql:3:12: tenantc:default must come before the first statement of the file`,
				`schema/b.sql:4:14: table "u" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
			},
		},
		{
			name: "default covers its own file only",
			files: []schemaFile{
				{"b.sql", "-- tenantc:default tenant\nCREATE TABLE t (id int);\n"},
				{"c.sql", "CREATE TABLE u (id int);\n"},
			},
			want: []string{`schema/c.sql:1:14: table "u" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`},
		},
		{
			name:  "annotation at the end of the file",
			files: []schemaFile{{"b.sql", "-- tenantc:default tenant\nCREATE TABLE t (id int);\n-- tenantc:shared\n"}},
			want:  []string{`schema/b.sql:3:12: tenantc:shared has no CREATE statement after it`},
		},
		{
			name:  "annotation before a statement that is not scoped",
			files: []schemaFile{{"b.sql", "-- tenantc:default tenant\nCREATE TABLE t (id int);\n-- tenantc:shared\nCREATE INDEX t_id ON t (id);\n"}},
			want:  []string{`schema/b.sql:3:12: tenantc:shared must be followed by CREATE TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE, TYPE, DOMAIN, FUNCTION or PROCEDURE`},
		},
		{
			name:  "annotation inside a statement",
			files: []schemaFile{{"b.sql", "-- tenantc:tenant\nCREATE TABLE t (\n  -- tenantc:shared\n  id int\n);\n"}},
			want:  []string{`schema/b.sql:3:14: tenantc:shared inside a statement; put it on a line before the CREATE statement`},
		},
		{
			name:  "two annotations for one statement",
			files: []schemaFile{{"b.sql", "-- tenantc:tenant\n-- tenantc:shared\nCREATE TABLE t (id int);\n"}},
			want:  []string{`schema/b.sql:2:12: second tenantc scope annotation for one statement (the first is at schema/b.sql:1:12)`},
		},
		{
			name: "objects without a scope",
			files: []schemaFile{{"b.sql", `CREATE TABLE tickets (id int);
CREATE TYPE mood AS ENUM ('ok');
CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE MATERIALIZED VIEW mv AS SELECT 1;
CREATE TABLE copy AS SELECT * FROM tickets;
`}},
			want: []string{
				`schema/b.sql:1:14: table "tickets" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
				`schema/b.sql:2:13: enum "mood" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
				`schema/b.sql:3:28: function "f" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
				`schema/b.sql:4:26: materialized view "mv" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
				`schema/b.sql:5:14: table "copy" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
			},
		},
		{
			name:  "schema-qualified names in DDL",
			extra: "shared_schema: app\n",
			files: []schemaFile{{"b.sql", `-- tenantc:default tenant
CREATE TABLE public.plans (id int);
CREATE TYPE tenant_x.mood AS ENUM ('ok');
CREATE TABLE t (p int REFERENCES public.plans, q int REFERENCES tenant_acme.t);
ALTER TABLE public.t ADD COLUMN r int;
`}},
			want: []string{
				`schema/b.sql:2:14: schema-qualified name "public.plans": tenantc chooses the schema, write "plans"`,
				`schema/b.sql:3:13: schema-qualified name "tenant_x.mood": tenantc chooses the schema, write "mood"`,
				`schema/b.sql:4:34: schema-qualified name "public.plans": tenantc chooses the schema, write "plans"`,
				`schema/b.sql:4:65: schema-qualified name "tenant_acme.t": tenantc chooses the schema, write "t"`,
				`schema/b.sql:5:13: schema-qualified name "public.t": tenantc chooses the schema, write "t"`,
			},
		},
		{
			name: "a schema other than the shared one, next to shared-qualified names",
			files: []schemaFile{{"b.sql", `-- tenantc:default tenant
CREATE TABLE public.users (id int PRIMARY KEY);
CREATE TABLE other.plans (id int);
CREATE INDEX users_id ON other.users (id);
ALTER TABLE ONLY shop.public.users ADD COLUMN n int;
CREATE TABLE t (u int REFERENCES public.users, v int REFERENCES tenant_1.users);
CREATE SEQUENCE s OWNED BY other.users.id;
`}},
			want: []string{
				`schema/b.sql:3:14: schema-qualified name "other.plans": tenantc chooses the schema, write "plans"`,
				`schema/b.sql:4:26: schema-qualified name "other.users": tenantc chooses the schema, write "users"`,
				`schema/b.sql:5:18: schema-qualified name "shop.public.users": tenantc chooses the schema, write "users"`,
				`schema/b.sql:6:65: schema-qualified name "tenant_1.users": tenantc chooses the schema, write "users"`,
				`schema/b.sql:7:28: schema-qualified name "other.users": tenantc chooses the schema, write "users"`,
			},
		},
		{
			name: "shared table with a foreign key to a tenant table",
			files: []schemaFile{tenant, {"b.sql", `-- tenantc:default shared
CREATE TABLE plans (id int, t int REFERENCES tickets);
CREATE TABLE prices (id int, t int, FOREIGN KEY (t) REFERENCES tickets (id));
CREATE TABLE quotas (id int, t int);
ALTER TABLE quotas ADD CONSTRAINT quotas_t FOREIGN KEY (t) REFERENCES tickets (id);
`}},
			want: []string{
				`schema/b.sql:2:46: shared table "plans" references tenant table "tickets"`,
				`schema/b.sql:3:64: shared table "prices" references tenant table "tickets"`,
				`schema/b.sql:5:71: shared table "quotas" references tenant table "tickets"`,
			},
		},
		{
			name: "shared views over tenant tables",
			files: []schemaFile{tenant, {"b.sql", `-- tenantc:default shared
CREATE TABLE plans (id int);
CREATE VIEW plan_stats AS SELECT p.id FROM plans p JOIN tickets t ON t.id = p.id;
CREATE VIEW busy AS SELECT id FROM plans WHERE EXISTS (SELECT 1 FROM tickets);
CREATE VIEW via_cte AS WITH x AS (SELECT id FROM tickets) SELECT id FROM x;
CREATE MATERIALIZED VIEW counts AS SELECT count(*) FROM tickets;
`}},
			want: []string{
				`schema/b.sql:3:57: shared view "plan_stats" references tenant table "tickets"`,
				`schema/b.sql:4:70: shared view "busy" references tenant table "tickets"`,
				`schema/b.sql:5:50: shared view "via_cte" references tenant table "tickets"`,
				`schema/b.sql:6:57: shared materialized view "counts" references tenant table "tickets"`,
			},
		},
		{
			name: "shared objects with tenant types",
			files: []schemaFile{tenant, {"b.sql", `-- tenantc:default shared
CREATE TABLE plans (s ticket_status, ss ticket_status[]);
CREATE DOMAIN status_d AS ticket_status;
CREATE TYPE pair AS (a int, s ticket_status);
CREATE TABLE rows_of (r tickets);
`}},
			want: []string{
				`schema/b.sql:2:23: shared table "plans" references tenant enum "ticket_status"`,
				`schema/b.sql:2:41: shared table "plans" references tenant enum "ticket_status"`,
				`schema/b.sql:3:27: shared domain "status_d" references tenant enum "ticket_status"`,
				`schema/b.sql:4:31: shared composite type "pair" references tenant enum "ticket_status"`,
				`schema/b.sql:5:25: shared table "rows_of" references tenant table "tickets"`,
			},
		},
		{
			name: "shared defaults using tenant sequences and functions",
			files: []schemaFile{tenant, {"b.sql", `-- tenantc:default shared
CREATE TABLE plans (
  a int DEFAULT nextval('tseq'),
  b int DEFAULT nextval('tickets_id_seq'::regclass),
  c int DEFAULT tf()
);
CREATE TABLE later (id int);
ALTER TABLE later ALTER COLUMN id SET DEFAULT tf();
`}},
			want: []string{
				`schema/b.sql:3:25: shared table "plans" references tenant sequence "tseq"`,
				`schema/b.sql:4:25: shared table "plans" references tenant sequence "tickets_id_seq"`,
				`schema/b.sql:5:17: shared table "plans" references tenant function "tf"`,
				`schema/b.sql:8:47: shared table "later" references tenant function "tf"`,
			},
		},
		{
			name: "shared functions using tenant objects",
			files: []schemaFile{tenant, {"b.sql", `-- tenantc:default shared
CREATE FUNCTION sf(s ticket_status) RETURNS SETOF tickets LANGUAGE sql AS $fn$
  SELECT * FROM tickets
$fn$;
CREATE FUNCTION sg() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT tf(); END;
CREATE FUNCTION sh() RETURNS int LANGUAGE sql AS 'SELECT count(*) FROM tickets WHERE status = ''open''';
CREATE TABLE plans (id int);
CREATE TRIGGER plans_touch AFTER INSERT ON plans FOR EACH ROW EXECUTE FUNCTION tf();
`}},
			want: []string{
				`schema/b.sql:2:22: shared function "sf" references tenant enum "ticket_status"`,
				`schema/b.sql:2:51: shared function "sf" references tenant table "tickets"`,
				`schema/b.sql:3:17: shared function "sf" references tenant table "tickets"`,
				`schema/b.sql:5:67: shared function "sg" references tenant function "tf"`,
				`schema/b.sql:6:50: shared function "sh" references tenant table "tickets"`,
				`schema/b.sql:8:80: shared table "plans" references tenant function "tf"`,
			},
		},
		{
			name: "quoted and unquoted names are different objects",
			files: []schemaFile{{"b.sql", `-- tenantc:tenant
CREATE TABLE "Tickets" (id int);
-- tenantc:shared
CREATE TABLE tickets (id int);
-- tenantc:shared
CREATE VIEW v AS SELECT a.id FROM TICKETS a JOIN "Tickets" b ON true;
`}},
			want: []string{`schema/b.sql:6:50: shared view "v" references tenant table "Tickets"`},
		},
		{
			name: "shared and tenant objects with the same name",
			files: []schemaFile{
				{"b.sql", "-- tenantc:shared\nCREATE TABLE plans (id int);\n"},
				{"c.sql", "-- tenantc:tenant\nCREATE TABLE plans (id int);\n"},
			},
			want: []string{`schema/c.sql:2:14: tenant table "plans" has the same name as shared table "plans" declared at schema/b.sql:2:14`},
		},
		{
			name: "relations and types share names",
			files: []schemaFile{{"b.sql", `-- tenantc:default tenant
CREATE TABLE t (id int);
CREATE VIEW t AS SELECT 1;
CREATE TYPE t AS ENUM ('a');
CREATE SEQUENCE t;
CREATE TYPE mood AS ENUM ('ok');
CREATE DOMAIN mood AS text;
CREATE SEQUENCE mood;
-- tenantc:shared
CREATE FUNCTION tf() RETURNS int LANGUAGE sql AS 'SELECT 1';
-- tenantc:tenant
CREATE FUNCTION tf(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
CREATE FUNCTION tf(a text) RETURNS int LANGUAGE sql AS 'SELECT 1';
`}},
			want: []string{
				`schema/b.sql:12:17: tenant function "tf" has the same name as shared function "tf" declared at schema/b.sql:10:17`,
				`schema/b.sql:13:17: tenant function "tf" has the same name as shared function "tf" declared at schema/b.sql:10:17`,
				`schema/b.sql:3:13: tenant view "t" has the same name as tenant table "t" declared at schema/b.sql:2:14`,
				`schema/b.sql:4:13: tenant enum "t" has the same name as tenant table "t" declared at schema/b.sql:2:14`,
				`schema/b.sql:5:17: tenant sequence "t" has the same name as tenant table "t" declared at schema/b.sql:2:14`,
				`schema/b.sql:7:15: tenant domain "mood" has the same name as tenant enum "mood" declared at schema/b.sql:6:13`,
			},
		},
		{
			name:  "registry table declared tenant",
			files: []schemaFile{{"b.sql", "-- tenantc:tenant\nCREATE TABLE tenants (id text, schema_name text);\n"}},
			want:  []string{`schema/b.sql:2:14: tenant table "tenants" has the name of the registry table, which must be shared`},
		},
		{
			name:  "registry table without its columns",
			files: []schemaFile{{"b.sql", "-- tenantc:shared\nCREATE TABLE tenants (key text PRIMARY KEY);\n"}},
			want: []string{
				`schema/b.sql:2:14: registry table "tenants" has no column "id"`,
				`schema/b.sql:2:14: registry table "tenants" has no column "schema_name"`,
			},
		},
		{
			name:  "registry declared as a view",
			extra: "registry: {table: accounts}\n",
			files: []schemaFile{{"b.sql", "-- tenantc:shared\nCREATE VIEW accounts AS SELECT 'a' AS id, 'b' AS schema_name;\n"}},
			want:  []string{`schema/b.sql:2:13: registry table "accounts" must be a table, not a view`},
		},
		{
			name: "syntax errors do not hide other errors",
			files: []schemaFile{{"b.sql", `-- tenantc:default shared
-- tenantc:tenant
CREATE TABEL x (id int);
CREATE TABLE y (id int);
CREATE TABLE z (id int,);
CREATE TABLE é (id int); CREATE TABEL w;
-- tenantc:tenant
CREATE TABLE t (id int);
CREATE VIEW v AS SELECT * FROM t;
`}},
			want: []string{
				`schema/b.sql:3:8: syntax error at or near "TABEL"`,
				`schema/b.sql:5:24: syntax error at or near ")"`,
				`schema/b.sql:6:34: syntax error at or near "TABEL"`,
				`schema/b.sql:9:32: shared view "v" references tenant table "t"`,
			},
		},
		{
			name:  "unterminated string",
			files: []schemaFile{{"b.sql", "-- tenantc:shared\nCREATE TABLE t (id int);\nCREATE TABLE u (d text DEFAULT 'x);\n"}},
			want:  []string{`schema/b.sql:3:32: unterminated quoted string at or near "'x);..."`},
		},
		{
			name: "every error of every file, sorted",
			files: []schemaFile{
				{"b.sql", "CREATE TABLE b1 (id int);\n-- tenantc:bogus\n"},
				{"c.sql", "-- tenantc:shared\nCREATE TABLE c1 (id int);\nCREATE TABLE c2 (id int);\n"},
				{"d.sql", "-- tenantc:default tenant\nCREATE TABLE c1 (id int);\n"},
			},
			want: []string{
				`schema/b.sql:1:14: table "b1" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
				`schema/b.sql:2:12: unknown tenantc directive "bogus" (want shared, tenant or default)`,
				`schema/c.sql:3:14: table "c2" has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file`,
				`schema/d.sql:2:14: tenant table "c1" has the same name as shared table "c1" declared at schema/c.sql:2:14`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := load(t, tt.extra, tt.files...)
			if err == nil {
				t.Fatalf("Load succeeded with %d objects, want errors", len(cat.Objects))
			}
			list := position.AsList(err)
			if list == nil {
				t.Fatalf("Load error %v carries no positions", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			want := append([]string(nil), tt.want...)
			sortErrors(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if cat != nil {
				t.Errorf("Load returned a catalog with errors")
			}
		})
	}
}

// sortErrors orders expected lines as position.ErrorList sorts them, so the
// cases above can list errors in reading order.
func sortErrors(lines []string) {
	l := make(position.ErrorList, len(lines))
	for i, s := range lines {
		var e position.Error
		parts := strings.SplitN(s, ":", 4)
		e.Pos.File = parts[0]
		e.Pos.Line = atoi(parts[1])
		e.Pos.Col = atoi(parts[2])
		e.Msg = strings.TrimPrefix(parts[3], " ")
		l[i] = &e
	}
	l.Sort()
	for i, e := range l {
		lines[i] = e.Error()
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestNewCatalog(t *testing.T) {
	plans := &Object{Name: "plans", Kind: Table, Scope: Shared}
	c, err := NewCatalog(plans, &Object{Name: "f", Kind: Function, Scope: Tenant})
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := c.Relation("plans"); !ok || o != plans {
		t.Errorf("Relation(plans) = %v, %v", o, ok)
	}
	if _, ok := c.Function("f"); !ok {
		t.Error("Function(f) not found")
	}
	_, err = NewCatalog(plans, &Object{Name: "plans", Kind: View, Scope: Tenant, Pos: position.Pos{File: "x.sql", Line: 3, Col: 13}})
	want := `x.sql:3:13: tenant view "plans" has the same name as shared table "plans"`
	if err == nil || err.Error() != want {
		t.Errorf("NewCatalog with a duplicate: %v, want %q", err, want)
	}
}

func TestLoadManySyntaxErrors(t *testing.T) {
	src := "-- tenantc:default tenant\n" + strings.Repeat("CREATE TABEL x (id int);\n", maxSyntaxErrors+5) + "-- tenantc:bogus\n"
	_, err := load(t, "", schemaFile{"a.sql", src})
	list := position.AsList(err)
	if len(list) != maxSyntaxErrors {
		t.Fatalf("got %d errors, want %d (the syntax errors only):\n%v", len(list), maxSyntaxErrors, err)
	}
	if got, want := list[len(list)-1].Error(), `schema/a.sql:21:8: syntax error at or near "TABEL"`; got != want {
		t.Errorf("last error = %q, want %q", got, want)
	}
}

func TestLoadCanceled(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"schema", "queries"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "schema", "a.sql"), []byte("-- tenantc:shared\nCREATE TABLE t (id int);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "tenantc.yaml"), []byte("schema: [schema]\nqueries: [queries]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a canceled context = %v, want context.Canceled", err)
	}
}
