package unscoped

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/schema"
)

// TestMayReference checks that the tokenizer's prefilter never hides what
// the parser would report: for each statement with a tenant reference or a
// problem, mayReference must say so.
func TestMayReference(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "tenantc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := schema.Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sql  string
		want bool
	}{
		{`SELECT * FROM "tickets"`, true},
		{`SELECT * FROM TICKETS t JOIN plans p ON p.id = t.plan_id`, true},
		{`SELECT nextval('"invoice_seq"')`, true},
		{`SELECT nextval('public.INVOICE_SEQ')`, true},
		{`SELECT E'tickets'::regclass`, true},
		{`SELECT $1::TICKET_STATUS`, true},
		{`SELECT Ticket_Count()`, true},
		{`SELECT id FROM "Patients"`, true},
		{`SET search_path = tenant_1`, true},
		{`SET "search_path" TO tenant_1`, true},
		{`SET SCHEMA 'tenant_1'`, true},
		{`RESET ALL`, true},
		{`SELECT set_config('SEARCH_PATH', 'x', false)`, true},
		{`SELECT E'\'' AS q, id FROM tickets`, true},
		{`SELECT E'\\' AS q, id FROM "Patients"`, true},
		{`SELECT nextval('tickets_id_seq')`, true},
		{`SELECT id, name FROM plans WHERE name = 'open'`, false},
		{`SELECT E'\'tickets' AS q, id FROM plans`, false},
		{`SELECT id FROM patients`, false},
		{`SELECT 1`, false},
	}
	for _, tt := range tests {
		refs, problems, err := sqlref.Find(cat, cfg.SharedSchema, tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		parsed := len(problems) > 0
		for _, r := range refs {
			parsed = parsed || r.Object.Scope == schema.Tenant
		}
		if parsed != tt.want {
			t.Errorf("%s: parser finds something: %v, want %v", tt.sql, parsed, tt.want)
		}
		if got := mayReference(cat, tt.sql); got != tt.want {
			t.Errorf("mayReference(%s) = %v, want %v", tt.sql, got, tt.want)
		}
		if tt.want && prefilterWords(cat).none(tt.sql) {
			t.Errorf("prefilterWords(cat).none(%s) = true, want false", tt.sql)
		}
	}
}
