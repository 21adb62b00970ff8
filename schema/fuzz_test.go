package schema

import (
	"testing"

	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/position"
)

// FuzzLoad feeds arbitrary schema text to Load: it must not panic, and any
// error it returns must be positional and inside the file. Text that loads
// must split into Statements too.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"-- tenantc:shared\nCREATE TABLE plans (id bigserial PRIMARY KEY);\n",
		"-- tenantc:default tenant\nCREATE TYPE s AS ENUM ('a');\nCREATE TABLE t (s s[] DEFAULT nextval('x'));\n",
		"-- tenantc:shared\nCREATE VIEW v AS WITH t AS (SELECT 1) SELECT * FROM t JOIN u USING (id);\n",
		"-- tenantc:tenant\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT * FROM t $$;\n",
		"-- tenantc:tenant\nCREATE TABEL x (;\n-- tenantc:\nCREATE TABLE 'x",
		"CREATE TABLE public.é (id int); ALTER TABLE x ADD FOREIGN KEY (a) REFERENCES y;",
		"-- tenantc:default\n-- tenantc:default shared\n-- tenantc:tenant\n",
		"CREATE TABLE \"",
		"-- tenantc:shared\nCREATE TABLE t (id int);\x00CREATE TABEL",
		"-- tenantc:tenant\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS E'SELECT \\'1\\'';",
		"-- tenantc:shared\nCREATE VIEW v AS SELECT t.*, x.* FROM u t, (VALUES (1)) x;\nSELECT * INTO t FROM u;",
		"-- tenantc:shared\nCREATE TRIGGER t AFTER INSERT ON x EXECUTE",
		"\xff\xfe -- tenantc:shared\n$$",
		"\\restrict k\n-- tenantc:default shared\nSET x = 0;\nCREATE TABLE public.t (id int);\nALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t'::regclass);\n\\unrestrict k",
		"-- tenantc:tenant\nCREATE SEQUENCE \"public\".\"s\" OWNED BY public.t.id;\nSELECT pg_catalog.set_config('search_path', '', false);",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cat, err := load(t, "", schemaFile{"a.sql", src})
		if err == nil {
			if cat == nil {
				t.Fatal("Load returned neither a catalog nor an error")
			}
			if _, err := Statements(cat); err != nil {
				t.Fatalf("Statements of a loaded file: %v", err)
			}
			return
		}
		list := position.AsList(err)
		if list == nil {
			t.Fatalf("error without position: %v", err)
		}
		file := sqlpos.NewFile("schema/a.sql", []byte(src))
		end := file.Pos(len(src))
		for _, e := range list {
			if e.Pos.File != "schema/a.sql" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.Compare(end) > 0 {
				t.Errorf("error outside the file (ends at %v): %v", end, e)
			}
		}
	})
}
