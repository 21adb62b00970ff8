package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// countingDB counts the registry's queries on a real database.
type countingDB struct {
	tenancy.DBTX
	queries atomic.Int64
}

func (c *countingDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.queries.Add(1)
	return c.DBTX.QueryRow(ctx, sql, args...)
}

// panicOnceDB panics on its first QueryRow.
type panicOnceDB struct {
	tenancy.DBTX
	panicked bool
}

func (p *panicOnceDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if !p.panicked {
		p.panicked = true
		panic("query failed")
	}
	return p.DBTX.QueryRow(ctx, sql, args...)
}

const registrySchema = `
CREATE TABLE tenants (
	id text PRIMARY KEY,
	schema_name text UNIQUE NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, schema_name) VALUES ('acme', 'tenant_acme'), ('globex', 'tenant_globex'),
	('broken', 'Bad"Schema'), ('system', 'pg_catalog');
CREATE SCHEMA reg;
CREATE TABLE reg."Accounts" (id text PRIMARY KEY, schema_name text NOT NULL);
INSERT INTO reg."Accounts" VALUES ('initech', 'initech_data');
`

func TestRegistry(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, registrySchema)
	ctx := context.Background()

	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		pool := pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode))

		t.Run("known", func(t *testing.T) {
			got, err := tenancy.NewRegistry(pool).Lookup(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID() != "acme" || got.Schema() != "tenant_acme" {
				t.Errorf("Lookup(acme) = %v", got)
			}
			if want := tenanttest.NewTenant(t, "acme", "tenant_acme"); got != want {
				t.Errorf("Lookup(acme) = %#v, want %#v", got, want)
			}
		})
		t.Run("unknown", func(t *testing.T) {
			cdb := &countingDB{DBTX: pool}
			got, err := tenancy.NewRegistry(cdb).Lookup(ctx, "nobody")
			if !errors.Is(err, tenancy.ErrUnknownTenant) || errors.Is(err, tenancy.ErrInvalidTenantID) {
				t.Errorf("Lookup(nobody) error = %v, want ErrUnknownTenant only", err)
			}
			if !got.IsZero() {
				t.Errorf("Lookup(nobody) = %v, want zero", got)
			}
			if n := cdb.queries.Load(); n != 1 {
				t.Errorf("%d queries, want 1", n)
			}
		})
		t.Run("invalid id is not queried", func(t *testing.T) {
			cdb := &countingDB{DBTX: pool}
			r := tenancy.NewRegistry(cdb)
			for _, id := range []string{"", "ACME", "acme'; DROP TABLE tenants; --", "_x"} {
				_, err := r.Lookup(ctx, id)
				if !errors.Is(err, tenancy.ErrUnknownTenant) || !errors.Is(err, tenancy.ErrInvalidTenantID) {
					t.Errorf("Lookup(%q) error = %v, want ErrUnknownTenant and ErrInvalidTenantID", id, err)
				}
			}
			if n := cdb.queries.Load(); n != 0 {
				t.Errorf("%d queries for invalid ids, want 0", n)
			}
		})
		t.Run("invalid schema in row", func(t *testing.T) {
			cdb := &countingDB{DBTX: pool}
			r := tenancy.NewRegistry(cdb)
			for _, id := range []string{"broken", "system", "broken"} {
				got, err := r.Lookup(ctx, id)
				if !errors.Is(err, tenancy.ErrInvalidSchemaName) || errors.Is(err, tenancy.ErrUnknownTenant) {
					t.Errorf("Lookup(%s) error = %v, want ErrInvalidSchemaName", id, err)
				}
				if !got.IsZero() {
					t.Errorf("Lookup(%s) = %v, want zero", id, got)
				}
			}
			if n := cdb.queries.Load(); n != 3 {
				t.Errorf("%d queries, want 3 (errors are not cached)", n)
			}
		})
		t.Run("cache and invalidate", func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			cdb := &countingDB{DBTX: tx}
			r := tenancy.NewRegistry(cdb)
			lookup := func(want string) {
				t.Helper()
				got, err := r.Lookup(ctx, "globex")
				if err != nil {
					t.Fatal(err)
				}
				if got.Schema() != want {
					t.Errorf("Schema() = %q, want %q", got.Schema(), want)
				}
			}
			lookup("tenant_globex")
			lookup("tenant_globex")
			if n := cdb.queries.Load(); n != 1 {
				t.Errorf("%d queries for two lookups, want 1", n)
			}
			pgtest.MustExec(t, tx, "UPDATE tenants SET schema_name = 'globex_v2' WHERE id = 'globex'")
			lookup("tenant_globex") // still cached
			r.Invalidate("globex")
			lookup("globex_v2")
			if n := cdb.queries.Load(); n != 2 {
				t.Errorf("%d queries, want 2", n)
			}
		})
		t.Run("ttl", func(t *testing.T) {
			cdb := &countingDB{DBTX: pool}
			r := tenancy.NewRegistry(cdb, tenancy.WithTTL(time.Minute))
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			tenancy.SetClock(r, func() time.Time { return now })
			for _, step := range []struct {
				advance time.Duration
				queries int64
			}{{0, 1}, {59 * time.Second, 1}, {time.Second, 2}, {30 * time.Second, 2}} {
				now = now.Add(step.advance)
				if _, err := r.Lookup(ctx, "acme"); err != nil {
					t.Fatal(err)
				}
				if n := cdb.queries.Load(); n != step.queries {
					t.Errorf("after %v: %d queries, want %d", step.advance, n, step.queries)
				}
			}
		})
		t.Run("ttl zero disables cache", func(t *testing.T) {
			cdb := &countingDB{DBTX: pool}
			r := tenancy.NewRegistry(cdb, tenancy.WithTTL(0))
			for range 3 {
				if _, err := r.Lookup(ctx, "acme"); err != nil {
					t.Fatal(err)
				}
			}
			if n := cdb.queries.Load(); n != 3 {
				t.Errorf("%d queries, want 3", n)
			}
		})
		t.Run("custom table", func(t *testing.T) {
			r := tenancy.NewRegistry(pool, tenancy.WithTable("reg", "Accounts"))
			got, err := r.Lookup(ctx, "initech")
			if err != nil {
				t.Fatal(err)
			}
			if got.Schema() != "initech_data" {
				t.Errorf("Schema() = %q, want initech_data", got.Schema())
			}
			if _, err := r.Lookup(ctx, "acme"); !errors.Is(err, tenancy.ErrUnknownTenant) {
				t.Errorf("Lookup(acme) in reg.Accounts: %v, want ErrUnknownTenant", err)
			}
		})
		t.Run("cancelled context", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := tenancy.NewRegistry(pool).Lookup(cctx, "acme")
			if !errors.Is(err, context.Canceled) || errors.Is(err, tenancy.ErrUnknownTenant) {
				t.Errorf("Lookup with cancelled context: %v, want context.Canceled", err)
			}
		})
		t.Run("recovers from a panicking query", func(t *testing.T) {
			pdb := &panicOnceDB{DBTX: pool}
			r := tenancy.NewRegistry(pdb)
			func() {
				defer func() {
					if recover() == nil {
						t.Error("first Lookup did not panic")
					}
				}()
				r.Lookup(ctx, "acme")
			}()
			// The aborted query must not stay in flight for later callers.
			got, err := r.Lookup(ctx, "acme")
			if err != nil || got.Schema() != "tenant_acme" {
				t.Errorf("Lookup after panic = %v, %v", got, err)
			}
		})
		t.Run("concurrent", func(t *testing.T) {
			cdb := &countingDB{DBTX: pool}
			r := tenancy.NewRegistry(cdb)
			ids := map[string]string{"acme": "tenant_acme", "globex": "tenant_globex"}
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for i := range 64 {
				wg.Go(func() {
					id := []string{"acme", "globex"}[i%2]
					got, err := r.Lookup(ctx, id)
					if err == nil && got.Schema() != ids[id] {
						err = fmt.Errorf("Lookup(%s) = %v", id, got)
					}
					if err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := cdb.queries.Load(); n < 2 || n > 64 {
				t.Errorf("%d queries for 64 lookups of 2 ids", n)
			}
		})
	})
}

// connSchema creates two tenant schemas with the same table, plus a decoy
// table of the same name in public that an unqualified statement would hit.
const connSchema = `
CREATE TABLE public.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
INSERT INTO public.items (owner, n) VALUES ('public', 0);
CREATE SCHEMA tenant_a;
CREATE TABLE tenant_a.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
CREATE SCHEMA tenant_b;
CREATE TABLE tenant_b.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
`

var (
	insertItem = tenancy.NewSQL("INSERT INTO items (owner, n) VALUES ($1, $2) RETURNING id", 12)
	listItems  = tenancy.NewSQL("SELECT owner, n FROM items ORDER BY n", 21)
	countItems = tenancy.NewSQL("SELECT count(*) FROM items WHERE owner = $1", 21)
)

func TestConnOnDatabase(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, connSchema)
	ctx := context.Background()

	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		pool := pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode))
		pgtest.MustExec(t, pool, "TRUNCATE tenant_a.items, tenant_b.items")
		tenants := []tenancy.Tenant{
			tenanttest.NewTenant(t, "a", "tenant_a"),
			tenanttest.NewTenant(t, "b", "tenant_b"),
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)

		for _, tn := range tenants {
			for _, db := range []tenancy.DBTX{pool, tx} {
				c := tenancy.Bind(db, tn)
				if _, err := c.Exec(ctx, c.SQL(insertItem), tn.ID(), 1); err != nil {
					t.Fatal(err)
				}
				var id int
				if err := c.QueryRow(ctx, c.SQL(insertItem), tn.ID(), 2).Scan(&id); err != nil {
					t.Fatal(err)
				}
				n, err := c.CopyFrom(ctx, c.Table("items"), []string{"owner", "n"},
					pgx.CopyFromRows([][]any{{tn.ID(), 3}, {tn.ID(), 4}}))
				if err != nil || n != 2 {
					t.Fatalf("CopyFrom: %d, %v", n, err)
				}
				b := &pgx.Batch{}
				for n := 5; n <= 6; n++ {
					b.Queue(c.SQL(insertItem), tn.ID(), n).Exec(func(pgconn.CommandTag) error { return nil })
				}
				if err := c.SendBatch(ctx, b).Close(); err != nil {
					t.Fatalf("SendBatch: %v", err)
				}
			}
		}
		for _, tn := range tenants {
			for _, db := range []tenancy.DBTX{pool, tx} {
				c := tenancy.Bind(db, tn)
				rows, err := c.Query(ctx, c.SQL(listItems))
				if err != nil {
					t.Fatal(err)
				}
				var ns []int
				for rows.Next() {
					var owner string
					var n int
					if err := rows.Scan(&owner, &n); err != nil {
						t.Fatal(err)
					}
					if owner != tn.ID() {
						t.Errorf("tenant %s read a row of %q", tn.ID(), owner)
					}
					ns = append(ns, n)
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				// The pool's rows are committed; the transaction sees
				// them and its own.
				want := []int{1, 2, 3, 4, 5, 6}
				if db == tx {
					want = []int{1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6}
				}
				if !slices.Equal(ns, want) {
					t.Errorf("tenant %s through %T: n = %v, want %v", tn.ID(), db, ns, want)
				}
			}
		}
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM public.items").Scan(&n); err != nil || n != 1 {
			t.Errorf("public.items has %d rows (%v), want the 1 decoy", n, err)
		}
		c := tenancy.Bind(tx, tenants[0])
		if err := c.QueryRow(ctx, c.SQL(countItems), "b").Scan(&n); err != nil || n != 0 {
			t.Errorf("tenant a sees %d rows of tenant b (%v)", n, err)
		}
	})
}
