package tenancy_test

import (
	"context"
	"testing"

	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := tenancy.FromContext(ctx); ok {
		t.Error("FromContext on an empty context reported a tenant")
	}
	if _, ok := tenancy.FromContext(tenancy.NewContext(ctx, tenancy.Tenant{})); ok {
		t.Error("FromContext reported the zero tenant")
	}
	acme := tenanttest.NewTenant(t, "acme", "tenant_acme")
	if got, ok := tenancy.FromContext(tenancy.NewContext(ctx, acme)); !ok || got != acme {
		t.Errorf("FromContext = %v, %v; want %v, true", got, ok, acme)
	}
}
