package tenancy_test

import (
	"testing"

	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

// onlyNameBytes reports whether s holds only [a-z0-9_].
func onlyNameBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func FuzzValidateTenantID(f *testing.F) {
	for _, s := range []string{"acme", "0", "a_b", "_a", "A", "a-b", "", "a\"b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if tenancy.ValidateTenantID(id) != nil {
			return
		}
		if !onlyNameBytes(id) || len(id) < 1 || len(id) > 48 || id[0] == '_' {
			t.Fatalf("ValidateTenantID accepted %q", id)
		}
		// Every valid id makes a valid default schema name.
		if err := tenancy.ValidateSchemaName("tenant_" + id); err != nil {
			t.Fatalf("tenant_%s: %v", id, err)
		}
	})
}

func FuzzValidateSchemaName(f *testing.F) {
	for _, s := range []string{"tenant_acme", "public", "_x", "pg_x", "1x", "a.b", `a"b`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, schema string) {
		if tenancy.ValidateSchemaName(schema) != nil {
			return
		}
		if !onlyNameBytes(schema) || len(schema) > 63 || schema == "" {
			t.Fatalf("ValidateSchemaName accepted %q", schema)
		}
		// What reaches SQL text is exactly the name in double quotes.
		tn := tenanttest.NewTenant(t, "x", schema)
		if got, want := tenancy.QuotedPrefix(tn), `"`+schema+`".`; got != want {
			t.Fatalf("quoted prefix of %q = %q, want %q", schema, got, want)
		}
	})
}
