package queries

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/schema"
)

// TestMark covers statements the sqlc engine rejects or cannot type, so
// they are checked on the walker alone.
func TestMark(t *testing.T) {
	cat, err := schema.NewCatalog(
		&schema.Object{Name: "plans", Kind: schema.Table, Scope: schema.Shared},
		&schema.Object{Name: "Audit", Kind: schema.Table, Scope: schema.Shared},
		&schema.Object{Name: "tickets", Kind: schema.Table, Scope: schema.Tenant},
		&schema.Object{Name: "ticket_seq", Kind: schema.Sequence, Scope: schema.Tenant},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		sql   string
		scope schema.Scope
		want  string // with "t1". at each tenant reference
	}{
		{
			name:  "NestedWith",
			sql:   "WITH a AS (SELECT id FROM plans), b AS (WITH tickets AS (SELECT id FROM a) SELECT id FROM tickets) SELECT id FROM b, tickets",
			scope: schema.Tenant,
			want:  `WITH a AS (SELECT id FROM "public".plans), b AS (WITH tickets AS (SELECT id FROM a) SELECT id FROM tickets) SELECT id FROM b, "t1".tickets`,
		},
		{
			name:  "InnerWithDoesNotLeak",
			sql:   "SELECT id FROM (WITH tickets AS (SELECT 1 AS id) SELECT id FROM tickets) s, tickets",
			scope: schema.Tenant,
			want:  `SELECT id FROM (WITH tickets AS (SELECT 1 AS id) SELECT id FROM tickets) s, "t1".tickets`,
		},
		{
			name:  "RecursiveSeesLaterCTE",
			sql:   "WITH RECURSIVE a AS (SELECT id FROM tickets), tickets AS (SELECT id FROM a) SELECT id FROM tickets",
			scope: schema.Shared,
			want:  `WITH RECURSIVE a AS (SELECT id FROM tickets), tickets AS (SELECT id FROM a) SELECT id FROM tickets`,
		},
		{
			name:  "Merge",
			sql:   "MERGE INTO tickets t USING plans p ON t.plan_id = p.id WHEN MATCHED THEN UPDATE SET title = p.name",
			scope: schema.Tenant,
			want:  `MERGE INTO "t1".tickets t USING "public".plans p ON t.plan_id = p.id WHEN MATCHED THEN UPDATE SET title = p.name`,
		},
		{
			name:  "RegclassFolding",
			sql:   `SELECT 'TICKET_SEQ'::regclass, '"Audit"'::regclass, '"Ticket_seq"'::regclass, '123'::regclass`,
			scope: schema.Tenant,
			want:  `SELECT '"t1".TICKET_SEQ'::regclass, '"public"."Audit"'::regclass, '"Ticket_seq"'::regclass, '123'::regclass`,
		},
		{
			name:  "TruncateAndLock",
			sql:   "TRUNCATE tickets, plans",
			scope: schema.Tenant,
			want:  `TRUNCATE "t1".tickets, "public".plans`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &Query{SQL: tt.sql}
			if err := mark(q, cat, "public"); err != nil {
				t.Fatal(err)
			}
			if q.Scope != tt.scope {
				t.Errorf("Scope = %v, want %v", q.Scope, tt.scope)
			}
			if diff := cmp.Diff(tt.want, q.SQLFor(`"t1".`)); diff != "" {
				t.Errorf("SQLFor (-want +got):\n%s", diff)
			}
		})
	}
}
