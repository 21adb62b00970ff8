package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/bench/internal/tenantdb"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// fleetTenant is the id and schema of the i-th tenant of a fleet.
func fleetTenant(i int) (id, schema string) {
	id = fmt.Sprintf("t%05d", i)
	return id, "tenant_" + id
}

// BenchmarkTenantPointSelect runs the generated point select round-robin
// over a fleet of registered tenants, one call per tenant in turn, under
// each exec mode. Every tenant has its own statement text, so a fleet
// larger than pgx's statement cache (512 per connection) shows what the
// cache modes cost; mode=newpool runs it on tenancy.NewPool's defaults.
func BenchmarkTenantPointSelect(b *testing.B) {
	ctx := context.Background()
	const (
		maxTenants = 1000
		rows       = 100
	)
	db := pgtest.New(b)
	shared, tenant := readSchema(b, "001_shared.sql"), readSchema(b, "002_tenant.sql")
	if _, err := db.Pool.Exec(ctx, shared); err != nil {
		b.Fatal(err)
	}
	// In chunks, so no transaction holds locks on every schema at once.
	const chunk = 100
	for lo := 0; lo < maxTenants; lo += chunk {
		var sql strings.Builder
		for i := lo; i < min(lo+chunk, maxTenants); i++ {
			id, schema := fleetTenant(i)
			sql.WriteString(tenantSchemaSQL(tenant, schema) + seedItemsSQL(schema, rows) + registerSQL(id, schema))
		}
		if _, err := db.Pool.Exec(ctx, sql.String()); err != nil {
			b.Fatal(err)
		}
	}
	reg := tenancy.NewRegistry(db.Pool)
	tenants := make([]tenancy.Tenant, maxTenants)
	for i := range tenants {
		id, _ := fleetTenant(i)
		t, err := reg.Lookup(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		tenants[i] = t
	}
	run := func(mode string, bind func(tenancy.Tenant) tenancy.Conn) {
		for _, n := range []int{1, 100, maxTenants} {
			qs := make([]*tenantdb.TenantQueries, n)
			for i := range qs {
				qs[i] = tenantdb.NewTenant(bind(tenants[i]))
			}
			b.Run(fmt.Sprintf("mode=%s/tenants=%d", mode, n), func(b *testing.B) {
				b.ReportAllocs()
				var k int
				for b.Loop() {
					k++
					id := int64(k%rows + 1)
					it, err := qs[k%n].GetItem(ctx, id)
					if err != nil || it.ID != id {
						b.Fatalf("GetItem(%d) = %v, %v", id, it.ID, err)
					}
				}
			})
		}
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for _, mode := range modes {
		pool := pgtest.Connect(b, db.URL, pgtest.WithExecMode(mode))
		run(pgtest.ModeName(mode), func(t tenancy.Tenant) tenancy.Conn { return tenancy.Bind(pool, t) })
	}
	// tenancy.NewPool with its defaults, the way tenantc documents to
	// connect: it picks the exec mode per statement itself.
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		b.Fatal(err)
	}
	pool, err := tenancy.NewPool(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	run("newpool", pool.Bind)
}
