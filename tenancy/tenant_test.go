package tenancy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestValidateTenantID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"letters", "acme", true},
		{"digit first", "42", true},
		{"underscore inside", "acme_corp_2", true},
		{"one byte", "a", true},
		{"48 bytes", strings.Repeat("a", 48), true},
		{"empty", "", false},
		{"49 bytes", strings.Repeat("a", 49), false},
		{"underscore first", "_acme", false},
		{"upper case", "Acme", false},
		{"hyphen", "acme-corp", false},
		{"dot", "acme.corp", false},
		{"space", "acme corp", false},
		{"quote", `acme"`, false},
		{"semicolon", "a;drop", false},
		{"non-ASCII", "café", false},
		{"NUL", "a\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tenancy.ValidateTenantID(tt.id)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidateTenantID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
			}
			if err != nil && !errors.Is(err, tenancy.ErrInvalidTenantID) {
				t.Errorf("error %v does not match ErrInvalidTenantID", err)
			}
		})
	}
}

func TestValidateSchemaName(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		ok     bool
	}{
		{"tenant pattern", "tenant_acme", true},
		{"public", "public", true},
		{"underscore first", "_t", true},
		{"digits inside", "t42", true},
		{"63 bytes", strings.Repeat("s", 63), true},
		{"pg without underscore", "pgfoo", true},
		{"empty", "", false},
		{"64 bytes", strings.Repeat("s", 64), false},
		{"digit first", "1tenant", false},
		{"pg_ prefix", "pg_catalog", false},
		{"pg_ only", "pg_", false},
		{"upper case", "Tenant", false},
		{"quote", `t"x`, false},
		{"dot", "a.b", false},
		{"hyphen", "tenant-a", false},
		{"dollar", "t$", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tenancy.ValidateSchemaName(tt.schema)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidateSchemaName(%q) = %v, want ok=%v", tt.schema, err, tt.ok)
			}
			if err != nil && !errors.Is(err, tenancy.ErrInvalidSchemaName) {
				t.Errorf("error %v does not match ErrInvalidSchemaName", err)
			}
		})
	}
}

func TestTenantValue(t *testing.T) {
	var zero tenancy.Tenant
	if !zero.IsZero() || zero.ID() != "" || zero.Schema() != "" {
		t.Errorf("zero Tenant = %q/%q, IsZero %v", zero.ID(), zero.Schema(), zero.IsZero())
	}
	if got := zero.String(); got != "(no tenant)" {
		t.Errorf("zero String() = %q", got)
	}
	a := tenanttest.NewTenant(t, "acme", "tenant_acme")
	if a.IsZero() || a.ID() != "acme" || a.Schema() != "tenant_acme" {
		t.Errorf("Tenant = %q/%q, IsZero %v", a.ID(), a.Schema(), a.IsZero())
	}
	if got, want := a.String(), "acme (tenant_acme)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := tenancy.QuotedPrefix(a), `"tenant_acme".`; got != want {
		t.Errorf("quoted prefix = %q, want %q", got, want)
	}
	if b := tenanttest.NewTenant(t, "acme", "tenant_acme"); a != b {
		t.Errorf("equal tenants compare unequal: %v, %v", a, b)
	}
}
