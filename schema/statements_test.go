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
