package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/bench/internal/sqlcdb"
	"github.com/tenantc/tenantc/bench/internal/tenantdb"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	// benchTenant is the tenant the single-tenant benchmarks run as.
	benchTenant = "bench"
	// itemRows is the number of items each schema starts with.
	itemRows = 1000
	// planRows is the number of shared plans items point at.
	planRows = 10
)

// readSchema returns the DDL of schema/name.
func readSchema(b *testing.B, name string) string {
	b.Helper()
	ddl, err := os.ReadFile(filepath.Join("schema", name))
	if err != nil {
		b.Fatal(err)
	}
	return string(ddl)
}

// tenantSchemaSQL creates schema and the tenant tables in it, as a
// tenant's migrations would: unqualified DDL under a transaction-local
// search_path, so the session's search_path is left as it was.
func tenantSchemaSQL(tenantDDL, schema string) string {
	s := pgx.Identifier{schema}.Sanitize()
	return fmt.Sprintf("BEGIN;\nCREATE SCHEMA %s;\nSET LOCAL search_path TO %[1]s;\n%s\nCOMMIT;\n", s, tenantDDL)
}

// seedItemsSQL inserts n items into schema's items table.
func seedItemsSQL(schema string, n int) string {
	return fmt.Sprintf(`INSERT INTO %s.items (plan_id, name, qty, note)
SELECT g %% %d + 1, 'item ' || g, g, 'note ' || g FROM generate_series(1, %d) g;
`, pgx.Identifier{schema}.Sanitize(), planRows, n)
}

// registerSQL adds id to the tenant registry.
func registerSQL(id, schema string) string {
	return fmt.Sprintf("INSERT INTO public.tenants (id, schema_name) VALUES ('%s', '%s');\n", id, schema)
}

// setup returns a fresh database holding every table of schema/ in public
// (for the sqlc code) and the tenant tables again in the schema of the
// registered tenant benchTenant, with the same rows in both.
func setup(b *testing.B) *pgtest.DB {
	b.Helper()
	shared, tenant := readSchema(b, "001_shared.sql"), readSchema(b, "002_tenant.sql")
	schema := "tenant_" + benchTenant
	sql := shared + tenant +
		fmt.Sprintf("INSERT INTO plans (id, name, price_cents) SELECT g, 'plan ' || g, g * 100 FROM generate_series(1, %d) g;\n", planRows) +
		seedItemsSQL("public", itemRows) +
		tenantSchemaSQL(tenant, schema) +
		seedItemsSQL(schema, itemRows) +
		registerSQL(benchTenant, schema) +
		"ANALYZE;\n"
	db := pgtest.New(b)
	if _, err := db.Pool.Exec(context.Background(), sql); err != nil {
		b.Fatal(err)
	}
	return db
}

// lookup returns the registered tenant id, as an app gets it per request.
func lookup(b *testing.B, pool *pgxpool.Pool, id string) tenancy.Tenant {
	b.Helper()
	t, err := tenancy.NewRegistry(pool).Lookup(context.Background(), id)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// impls runs one query's calls as sub-benchmarks impl=sqlc and
// impl=tenantc. Each function makes the k-th call and checks its result.
// One call before the timed loop prepares the statement, so neither side
// pays that in its numbers.
func impls(b *testing.B, sqlc, tenantc func(k int) error) {
	b.Helper()
	for _, impl := range []struct {
		name string
		call func(k int) error
	}{{"sqlc", sqlc}, {"tenantc", tenantc}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			if err := impl.call(0); err != nil {
				b.Fatal(err)
			}
			k := 0
			for b.Loop() {
				k++
				if err := impl.call(k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// itemID is the k-th call's item: every existing item in turn.
func itemID(k int) int64 { return int64(k%itemRows + 1) }

// checkID reports a call that did not return item id.
func checkID(query string, id, got int64, err error) error {
	if err != nil {
		return fmt.Errorf("%s(%d): %w", query, id, err)
	}
	if got != id {
		return fmt.Errorf("%s(%d): got item %d", query, id, got)
	}
	return nil
}

// checkList reports a list call that did not return 100 rows.
func checkList(after int64, n int, err error) error {
	if err != nil {
		return fmt.Errorf("ListItems(%d): %w", after, err)
	}
	if n != 100 {
		return fmt.Errorf("ListItems(%d): %d rows, want 100", after, n)
	}
	return nil
}

// BenchmarkP1 runs each query of queries/ through sqlc's generated code
// (impl=sqlc) and tenantc's (impl=tenantc) on one schema each, the point
// select also under the exec modes apps pick behind a pooler.
func BenchmarkP1(b *testing.B) {
	ctx := context.Background()
	db := setup(b)
	t := lookup(b, db.Pool, benchTenant)
	plain := sqlcdb.New(db.Pool)
	tq := tenantdb.NewTenant(tenancy.Bind(db.Pool, t))

	getItem := func(plain *sqlcdb.Queries, tq *tenantdb.TenantQueries) func(*testing.B) {
		return func(b *testing.B) {
			impls(b, func(k int) error {
				it, err := plain.GetItem(ctx, itemID(k))
				return checkID("GetItem", itemID(k), it.ID, err)
			}, func(k int) error {
				it, err := tq.GetItem(ctx, itemID(k))
				return checkID("GetItem", itemID(k), it.ID, err)
			})
		}
	}
	b.Run("GetItem", getItem(plain, tq)) // pgx's default mode
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeSimpleProtocol} {
		pool := pgtest.Connect(b, db.URL, pgtest.WithExecMode(mode))
		b.Run("GetItem/mode="+pgtest.ModeName(mode), getItem(sqlcdb.New(pool), tenantdb.NewTenant(tenancy.Bind(pool, t))))
	}
	b.Run("InsertItem", func(b *testing.B) {
		impls(b, func(k int) error {
			return plain.InsertItem(ctx, sqlcdb.InsertItemParams{PlanID: 1, Name: "inserted", Qty: int32(k), Note: "note"})
		}, func(k int) error {
			return tq.InsertItem(ctx, tenantdb.InsertItemParams{PlanID: 1, Name: "inserted", Qty: int32(k), Note: "note"})
		})
	})
	b.Run("ListItems", func(b *testing.B) {
		after := func(k int) int64 { return int64(k%9) * 100 } // inside the seeded rows
		impls(b, func(k int) error {
			items, err := plain.ListItems(ctx, after(k))
			return checkList(after(k), len(items), err)
		}, func(k int) error {
			items, err := tq.ListItems(ctx, after(k))
			return checkList(after(k), len(items), err)
		})
	})
	b.Run("GetItemWithPlan", func(b *testing.B) {
		impls(b, func(k int) error {
			r, err := plain.GetItemWithPlan(ctx, itemID(k))
			return checkID("GetItemWithPlan", itemID(k), r.ID, err)
		}, func(k int) error {
			r, err := tq.GetItemWithPlan(ctx, itemID(k))
			return checkID("GetItemWithPlan", itemID(k), r.ID, err)
		})
	})
	// A shared query on the tenant-bound queries: its text is the same as
	// sqlc's, so this is the cost of the tenancy.Conn in between.
	b.Run("GetPlan", func(b *testing.B) {
		planID := func(k int) int64 { return int64(k%planRows + 1) }
		impls(b, func(k int) error {
			p, err := plain.GetPlan(ctx, planID(k))
			return checkID("GetPlan", planID(k), p.ID, err)
		}, func(k int) error {
			p, err := tq.GetPlan(ctx, planID(k))
			return checkID("GetPlan", planID(k), p.ID, err)
		})
	})
}
