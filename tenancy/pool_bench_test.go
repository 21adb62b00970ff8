package tenancy_test

import (
	"context"
	"testing"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// BenchmarkPointSelect runs one tenant's point select on a plain pgxpool
// (as sqlc code does), through a Conn bound to that pool, and through a
// Conn of a tenancy.Pool, one client: the Pool's routing and statement
// cache must cost at most one allocation per call (bench/ compares
// speed).
func BenchmarkPointSelect(b *testing.B) {
	url, tenants := poolFleet(b, 1)
	ctx := context.Background()
	plain := pgtest.Connect(b, url)
	p := openPool(b, url, 4, nil)
	c := tenancy.Bind(plain, tenants[0])
	text := c.SQL(ownerByID)
	for _, bc := range []struct {
		name string
		run  func() error
	}{
		{"pgxpool", func() error {
			var owner string
			return plain.QueryRow(ctx, text, 1).Scan(&owner)
		}},
		{"Bind(pgxpool)", func() error {
			var owner string
			return c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner)
		}},
		{"Pool", func() error {
			var owner string
			pc := p.Bind(tenants[0])
			return pc.QueryRow(ctx, pc.SQL(ownerByID), 1).Scan(&owner)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
