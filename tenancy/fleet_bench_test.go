package tenancy_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// BenchmarkFleetPointSelect runs one tenant's point select through a
// Conn of a tenancy.Pool and through a Conn of a one-server Fleet on the
// same database, with the tenant placed on that server by the registry,
// one client: the Fleet's routing (a map lookup per Bind) is the only
// difference.
func BenchmarkFleetPointSelect(b *testing.B) {
	url, _ := poolFleet(b, 1)
	ctx := context.Background()
	admin := pgtest.Connect(b, url)
	if _, err := admin.Exec(ctx, `CREATE TABLE tenants (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, server text);
INSERT INTO tenants VALUES ('t0', 'tenant_t0', 'one')`); err != nil {
		b.Fatal(err)
	}
	p := openPool(b, url, 4, nil)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 4
	fleet, err := tenancy.NewFleet(ctx, []tenancy.Server{{Name: "one", Config: cfg}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(fleet.Close)
	tn, err := fleet.Registry().Lookup(ctx, "t0")
	if err != nil || tn.Server() != "one" {
		b.Fatalf("Lookup(t0) = %v, %v", tn, err)
	}
	for _, bc := range []struct {
		name string
		bind func(tenancy.Tenant) tenancy.Conn
	}{
		{"Pool", p.Bind},
		{"Fleet", fleet.Bind},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var owner string
				c := bc.bind(tn)
				if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
