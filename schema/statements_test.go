package schema

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatements(t *testing.T) {
	src := `-- tenantc:default tenant
CREATE EXTENSION IF NOT EXISTS citext;

-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY);
CREATE TYPE status AS ENUM ('open', 'closed');
CREATE TABLE tickets (
  id bigint PRIMARY KEY,
  plan_id bigint REFERENCES plans (id),
  status status NOT NULL
);
CREATE INDEX tickets_plan ON tickets (plan_id);
/* why */ ALTER TABLE plans ADD COLUMN name text;
COMMENT ON COLUMN tickets.status IS 'state';
COMMENT ON TABLE plans IS 'plans';
GRANT SELECT ON tickets TO PUBLIC;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER tickets_touch BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TYPE status ADD VALUE 'held'
`
	dir := t.TempDir()
	file := filepath.Join(dir, "app.sql")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := NewCatalog(
		&Object{Name: "plans", Kind: Table, Scope: Shared},
		&Object{Name: "status", Kind: Enum, Scope: Tenant},
		&Object{Name: "tickets", Kind: Table, Scope: Tenant},
		&Object{Name: "touch", Kind: Function, Scope: Tenant},
	)
	if err != nil {
		t.Fatal(err)
	}
	cat.Files = []string{file}
	got, err := Statements(cat)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Line, Col int
		Scope     Scope
		Start     string
	}
	var rows []row
	for _, s := range got {
		if s.Pos.File != file {
			t.Errorf("statement at %v: file %q, want %q", s.Pos, s.Pos.File, file)
		}
		start := s.SQL
		if len(start) > 20 {
			start = start[:20]
		}
		rows = append(rows, row{s.Pos.Line, s.Pos.Col, s.Scope, start})
	}
	want := []row{
		{2, 1, Shared, "CREATE EXTENSION IF "},
		{5, 1, Shared, "CREATE TABLE plans ("},
		{6, 1, Tenant, "CREATE TYPE status A"},
		{7, 1, Tenant, "CREATE TABLE tickets"},
		{12, 1, Tenant, "CREATE INDEX tickets"},
		{13, 11, Shared, "ALTER TABLE plans AD"},
		{14, 1, Tenant, "COMMENT ON COLUMN ti"},
		{15, 1, Shared, "COMMENT ON TABLE pla"},
		{16, 1, Tenant, "GRANT SELECT ON tick"},
		{17, 1, Tenant, "CREATE FUNCTION touc"},
		{18, 1, Tenant, "CREATE TRIGGER ticke"},
		{19, 1, Tenant, "ALTER TYPE status AD"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Statements (-want +got):\n%s", diff)
	}
	if last := got[len(got)-1].SQL; last != "ALTER TYPE status ADD VALUE 'held'" {
		t.Errorf("last statement = %q, want it trimmed", last)
	}
}

// TestStatementsPgDump checks what migrate replays from a schema written
// by pg_dump --schema-only: no session statements, and no shared-schema
// qualifier on the names of catalog objects.
func TestStatementsPgDump(t *testing.T) {
	cat, err := load(t, "", schemaFile{"dump.sql", `-- tenantc:default tenant
SET statement_timeout = 0;
SET default_tablespace = '';
SELECT pg_catalog.set_config('search_path', '', false);
\restrict abc123
CREATE SCHEMA public;
ALTER SCHEMA public OWNER TO pg_database_owner;
COMMENT ON SCHEMA public IS 'standard public schema';
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
COMMENT ON EXTENSION citext IS 'case-insensitive strings';
-- tenantc:shared
CREATE TABLE public.users (id bigint NOT NULL, email public.citext);
ALTER TABLE public.users OWNER TO postgres;
CREATE TYPE public.mood AS ENUM ('ok');
ALTER TYPE public.mood OWNER TO postgres;
CREATE SEQUENCE public.notes_id_seq START WITH 1;
ALTER TABLE public.notes_id_seq OWNER TO postgres;
CREATE TABLE "public"."notes" (id bigint NOT NULL, author bigint, mood public.mood);
ALTER SEQUENCE public.notes_id_seq OWNED BY public.notes.id;
ALTER TABLE ONLY public.notes ALTER COLUMN id SET DEFAULT nextval('public.notes_id_seq'::regclass);
ALTER TABLE ONLY public.notes ADD CONSTRAINT notes_author_fkey FOREIGN KEY (author) REFERENCES public.users(id);
CREATE INDEX notes_mood_idx ON public.notes USING btree (mood);
CREATE FUNCTION public.note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.notes $$;
ALTER FUNCTION public.note_count() OWNER TO postgres;
CREATE SCHEMA reports;
\unrestrict abc123
`})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Statements(cat)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Line  int
		Scope Scope
		SQL   string
	}
	var rows []row
	for _, s := range got {
		rows = append(rows, row{s.Pos.Line, s.Scope, s.SQL})
	}
	want := []row{
		{9, Shared, "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public"},
		{12, Shared, "CREATE TABLE users (id bigint NOT NULL, email public.citext)"},
		{14, Tenant, "CREATE TYPE mood AS ENUM ('ok')"},
		{16, Tenant, "CREATE SEQUENCE notes_id_seq START WITH 1"},
		{18, Tenant, "CREATE TABLE \"notes\" (id bigint NOT NULL, author bigint, mood mood)"},
		{19, Tenant, "ALTER SEQUENCE notes_id_seq OWNED BY notes.id"},
		{20, Tenant, "ALTER TABLE ONLY notes ALTER COLUMN id SET DEFAULT nextval('notes_id_seq'::regclass)"},
		{21, Tenant, "ALTER TABLE ONLY notes ADD CONSTRAINT notes_author_fkey FOREIGN KEY (author) REFERENCES users(id)"},
		{22, Tenant, "CREATE INDEX notes_mood_idx ON notes USING btree (mood)"},
		// A function body is replayed as written.
		{23, Tenant, "CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.notes $$"},
		// Only the shared schema's CREATE SCHEMA is pg_dump's own.
		{25, Shared, "CREATE SCHEMA reports"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Statements (-want +got):\n%s", diff)
	}
}

func TestUnqualify(t *testing.T) {
	cat, err := NewCatalog(
		&Object{Name: "users", Kind: Table, Scope: Shared},
		&Object{Name: "Mixed", Kind: Table, Scope: Tenant},
	)
	if err != nil {
		t.Fatal(err)
	}
	cat.SharedSchema = "app"
	tests := []struct{ in, want string }{
		{"ALTER TABLE app.users ADD COLUMN n int", "ALTER TABLE users ADD COLUMN n int"},
		{`ALTER TABLE "app" . "Mixed" ADD COLUMN n int`, `ALTER TABLE "Mixed" ADD COLUMN n int`},
		{"ALTER TABLE APP.USERS ADD COLUMN n int", "ALTER TABLE USERS ADD COLUMN n int"},
		// Not the shared schema, not a catalog object, or not a name.
		{"ALTER TABLE public.users ADD COLUMN n int", "ALTER TABLE public.users ADD COLUMN n int"},
		{"ALTER TABLE app.other ADD COLUMN n app.citext", "ALTER TABLE app.other ADD COLUMN n app.citext"},
		{"ALTER TABLE db.app.users ADD COLUMN n int", "ALTER TABLE db.app.users ADD COLUMN n int"},
		{"SELECT ' app . \"Mixed\" '::regclass", "SELECT ' \"Mixed\" '::regclass"},
		{"SELECT 'app.users'::pg_catalog.regclass", "SELECT 'users'::pg_catalog.regclass"},
		{"SELECT setval('app.users', 1), currval('app.users')", "SELECT setval('users', 1), currval('users')"},
		// A literal that is not a relation is data.
		{"COMMENT ON TABLE users IS 'app.users'", "COMMENT ON TABLE users IS 'app.users'"},
		{"SELECT 'app.users'::text", "SELECT 'app.users'::text"},
		{"-- app.users\nALTER TABLE users ADD COLUMN n int", "-- app.users\nALTER TABLE users ADD COLUMN n int"},
	}
	for _, tt := range tests {
		if got := unqualify(cat, tt.in); got != tt.want {
			t.Errorf("unqualify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBlankMetaCommands(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\\restrict k1\nSET x = 1;\n\\unrestrict k1", "            \nSET x = 1;\n              "},
		{"\\connect db\r\nCREATE TABLE t ();", "           \r\nCREATE TABLE t ();"},
		// Only a backslash at the start of a line, before a command name.
		{"SELECT '\\restrict';\n  \\x\n\\.\n\\", "SELECT '\\restrict';\n  \\x\n\\.\n\\"},
	}
	for _, tt := range tests {
		if got := BlankMetaCommands(tt.in); got != tt.want {
			t.Errorf("BlankMetaCommands(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
