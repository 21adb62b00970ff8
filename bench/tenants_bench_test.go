package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// fleetSQL creates n tenant schemas, each with the items table and 100 rows.
func fleetSQL(n int) string {
	var b strings.Builder
	for i := range n {
		s := pgx.Identifier{fmt.Sprintf("tenant_%05d", i)}.Sanitize()
		fmt.Fprintf(&b, `CREATE SCHEMA %[1]s;
CREATE TABLE %[1]s.items (id bigserial PRIMARY KEY, tenant text NOT NULL, n int NOT NULL, note text NOT NULL);
INSERT INTO %[1]s.items (tenant, n, note) SELECT '%05[2]d', g, 'note ' || g FROM generate_series(1, 100) g;
`, s, i)
	}
	return b.String()
}

// BenchmarkTenantPointSelect runs the point select round-robin over a fleet
// of tenants, one call per tenant in turn, under each exec mode. Every
// tenant has its own statement text, so a fleet larger than pgx's
// statement cache (512 per connection) shows what the cache modes cost.
func BenchmarkTenantPointSelect(b *testing.B) {
	ctx := context.Background()
	const maxTenants = 1000
	db := pgtest.New(b)
	if _, err := db.Pool.Exec(ctx, fleetSQL(maxTenants)); err != nil {
		b.Fatal(err)
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for _, mode := range modes {
		pool := pgtest.Connect(b, db.URL, pgtest.WithExecMode(mode))
		for _, n := range []int{1, 100, maxTenants} {
			conns := make([]tenancy.Conn, n)
			for i := range conns {
				conns[i] = tenancy.Bind(pool, tenancy.NewTenantForTest(b, fmt.Sprintf("%05d", i), fmt.Sprintf("tenant_%05d", i)))
			}
			b.Run(fmt.Sprintf("mode=%s/tenants=%d", pgtest.ModeName(mode), n), func(b *testing.B) {
				b.ReportAllocs()
				var k int
				for b.Loop() {
					k++
					q := tenantQueries{db: conns[k%n]}
					id := int64(k%100 + 1)
					it, err := q.GetItem(ctx, id)
					if err != nil || it.ID != id {
						b.Fatalf("GetItem(%d) = %v, %v", id, it.ID, err)
					}
				}
			})
		}
	}
}
