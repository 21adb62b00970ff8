package tenancy_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

const registryQuery = "SELECT schema_name FROM"

var firstOwner = tenancy.NewSQL("SELECT owner FROM items LIMIT 1", 18)

// gateTracer counts the queries whose text contains match and holds each
// of them until release is closed, so a test can keep a registry query in
// flight while other lookups arrive.
type gateTracer struct {
	match   string
	count   atomic.Int64
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGateTracer(match string) *gateTracer {
	return &gateTracer{match: match, started: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.Contains(data.SQL, g.match) {
		g.count.Add(1)
		g.once.Do(func() { close(g.started) })
		<-g.release
	}
	return ctx
}

func (g *gateTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// waitingLookups counts goroutines parked in Registry.Lookup itself, that
// is, waiting for another caller's query (the caller running the query is
// deeper, in pgx).
func waitingLookups() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		header, rest, _ := strings.Cut(g, "\n")
		if (strings.Contains(header, "[select") || strings.Contains(header, "[chan receive")) &&
			strings.HasPrefix(rest, "github.com/tenantc/tenantc/tenancy.(*Registry).Lookup(") {
			count++
		}
	}
	return count
}

func TestRegistrySingleflight(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, pgtest.TwoTenants)
	ctx := context.Background()
	const n = 32

	gate := newGateTracer(registryQuery)
	pool := pgtest.Connect(t, db.URL, func(c *pgxpool.Config) { c.ConnConfig.Tracer = gate })
	// No cache: only sharing the in-flight query can keep the count at 1.
	reg := tenancy.NewRegistry(pool, tenancy.WithTTL(0))

	var wg sync.WaitGroup
	results := make([]tenancy.Tenant, n)
	errs := make([]error, n)
	wg.Go(func() { results[0], errs[0] = reg.Lookup(ctx, "a") })
	<-gate.started
	for i := 1; i < n; i++ {
		wg.Go(func() { results[i], errs[i] = reg.Lookup(ctx, "a") })
	}
	deadline := time.Now().Add(30 * time.Second)
	for waitingLookups() < n-1 {
		if time.Now().After(deadline) {
			close(gate.release)
			t.Fatalf("only %d of %d lookups joined the query in flight", waitingLookups(), n-1)
		}
		runtime.Gosched()
	}
	close(gate.release)
	wg.Wait()

	if got := gate.count.Load(); got != 1 {
		t.Errorf("%d registry queries for %d concurrent cold lookups, want 1", got, n)
	}
	want := tenanttest.NewTenant(t, "a", "tenant_a")
	for i := range n {
		if errs[i] != nil || results[i] != want {
			t.Errorf("lookup %d = %v, %v; want %v", i, results[i], errs[i], want)
		}
	}
}

func TestRegistryInvalidateAll(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, pgtest.TwoTenants)
	ctx := context.Background()
	cdb := &countingDB{DBTX: db.Pool}
	reg := tenancy.NewRegistry(cdb)
	lookupBoth := func() {
		t.Helper()
		for _, id := range []string{"a", "b"} {
			if _, err := reg.Lookup(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	lookupBoth()
	lookupBoth()
	if n := cdb.queries.Load(); n != 2 {
		t.Fatalf("%d queries for two rounds of two cached ids, want 2", n)
	}
	reg.InvalidateAll()
	lookupBoth()
	if n := cdb.queries.Load(); n != 4 {
		t.Errorf("%d queries after InvalidateAll, want 4", n)
	}
	pgtest.MustExec(t, db.Pool, "DELETE FROM tenants WHERE id = 'b'")
	reg.Invalidate("b")
	if _, err := reg.Lookup(ctx, "b"); !errors.Is(err, tenancy.ErrUnknownTenant) {
		t.Errorf("Lookup(b) after delete and Invalidate: %v, want ErrUnknownTenant", err)
	}
	if _, err := reg.Lookup(ctx, "a"); err != nil {
		t.Errorf("Lookup(a) after Invalidate(b): %v", err)
	}
	if n := cdb.queries.Load(); n != 5 {
		t.Errorf("%d queries, want 5 (Invalidate(b) must keep a cached)", n)
	}
}

// TestDroppedWhileCached drops a tenant's schema and row behind a registry
// that still caches it: its statements must fail naming its own schema and
// never read the other tenant's rows or the decoy in public.
func TestDroppedWhileCached(t *testing.T) {
	ctx := context.Background()
	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		db := pgtest.New(t)
		pgtest.MustExec(t, db.Pool, pgtest.TwoTenants)
		pool := pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode), pgtest.WithMaxConns(1))
		reg := tenancy.NewRegistry(pool)
		a, err := reg.Lookup(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		c := tenancy.Bind(pool, a)
		// Warm the connection's statement cache with the statements
		// that run after the drop.
		var n int
		if err := c.QueryRow(ctx, c.SQL(countItems), "a").Scan(&n); err != nil || n != 1 {
			t.Fatalf("count before drop = %d, %v", n, err)
		}
		rows, err := c.Query(ctx, c.SQL(listItems))
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()

		pgtest.MustExec(t, db.Pool, "DROP SCHEMA tenant_a CASCADE", "DELETE FROM tenants WHERE id = 'a'")
		if got, err := reg.Lookup(ctx, "a"); err != nil || got != a {
			t.Fatalf("cached Lookup(a) = %v, %v; want the cached tenant", got, err)
		}

		checkGone := func(what string, err error) {
			t.Helper()
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Errorf("%s: err = %v, want a PostgreSQL error", what, err)
				return
			}
			if pgErr.Code != "42P01" && pgErr.Code != "3F000" {
				t.Errorf("%s: SQLSTATE %s (%s), want 42P01 or 3F000", what, pgErr.Code, pgErr.Message)
			}
			if !strings.Contains(pgErr.Message, "tenant_a") {
				t.Errorf("%s: message %q does not name the schema", what, pgErr.Message)
			}
		}
		err = c.QueryRow(ctx, c.SQL(countItems), "b").Scan(&n)
		checkGone("QueryRow", err)
		rows, err = c.Query(ctx, c.SQL(listItems))
		if err == nil {
			for rows.Next() {
				var owner string
				var n int
				if err := rows.Scan(&owner, &n); err == nil {
					t.Errorf("dropped tenant read a row of %q", owner)
				}
			}
			err = rows.Err()
		}
		checkGone("Query", err)
		_, err = c.Exec(ctx, c.SQL(insertItem), "a", 2)
		checkGone("Exec", err)

		// Nothing was written anywhere else.
		var owners []string
		r2, err := db.Pool.Query(ctx, "SELECT owner FROM public.items UNION ALL SELECT owner FROM tenant_b.items ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		owners, err = pgx.CollectRows(r2, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"b", "public"}, owners); diff != "" {
			t.Errorf("rows outside the dropped schema changed (-want +got):\n%s", diff)
		}

		reg.Invalidate("a")
		if _, err := reg.Lookup(ctx, "a"); !errors.Is(err, tenancy.ErrUnknownTenant) {
			t.Errorf("Lookup(a) after Invalidate: %v, want ErrUnknownTenant", err)
		}
	})
}

func TestConnFromContext(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, pgtest.TwoTenants)
	ctx := context.Background()

	c := tenancy.ConnFromContext(ctx, db.Pool)
	var n int
	if err := c.QueryRow(ctx, c.SQL(countItems), "a").Scan(&n); !errors.Is(err, tenancy.ErrUnbound) {
		t.Errorf("without a tenant in the context: %v, want ErrUnbound", err)
	}
	b, err := tenancy.NewRegistry(db.Pool).Lookup(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	tctx := tenancy.NewContext(ctx, b)
	c = tenancy.ConnFromContext(tctx, db.Pool)
	if c.Tenant() != b {
		t.Errorf("Tenant() = %v, want %v", c.Tenant(), b)
	}
	if err := c.QueryRow(tctx, c.SQL(countItems), "b").Scan(&n); err != nil || n != 1 {
		t.Errorf("tenant b counts %d rows of its own (%v), want 1", n, err)
	}
	if err := c.QueryRow(tctx, c.SQL(countItems), "a").Scan(&n); err != nil || n != 0 {
		t.Errorf("tenant b counts %d rows of a (%v), want 0", n, err)
	}
}
