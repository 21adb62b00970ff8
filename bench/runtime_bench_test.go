// Package bench measures tenantc's runtime against hand-written sqlc-style
// pgx code on a real PostgreSQL (internal/pgtest, or
// TENANTC_TEST_DATABASE_URL). Compare runs with benchstat:
//
//	go test ./bench -run '^$' -bench . -count 10 > new.txt
package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The same table, with the same rows, in public (found by the plain code
// through the default search_path) and in one tenant schema.
const schemaSQL = `
CREATE TABLE public.items (id bigserial PRIMARY KEY, tenant text NOT NULL, n int NOT NULL, note text NOT NULL);
INSERT INTO public.items (tenant, n, note) SELECT 'plain', g, 'note ' || g FROM generate_series(1, 1000) g;
CREATE SCHEMA tenant_bench;
CREATE TABLE tenant_bench.items (LIKE public.items INCLUDING ALL);
INSERT INTO tenant_bench.items SELECT * FROM public.items;
ANALYZE;
`

type item struct {
	ID     int64
	Tenant string
	N      int32
	Note   string
}

// Statements as sqlc writes them (plain) and as tenantc writes them.
const (
	getItem = `-- name: GetItem :one
SELECT id, tenant, n, note FROM items
WHERE id = $1
`
	insertItem = `-- name: InsertItem :exec
INSERT INTO items (tenant, n, note) VALUES ($1, $2, $3)
`
	listItems = `-- name: ListItems :many
SELECT id, tenant, n, note FROM items
WHERE id > $1
ORDER BY id
LIMIT 100
`
)

var (
	getItemSQL    = tenancy.NewSQL(getItem, 54)
	insertItemSQL = tenancy.NewSQL(insertItem, 38)
	listItemsSQL  = tenancy.NewSQL(listItems, 57)
)

// dbtx is what both implementations run on.
type dbtx interface {
	Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// queries is the surface both implementations offer.
type queries interface {
	GetItem(ctx context.Context, id int64) (item, error)
	InsertItem(ctx context.Context, tenant string, n int32, note string) error
	ListItems(ctx context.Context, after int64) ([]item, error)
}

// plainQueries is sqlc's pgx/v5 code for one schema.
type plainQueries struct{ db dbtx }

func (q plainQueries) GetItem(ctx context.Context, id int64) (item, error) {
	var i item
	err := q.db.QueryRow(ctx, getItem, id).Scan(&i.ID, &i.Tenant, &i.N, &i.Note)
	return i, err
}

func (q plainQueries) InsertItem(ctx context.Context, tenant string, n int32, note string) error {
	_, err := q.db.Exec(ctx, insertItem, tenant, n, note)
	return err
}

func (q plainQueries) ListItems(ctx context.Context, after int64) ([]item, error) {
	return scanItems(q.db.Query(ctx, listItems, after))
}

// tenantQueries is the same code on a tenancy.Conn.
type tenantQueries struct{ db tenancy.Conn }

func (q tenantQueries) GetItem(ctx context.Context, id int64) (item, error) {
	var i item
	err := q.db.QueryRow(ctx, q.db.SQL(getItemSQL), id).Scan(&i.ID, &i.Tenant, &i.N, &i.Note)
	return i, err
}

func (q tenantQueries) InsertItem(ctx context.Context, tenant string, n int32, note string) error {
	_, err := q.db.Exec(ctx, q.db.SQL(insertItemSQL), tenant, n, note)
	return err
}

func (q tenantQueries) ListItems(ctx context.Context, after int64) ([]item, error) {
	return scanItems(q.db.Query(ctx, q.db.SQL(listItemsSQL), after))
}

func scanItems(rows pgx.Rows, err error) ([]item, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []item
	for rows.Next() {
		var i item
		if err := rows.Scan(&i.ID, &i.Tenant, &i.N, &i.Note); err != nil {
			return nil, err
		}
		items = append(items, i)
	}
	return items, rows.Err()
}

// setup returns a pool on a fresh database holding schemaSQL.
func setup(b *testing.B) *pgxpool.Pool {
	b.Helper()
	db := pgtest.New(b)
	if _, err := db.Pool.Exec(context.Background(), schemaSQL); err != nil {
		b.Fatal(err)
	}
	return db.Pool
}

// runImpls runs f as sub-benchmarks impl=plain and impl=tenancy.
func runImpls(b *testing.B, pool *pgxpool.Pool, f func(b *testing.B, q queries)) {
	impls := []struct {
		name string
		q    queries
	}{
		{"plain", plainQueries{db: pool}},
		{"tenancy", tenantQueries{db: tenancy.Bind(pool, tenancy.NewTenantForTest(b, "bench", "tenant_bench"))}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			f(b, impl.q)
		})
	}
}

func BenchmarkPointSelect(b *testing.B) {
	ctx := context.Background()
	runImpls(b, setup(b), func(b *testing.B, q queries) {
		var id int64
		for b.Loop() {
			id = id%1000 + 1
			it, err := q.GetItem(ctx, id)
			if err != nil || it.ID != id {
				b.Fatalf("GetItem(%d) = %v, %v", id, it.ID, err)
			}
		}
	})
}

func BenchmarkInsert(b *testing.B) {
	ctx := context.Background()
	runImpls(b, setup(b), func(b *testing.B, q queries) {
		for b.Loop() {
			if err := q.InsertItem(ctx, "bench", 1, "inserted"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkList100(b *testing.B) {
	ctx := context.Background()
	runImpls(b, setup(b), func(b *testing.B, q queries) {
		var after int64
		for b.Loop() {
			after = (after + 100) % 900
			items, err := q.ListItems(ctx, after)
			if err != nil || len(items) != 100 {
				b.Fatal(fmt.Errorf("ListItems(%d): %d rows, %w", after, len(items), err))
			}
		}
	})
}
