package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/tenancy"
)

// yamlLines counts the lines of src as YAML does: \r\n, \r, \n, NEL, LS
// and PS each end a line.
func yamlLines(src string) int {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	n := 1
	for _, r := range src {
		switch r {
		case '\r', '\n', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

// FuzzParse feeds arbitrary bytes to Parse as tenantc.yaml. It must not
// panic; a rejected file must be reported as positioned errors inside it;
// an accepted file must only name schemas and tables that are safe to put
// in SQL (the runtime quotes them, but the contract also restricts them).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"version: \"1\"\n",
		"version: \"1\"\nschema: [schema]\nqueries: [queries]\ndefault_scope: tenant\nshared_schema: app\ntenant_schema: \"t_{id}\"\ngen: {package: db, out: internal/db}\nmigrations: {dir: migrations, dev_url: \"\"}\n",
		"registry: {table: tenants}\ngen:\n  package: db\n  emit_json_tags: true\n  json_tags_case_style: camel\n  overrides:\n    - db_type: uuid\n      go_type: github.com/google/uuid.UUID\n",
		"tenant_schema: \"{id}\"\nshared_schema: \"\"\n",
		"tenant_schema: \"x_{id}_{id}\"\n",
		"shared_schema: \"pg_x\"\ntenant_schema: 'a\"b_{id}'\n",
		"version: 1\nversion: 2\n",
		"gen: [1, 2]\nschema: {a: b}\n",
		"\tfoo: [\n",
		"a: &x [*x]\n",
		"gen:\n  overrides:\n    - column: \"a.b\"\n      go_type: {import: x, type: Y, pointer: true}\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	for _, d := range []string{"schema", "queries"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	path := filepath.Join(dir, FileName)
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse(path, src)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || len(ce.List) == 0 {
				t.Fatalf("error is not a positioned *config.Error: %v", err)
			}
			lines := yamlLines(string(src))
			if bytes.HasPrefix(src, []byte("\xfe\xff")) || bytes.HasPrefix(src, []byte("\xff\xfe")) {
				// yaml.v3 decodes UTF-16 by its byte order mark, and
				// positions count the decoded lines.
				lines = len(src)
			}
			for _, e := range ce.List {
				if e.Pos.File != FileName || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.Line > lines {
					t.Errorf("error outside the %d-line file: %v", lines, e)
				}
			}
			if position.AsList(err) == nil {
				t.Errorf("position.AsList does not see the errors of %v", err)
			}
			return
		}
		if c == nil {
			t.Fatal("Parse returned neither a config nor an error")
		}
		if err := tenancy.ValidateSchemaName(c.SharedSchema); err != nil {
			t.Errorf("accepted shared_schema: %v", err)
		}
		for _, id := range []string{"0", "a", strings.Repeat("z", 48)} {
			if s := c.TenantSchemaFor(id); strings.ContainsAny(s, "\"'.;\\ \x00") || !strings.Contains(s, id) {
				t.Errorf("tenant_schema %q gives schema %q for id %q", c.TenantSchema, s, id)
			}
		}
		if err := tenancy.ValidateSchemaName(c.TenantSchemaFor("a")); err != nil {
			t.Errorf("accepted tenant_schema %q: %v", c.TenantSchema, err)
		}
		if c.TenantSchemaFor("") == c.SharedSchema {
			t.Errorf("tenant_schema %q can name the shared schema %q", c.TenantSchema, c.SharedSchema)
		}
		if err := tenancy.ValidateSchemaName(c.Registry.Table); err != nil && !strings.HasPrefix(c.Registry.Table, "pg_") {
			t.Errorf("accepted registry.table: %v", err)
		}
		if c.Gen.Package == "" || c.Gen.Out == "" || len(c.Schema) == 0 || len(c.Queries) == 0 {
			t.Errorf("accepted an incomplete config: %+v", c)
		}
	})
}
