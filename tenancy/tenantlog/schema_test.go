package tenantlog

import "testing"

func TestTenantSchemaIn(t *testing.T) {
	tests := []struct{ sql, want string }{
		{`SELECT 1`, ""},
		{`SELECT * FROM "tenant_a".items`, "tenant_a"},
		{`SELECT * FROM "public".users u JOIN "tenant_a".orders o ON o.buyer_id = u.id`, "tenant_a"},
		{`SELECT * FROM "public".users`, ""},
		{`SELECT '"not_a".x' FROM t`, "not_a"}, // text, not parsed: a quoted qualifier is taken as written
		{`SELECT "Col" FROM t`, ""},
		{`SELECT "a"."b"`, "a"},
		{`"`, ""},
		{`"".x`, ""},
		{`"x"`, ""},
	}
	for _, tt := range tests {
		if got := tenantSchemaIn(tt.sql, "public"); got != tt.want {
			t.Errorf("tenantSchemaIn(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}
