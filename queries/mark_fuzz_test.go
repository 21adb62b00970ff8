package queries

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
	"github.com/tenantc/tenantc/tenancy"
)

// fuzzSchemaPrefix is the quoted schema the fuzz targets render tenant
// references with.
const fuzzSchemaPrefix = `"tenant_fuzz".`

func fuzzCatalog(tb testing.TB) *schema.Catalog {
	cat, err := schema.NewCatalog(
		&schema.Object{Name: "plans", Kind: schema.Table, Scope: schema.Shared},
		&schema.Object{Name: "Audit", Kind: schema.Table, Scope: schema.Shared},
		&schema.Object{Name: "tickets", Kind: schema.Table, Scope: schema.Tenant},
		&schema.Object{Name: "ticket_seq", Kind: schema.Sequence, Scope: schema.Tenant},
		&schema.Object{Name: "open_tickets", Kind: schema.View, Scope: schema.Tenant},
		&schema.Object{Name: "status", Kind: schema.Enum, Scope: schema.Tenant},
		&schema.Object{Name: "score", Kind: schema.Function, Scope: schema.Tenant},
		&schema.Object{Name: "plan_price", Kind: schema.Function, Scope: schema.Shared},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// newRuntimeSQL calls tenancy.NewSQL, which panics on offsets it would
// render wrongly, and returns the panic as an error.
func newRuntimeSQL(text string, refs []int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	tenancy.NewSQL(text, refs...)
	return nil
}

var fuzzQuerySeeds = []string{
	"-- name: GetTicket :one\nSELECT * FROM tickets WHERE id = $1;\n",
	"-- name: A :many\nWITH t AS (SELECT id FROM plans) SELECT * FROM t JOIN tickets USING (id);\n-- name: B :exec\nDELETE FROM tickets USING plans WHERE plans.id = tickets.plan_id;\n",
	"SELECT nextval('ticket_seq'), currval(E'ticket_seq'), 'public.\"Audit\"'::regclass;",
	"SELECT score(t.*)::status FROM open_tickets t, public.plans p WHERE plan_price(p.id) > 0;",
	"UPDATE tickets SET s = 'open'::status FROM plans WHERE plans.id = tickets.plan_id RETURNING *;",
	"INSERT INTO tickets (id) SELECT id FROM tickets ON CONFLICT DO NOTHING;",
	"MERGE INTO tickets t USING plans p ON t.id = p.id WHEN MATCHED THEN DELETE;",
	"SELECT * FROM tenant_a.tickets; SET search_path = x; SELECT set_config('search_path', 'x', true);",
	"SELECT nextval(' ticket_seq'), 'TICKET_SEQ'::regclass, U&\"tickets\" FROM \"tickets\";",
	"-- name: X :copyfrom\nINSERT INTO tickets (a, b) VALUES ($1, $2);\n/* name: Y :one */ SELECT $$;$$, ';' FROM plans",
	"SELECT sqlc.arg(a), sqlc.embed(tickets) FROM tickets; SELECT",
	"WITH RECURSIVE tickets AS (SELECT 1 UNION ALL SELECT 1 FROM tickets) SELECT * FROM tickets;",
}

// FuzzMark checks the pure parts of query analysis on arbitrary SQL: the
// checker's statement splitting and sqlref.Find/mark. Nothing may
// panic; splitting covers the file in order; and a statement tenantc
// accepts, once rendered for a tenant, still parses, leaves no tenant
// reference unqualified and no shared reference unqualified, and carries
// offsets that the runtime's NewSQL accepts.
func FuzzMark(f *testing.F) {
	for _, s := range fuzzQuerySeeds {
		f.Add(s)
	}
	cat := fuzzCatalog(f)
	f.Fuzz(func(t *testing.T, src string) {
		// Splitting, as Analyze's first pass does it.
		c := &checker{cat: cat, shared: "public", starts: map[position.Pos]position.Pos{}, sources: map[string]*source{}}
		file := sqlpos.NewFile("q.sql", []byte(src))
		accepted := c.file(file)
		end := file.Pos(len(src))
		for _, e := range c.errs {
			if e.Pos.File != "q.sql" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.Compare(end) > 0 {
				t.Errorf("error outside the file (ends at %v): %v", end, e)
			}
		}
		if s := c.sources["q.sql"]; s != nil {
			prev := 0
			for i, sp := range s.spans {
				if sp.start != prev || sp.end < sp.start || sp.end > len(src) {
					t.Fatalf("span %d is [%d,%d) after %d in a %d-byte file", i, sp.start, sp.end, prev, len(src))
				}
				prev = sp.end
			}
		}

		// Marking from the first pass's references gives what marking
		// the statement afresh gives, for the text as sqlc returns it.
		for _, st := range accepted {
			sql := st.body[:st.end]
			if !st.reusable(sql) {
				t.Fatalf("statement %q: its own text %q is not reusable", st.name, sql)
			}
			fresh, reused := &Query{SQL: sql}, &Query{SQL: sql}
			if err := mark(fresh, cat, "public"); err != nil {
				t.Fatalf("statement %q passed the checks but marking it failed: %v", sql, err)
			}
			qualify(reused, st.refs, st.scope, "public")
			if diff := cmp.Diff(fresh, reused); diff != "" {
				t.Fatalf("statement %q marked from the first pass differs (-fresh +reused):\n%s", sql, diff)
			}
		}

		refs, probs, err := sqlref.Find(cat, "public", src)
		if err != nil {
			return
		}
		for _, r := range refs {
			if r.Offset < 0 || r.Offset >= len(src) {
				t.Fatalf("reference to %s at %d, outside the %d-byte text", r.Object.Name, r.Offset, len(src))
			}
		}
		for _, p := range probs {
			if p.Offset < 0 || p.Offset > len(src) {
				t.Fatalf("problem %q at %d, outside the %d-byte text", p.Msg, p.Offset, len(src))
			}
		}
		if len(probs) > 0 {
			return
		}
		q := &Query{SQL: src}
		if err := mark(q, cat, "public"); err != nil {
			t.Fatalf("sqlref.Find found no problem but mark failed: %v", err)
		}
		if err := newRuntimeSQL(q.SQL, q.TenantRefs); err != nil {
			t.Fatalf("marked SQL %q with references %v is rejected by tenancy.NewSQL: %v", q.SQL, q.TenantRefs, err)
		}
		rendered := q.SQLFor(fuzzSchemaPrefix)
		if _, err := pg_query.Parse(rendered); err != nil {
			t.Fatalf("rendered SQL %q does not parse: %v", rendered, err)
		}
		after, probs, err := sqlref.Find(cat, "public", rendered)
		if err != nil {
			t.Fatalf("rendered SQL %q: %v", rendered, err)
		}
		for _, r := range after {
			if !r.Qualified {
				t.Errorf("rendered SQL %q leaves %s %s at %d unqualified", rendered, r.Object.Scope, r.Object.Name, r.Offset)
			}
		}
		// Each tenant reference now names the tenant schema, which the
		// checker reports as a qualified tenant object.
		qualified := 0
		for _, p := range probs {
			if strings.Contains(p.Msg, "must not be schema-qualified") {
				qualified++
			}
		}
		if qualified != len(q.TenantRefs) {
			t.Errorf("rendered SQL %q: %d qualified tenant references, want %d", rendered, qualified, len(q.TenantRefs))
		}
	})
}
