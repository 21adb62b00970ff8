package vet_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/schema"
	"github.com/tenantc/tenantc/vet"
)

// load writes a project with the schema file and loads its config and
// catalog.
func load(t *testing.T, schemaSQL string) (*config.Config, *schema.Catalog) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"tenantc.yaml":        "version: \"1\"\n",
		"schema/schema.sql":   schemaSQL,
		"queries/queries.sql": "-- name: One :one\nSELECT 1;\n",
	}
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "tenantc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := schema.Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, cat
}

func TestCheckSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   []string // finding strings
	}{
		{
			name: "tenant table without primary key",
			schema: `-- tenantc:tenant
CREATE TABLE events (at timestamptz NOT NULL);
-- tenantc:shared
CREATE TABLE logs (at timestamptz NOT NULL);
`,
			want: []string{`schema/schema.sql:2:14: tenant table "events" has no primary key; rows of a per-tenant copy cannot be addressed, replicated or moved between servers by key (tenant-table-no-pk)`},
		},
		{
			name: "primary keys in every form",
			schema: `-- tenantc:default tenant
CREATE TABLE a (id bigint PRIMARY KEY);
CREATE TABLE b (x int, y int, PRIMARY KEY (x, y));
CREATE TABLE c (id bigint NOT NULL);
ALTER TABLE c ADD PRIMARY KEY (id);
CREATE TABLE d (id bigint NOT NULL, CONSTRAINT d_pk PRIMARY KEY (id));
`,
		},
		{
			name: "foreign keys from tenant tables to shared tables",
			schema: `-- tenantc:default tenant
-- tenantc:shared
CREATE TABLE users (id bigint PRIMARY KEY);
-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY, owner_id bigint REFERENCES users (id));
CREATE TABLE products (id bigint PRIMARY KEY);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    product_id bigint REFERENCES products (id),
    buyer_id bigint NOT NULL REFERENCES users (id),
    plan_id bigint,
    FOREIGN KEY (plan_id) REFERENCES plans (id)
);
CREATE TABLE notes (id bigint PRIMARY KEY, author_id bigint, order_id bigint);
ALTER TABLE notes ADD CONSTRAINT notes_author_fk FOREIGN KEY (author_id) REFERENCES   users (id);
ALTER TABLE notes ADD FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE notes ADD COLUMN editor_id bigint REFERENCES "users";
`,
			want: []string{
				`schema/schema.sql:10:41: tenant table "orders" references shared table "users": each tenant adds triggers to "users"; creating tenants and writing "users" slow down as the fleet grows (tenant-fk-to-shared)`,
				`schema/schema.sql:12:38: tenant table "orders" references shared table "plans": each tenant adds triggers to "plans"; creating tenants and writing "plans" slow down as the fleet grows (tenant-fk-to-shared)`,
				`schema/schema.sql:15:87: tenant table "notes" references shared table "users": each tenant adds triggers to "users"; creating tenants and writing "users" slow down as the fleet grows (tenant-fk-to-shared)`,
				`schema/schema.sql:17:58: tenant table "notes" references shared table "users": each tenant adds triggers to "users"; creating tenants and writing "users" slow down as the fleet grows (tenant-fk-to-shared)`,
			},
		},
		{
			name: "foreign key without a column list is a warning",
			schema: `-- tenantc:shared
CREATE TABLE users (id bigint PRIMARY KEY);
-- tenantc:tenant
CREATE TABLE orders (id bigint PRIMARY KEY, buyer_id bigint REFERENCES users);
`,
			want: []string{
				`schema/schema.sql:4:72: tenant table "orders" references shared table "users": each tenant adds triggers to "users"; creating tenants and writing "users" slow down as the fleet grows (tenant-fk-to-shared)`,
			},
		},
		{
			name: "tenantc:ignore",
			schema: `-- tenantc:shared
CREATE TABLE users (id bigint PRIMARY KEY);
-- tenantc:tenant
-- tenantc:ignore a small fleet: the key is worth its triggers
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    buyer_id bigint REFERENCES users (id)
);
-- tenantc:tenant
CREATE TABLE notes (
    id bigint PRIMARY KEY,
    author_id bigint REFERENCES users (id), -- tenantc:ignore authors are never deleted
    editor_id bigint REFERENCES users (id)
); -- tenantc:ignore this trailing comment covers its own line only
-- tenantc:tenant
CREATE TABLE log (at timestamptz, what text);
-- tenantc:tenant
--tenantc:ignore
CREATE TABLE audit (at timestamptz, buyer_id bigint REFERENCES users (id));
`,
			want: []string{
				`schema/schema.sql:13:33: tenant table "notes" references shared table "users": each tenant adds triggers to "users"; creating tenants and writing "users" slow down as the fleet grows (tenant-fk-to-shared)`,
				`schema/schema.sql:19:64: tenant table "audit" references shared table "users": each tenant adds triggers to "users"; creating tenants and writing "users" slow down as the fleet grows (tenant-fk-to-shared)`,
				`schema/schema.sql:16:14: tenant table "log" has no primary key; rows of a per-tenant copy cannot be addressed, replicated or moved between servers by key (tenant-table-no-pk)`,
				`schema/schema.sql:19:14: tenant table "audit" has no primary key; rows of a per-tenant copy cannot be addressed, replicated or moved between servers by key (tenant-table-no-pk)`,
				`schema/schema.sql:18:11: tenantc:ignore needs a reason: -- tenantc:ignore <why this is acceptable> (ignore-reason)`,
			},
		},
		{
			name: "security definer",
			schema: `-- tenantc:tenant
CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
-- tenantc:shared
CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
`,
			want: []string{`schema/schema.sql:2:46: tenant function "f" is SECURITY DEFINER: it runs with its owner's rights in every tenant schema; use SECURITY INVOKER and grant what it needs (security-definer)`},
		},
		{
			name: "function search_path",
			schema: `-- tenantc:default tenant
CREATE FUNCTION ok() RETURNS int LANGUAGE sql SET search_path FROM CURRENT AS $$ SELECT 1 $$;
CREATE FUNCTION fixed() RETURNS int LANGUAGE sql SET search_path = public AS $$ SELECT 1 $$;
CREATE FUNCTION body() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('search_path', 'tenant_2', true);
END $$;
`,
			want: []string{
				`schema/schema.sql:3:50: tenant function "fixed" sets its own search_path; tenantc creates tenant functions with SET search_path FROM CURRENT so that they resolve in their tenant's schema (function-search-path)`,
				`schema/schema.sql:6:11: tenant function "body" changes search_path; it would leave its tenant's schema for the rest of the transaction (function-search-path)`,
			},
		},
		{
			name: "dynamic SQL in tenant functions",
			schema: `-- tenantc:default tenant
CREATE TABLE tickets (id bigint PRIMARY KEY);
CREATE FUNCTION purge(s text, t text, q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I', t);
  EXECUTE format('DELETE FROM %s WHERE id = %L', t, 1);
  EXECUTE format('DELETE FROM %I.tickets', s);
  EXECUTE 'DELETE FROM tenant_1.tickets';
  EXECUTE q;
  EXECUTE 'DELETE FROM tickets';
END $$;
`,
			want: []string{
				`schema/schema.sql:6:3: tenant function "purge" runs EXECUTE format(...) with a table name spliced in by %s; a value such as other_schema.t would leave the function's schema: use %I (dynamic-sql-in-function)`,
				`schema/schema.sql:7:3: tenant function "purge" runs EXECUTE format(...) with a schema chosen at run time (%I.name); it can reach another tenant's objects, while an unqualified name stays in the function's own schema (dynamic-sql-in-function)`,
				`schema/schema.sql:8:3: tenant function "purge" runs EXECUTE: tenant table "tickets" must not be schema-qualified; tenantc qualifies it with the tenant's schema (dynamic-sql-in-function)`,
				`schema/schema.sql:9:3: tenant function "purge" runs EXECUTE on a string built at run time; tenantc cannot see which objects it names (write it as EXECUTE format('...') with the object names in the literal) (dynamic-sql-in-function)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, cat := load(t, tt.schema)
			findings, err := vet.CheckSchema(cfg, cat)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, f.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailed(t *testing.T) {
	warn := []vet.Finding{{Rule: vet.RuleDynamicSQL, Severity: vet.Warning}}
	errs := []vet.Finding{{Rule: vet.RuleUnscoped, Severity: vet.Error}}
	tests := []struct {
		name     string
		findings []vet.Finding
		strict   bool
		want     bool
	}{
		{"clean", nil, true, false},
		{"warning", warn, false, false},
		{"warning strict", warn, true, true},
		{"error", errs, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := vet.Failed(tt.findings, tt.strict); got != tt.want {
				t.Errorf("Failed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForeignKeyToSharedIsWarning(t *testing.T) {
	cfg, cat := load(t, `-- tenantc:shared
CREATE TABLE users (id bigint PRIMARY KEY);
-- tenantc:tenant
CREATE TABLE orders (id bigint PRIMARY KEY, buyer_id bigint REFERENCES users);
`)
	findings, err := vet.CheckSchema(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Rule != vet.RuleTenantFKToShared || findings[0].Severity != vet.Warning {
		t.Fatalf("findings = %+v, want one %s warning", findings, vet.RuleTenantFKToShared)
	}
	if vet.Failed(findings, false) {
		t.Error("a foreign key to a shared table fails vet without --strict")
	}
	if !vet.Failed(findings, true) {
		t.Error("a foreign key to a shared table does not fail vet --strict")
	}
}

// A pg_dump since PostgreSQL 15.14 wraps the dump in \restrict lines,
// which are psql meta-commands, not SQL: vet reads such a file as the
// loader does, and finds what it finds in the same SQL without them.
func TestCheckSchemaReadsPgDumpMetaCommands(t *testing.T) {
	cfg, cat := load(t, `\restrict abc123
-- tenantc:default tenant
CREATE TABLE public.notes (body text);
\unrestrict abc123
`)
	findings, err := vet.CheckSchema(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Rule != vet.RuleNoPrimaryKey || findings[0].Pos.Line != 3 {
		t.Fatalf("findings = %+v, want the missing primary key on line 3", findings)
	}
}
