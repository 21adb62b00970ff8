package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

// poolFleet creates n tenant schemas t0 … t{n-1}, each with an items
// table holding one row marked with its tenant, and returns the database
// URL and the tenants.
func poolFleet(t testing.TB, n int) (string, []tenancy.Tenant) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	admin := pgtest.Connect(t, url)
	var b strings.Builder
	tenants := make([]tenancy.Tenant, n)
	for i := range n {
		id := fmt.Sprintf("t%d", i)
		fmt.Fprintf(&b, "CREATE SCHEMA tenant_%[1]s; CREATE TABLE tenant_%[1]s.items (id int PRIMARY KEY, owner text NOT NULL); INSERT INTO tenant_%[1]s.items VALUES (1, '%[1]s');\n", id)
		tenants[i] = tenanttest.NewTenant(t, id, "tenant_"+id)
	}
	if _, err := admin.Exec(context.Background(), b.String()); err != nil {
		t.Fatal(err)
	}
	return url, tenants
}

// openPool opens a tenancy.Pool of maxConns connections on url.
func openPool(t testing.TB, url string, maxConns int32, configure func(*pgxpool.Config), opts ...tenancy.PoolOption) *tenancy.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	if configure != nil {
		configure(cfg)
	}
	p, err := tenancy.NewPool(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

var (
	ownerByID = tenancy.NewSQL("SELECT owner FROM items WHERE id = $1", 18)
	// backendOf names a tenant table so that it is a tenant statement,
	// and returns the backend that ran it.
	backendOf = tenancy.NewSQL("SELECT pg_backend_pid(), owner FROM items WHERE id = $1", 36)
)

// backend returns the server process that ran a tenant statement for c.
func backend(t *testing.T, c tenancy.Conn) int32 {
	t.Helper()
	var pid int32
	var owner string
	if err := c.QueryRow(context.Background(), c.SQL(backendOf), 1).Scan(&pid, &owner); err != nil {
		t.Fatal(err)
	}
	if owner != c.Tenant().ID() {
		t.Fatalf("tenant %s read a row of %s", c.Tenant().ID(), owner)
	}
	return pid
}

func TestPoolRoutesTenantsToTheirConnections(t *testing.T) {
	url, tenants := poolFleet(t, 24)
	if got := openPool(t, url, 8, nil).Stat().Groups; got != 8/tenancy.DefaultAffinity {
		t.Errorf("8 connections in %d groups by default, want %d", got, 8/tenancy.DefaultAffinity)
	}
	p := openPool(t, url, 4, nil, tenancy.WithAffinity(1))
	if got := p.Stat().Groups; got != 4 {
		t.Fatalf("%d groups, want one per connection (4)", got)
	}
	backends := map[int32]int{}
	for _, tn := range tenants {
		c := p.Bind(tn)
		first := backend(t, c)
		for range 5 {
			if pid := backend(t, c); pid != first {
				t.Fatalf("tenant %s ran on backends %d and %d of an idle pool, want one", tn.ID(), first, pid)
			}
		}
		backends[first]++
	}
	if len(backends) != 4 {
		t.Errorf("24 tenants used %d backends (%v), want all 4", len(backends), backends)
	}
}

func TestPoolBusyTenantUsesTheWholePool(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	p := openPool(t, url, 4, nil)
	c := p.Bind(tenants[0])
	sleep := tenancy.NewSQL("SELECT pg_backend_pid() FROM items, pg_sleep(0.3) WHERE id = $1", 29)
	var mu sync.Mutex
	backends := map[int32]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var pid int32
			if err := c.QueryRow(context.Background(), c.SQL(sleep), 1).Scan(&pid); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			backends[pid] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(backends) != 4 {
		t.Errorf("8 concurrent calls of one tenant ran on %d backends, want all 4: affinity must not cage a busy tenant", len(backends))
	}
}

// prepareCounter counts the statements pgx prepares on the server.
type prepareCounter struct{ n atomic.Int64 }

func (pc *prepareCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}
func (pc *prepareCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (pc *prepareCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	return ctx
}
func (pc *prepareCounter) TracePrepareEnd(_ context.Context, _ *pgx.Conn, d pgx.TracePrepareEndData) {
	if !d.AlreadyPrepared && d.Err == nil {
		pc.n.Add(1)
	}
}

// preparedOn counts the statements prepared on the backend that serves c.
func preparedOn(t *testing.T, c tenancy.Conn) int {
	t.Helper()
	count := tenancy.NewSQL("SELECT count(*) FROM pg_prepared_statements, items WHERE items.id = $1", 45)
	var n int
	if err := c.QueryRow(context.Background(), c.SQL(count), 1).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPoolPreparesWhatFitsAndDoesNotChurn(t *testing.T) {
	url, tenants := poolFleet(t, 40)
	var pc prepareCounter
	// One connection whose budget holds about ten statements.
	budget := int64(10) * tenancy.PlanBytes(len(tenancy.Bind(pgtest.Connect(t, url), tenants[10]).SQL(ownerByID)))
	p := openPool(t, url, 1, func(c *pgxpool.Config) { c.ConnConfig.Tracer = &pc }, tenancy.WithPlanMemory(budget))
	ctx := context.Background()
	// Uniform rounds over 40 statements, four times what fits.
	for range 10 {
		for _, tn := range tenants {
			c := p.Bind(tn)
			var owner string
			if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner); err != nil {
				t.Fatal(err)
			}
			if owner != tn.ID() {
				t.Fatalf("tenant %s read a row of %s", tn.ID(), owner)
			}
		}
	}
	// A churning LRU would prepare on nearly every one of the 400 calls.
	if n := pc.n.Load(); n > 40 {
		t.Errorf("%d statements prepared over 400 calls on 40 statements with room for 10: the cache churns", n)
	}
	if n := preparedOn(t, p.Bind(tenants[0])); n > 11 {
		t.Errorf("%d statements prepared on the backend, want at most the 10 of the budget (+ the count query)", n)
	}

	// A hot statement still earns its place.
	hot := p.Bind(tenants[39])
	for range 20 {
		var owner string
		if err := hot.QueryRow(ctx, hot.SQL(ownerByID), 1).Scan(&owner); err != nil {
			t.Fatal(err)
		}
	}
	if !tenancy.IsPrepared(t, p, hot.SQL(ownerByID)) {
		t.Error("a statement run 20 times in a row is not prepared")
	}
}

// The plan memory budget holds in the backend's memory, not only in the
// estimate from the statements' text, which is two to three times low for
// a join with an aggregate.
func TestPoolPlanMemoryBudgetHoldsOnTheServer(t *testing.T) {
	url, tenants := poolFleet(t, 80)
	join := tenancy.NewSQL(`SELECT a.owner, count(*), max(b.id), min(c.owner)
FROM items a JOIN items b ON b.id >= a.id LEFT JOIN items c ON c.owner = a.owner
WHERE a.id = $1 AND b.owner <> '' GROUP BY a.owner HAVING count(*) > 0 ORDER BY 2 DESC, 1`, 55, 68, 102)
	sql := tenancy.Bind(pgtest.Connect(t, url), tenants[0]).SQL(join)
	budget := 40 * tenancy.PlanBytes(len(sql))
	p := openPool(t, url, 1, nil, tenancy.WithPlanMemory(budget))
	ctx := context.Background()
	// Point selects first, whose estimate is right, then joins, which
	// replace them: the estimate's error changes with the mix.
	for range 3 {
		for _, tn := range tenants {
			c := p.Bind(tn)
			var owner string
			if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 10 {
		for _, tn := range tenants {
			c := p.Bind(tn)
			rows, err := c.Query(ctx, c.SQL(join), 1)
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var plans int64
	if err := conn.QueryRow(ctx, tenancy.PlanMemorySQL).Scan(&plans, new(int64)); err != nil {
		t.Fatal(err)
	}
	st := p.Stat()
	t.Logf("budget %d bytes, plans %d bytes, %+v", budget, plans, st)
	if plans > budget+budget/10 {
		t.Errorf("the backend's plans take %d bytes, over the budget of %d", plans, budget)
	}
	if plans < budget/2 || st.Hits == 0 {
		t.Errorf("the backend's plans take %d bytes (%d hits): the budget of %d is not used", plans, st.Hits, budget)
	}
}

// The budget holds for the backend's plan memory as a whole: the
// foreign-key checks PostgreSQL plans for each tenant table written to
// take their part of it, and the Pool's statements the rest.
func TestPoolPlanMemoryBudgetCountsTheBackendsOwnPlans(t *testing.T) {
	url, tenants := poolFleet(t, 60)
	admin := pgtest.Connect(t, url)
	var ddl strings.Builder
	for _, tn := range tenants {
		fmt.Fprintf(&ddl, "CREATE TABLE %[1]s.notes (id serial PRIMARY KEY, item int NOT NULL REFERENCES %[1]s.items);\n", pgx.Identifier{tn.Schema()}.Sanitize())
	}
	if _, err := admin.Exec(context.Background(), ddl.String()); err != nil {
		t.Fatal(err)
	}
	addNote := tenancy.NewSQL("INSERT INTO notes (item) VALUES ($1)", 12)
	sql := tenancy.Bind(admin, tenants[0]).SQL(ownerByID)
	budget := 150 * tenancy.PlanBytes(len(sql))
	p := openPool(t, url, 1, nil, tenancy.WithPlanMemory(budget))
	ctx := context.Background()
	for range 4 {
		for _, tn := range tenants {
			c := p.Bind(tn)
			var owner string
			if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Exec(ctx, c.SQL(addNote), 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var plans, fk int64
	if err := conn.QueryRow(ctx, tenancy.PlanMemorySQL).Scan(&plans, new(int64)); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(total_bytes), 0)::bigint FROM pg_backend_memory_contexts
WHERE name LIKE 'CachedPlan%' AND ident LIKE 'SELECT 1 FROM ONLY%'`).Scan(&fk); err != nil {
		t.Fatal(err)
	}
	t.Logf("budget %d bytes, plans %d bytes, of them foreign-key checks at least %d; %+v", budget, plans, fk, p.Stat())
	if fk == 0 {
		t.Fatal("no foreign-key check plans on the backend: the test does not test")
	}
	if plans > budget+budget/10 {
		t.Errorf("the backend's plans take %d bytes, over the budget of %d", plans, budget)
	}
}

// An application role that may not read pg_backend_memory_contexts (the
// usual case: it takes a superuser or pg_read_all_stats) still gets its
// statements prepared, counted at their estimate, and no call fails.
// A backend whose memory outgrows WithBackendMemory is closed when its
// call ends and replaced: PostgreSQL never shrinks its catalog caches.
func TestPoolRecyclesABackendOverItsMemoryBound(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	tenancy.SetRecheck(t, 1, 0, 0)
	pids := func(p *tenancy.Pool) map[int32]bool {
		c := p.Bind(tenants[0])
		seen := map[int32]bool{}
		for range 4 {
			seen[backend(t, c)] = true
		}
		return seen
	}
	// A fresh backend holds about 1.3 MiB; the floor of a 4 MiB plan
	// budget is 1 MiB: a 2 MiB bound leaves too little.
	small := openPool(t, url, 1, nil, tenancy.WithPlanMemory(4<<20), tenancy.WithBackendMemory(2<<20))
	if got := pids(small); len(got) < 2 {
		t.Errorf("a backend over its memory bound served every call (backends %v), want it replaced", got)
	}
	if st := small.Stat(); st.Recycled == 0 {
		t.Errorf("stats %+v, want recycled connections", st)
	}
	def := openPool(t, url, 1, nil)
	if got := pids(def); len(got) != 1 {
		t.Errorf("with the default bound, calls ran on backends %v, want one", got)
	}
	if st := def.Stat(); st.Recycled != 0 {
		t.Errorf("with the default bound: stats %+v, want none recycled", st)
	}
}

// memoryReads counts and times the readings of a backend's memory.
type memoryReads struct {
	n    atomic.Int64
	took atomic.Int64
}

type readStart struct{}

func (m *memoryReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if d.SQL != tenancy.PlanMemorySQL {
		return ctx
	}
	return context.WithValue(ctx, readStart{}, time.Now())
}

func (m *memoryReads) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if start, ok := ctx.Value(readStart{}).(time.Time); ok {
		m.n.Add(1)
		m.took.Add(int64(time.Since(start)))
	}
}

// A connection reads its backend's memory for WithBackendMemory no
// oftener than a thousand times what the last reading took: a backend
// holding thousands of plans takes milliseconds to list its memory
// contexts, and reading them every second took 5% of the server's CPU in
// bench's P2 at 10,000 tenants.
func TestPoolReadsBackendMemoryInProportionToItsCost(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	// A reading due after every call, but for its cost.
	tenancy.SetRecheck(t, 1, 0, 1000)
	var reads memoryReads
	p := openPool(t, url, 1, func(c *pgxpool.Config) { c.ConnConfig.Tracer = &reads })
	c := p.Bind(tenants[0])
	ctx := context.Background()
	start := time.Now()
	calls := 0
	for time.Since(start) < 500*time.Millisecond || calls < 200 {
		var owner string
		if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		calls++
	}
	elapsed := time.Since(start)
	n, took := reads.n.Load(), time.Duration(reads.took.Load())
	if n == 0 {
		t.Fatal("no reading of the backend's memory: the test does not test")
	}
	// Two readings measure the statement's size when it is first
	// prepared; the rechecks after them take at most a thousandth of
	// the time, and the first comes at once.
	if n > 4 {
		t.Errorf("%d readings of the backend's memory over %d calls in %v (%v reading): want at most 4", n, calls, elapsed.Round(time.Millisecond), took)
	}
}

// The gap between two readings of a backend's memory follows their cost,
// but shrinks when the backend grows fast towards its bound.
func TestReadingGap(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name           string
		limit, nonPlan int64
		growth         float64
		cost, want     time.Duration
	}{
		{"a cheap reading", 120 * mib, 20 * mib, 0, 200 * time.Microsecond, time.Second},
		{"a costly reading", 120 * mib, 20 * mib, 0, 8 * time.Millisecond, 8 * time.Second},
		{"a very costly reading", 120 * mib, 20 * mib, 0, 100 * time.Millisecond, 15 * time.Second},
		{"no bound", 0, 20 * mib, 10 * mib, 8 * time.Millisecond, 8 * time.Second},
		{"slow growth", 120 * mib, 70 * mib, 0.1 * mib, 8 * time.Millisecond, 8 * time.Second},
		// 40 MiB left (120 - 70 - a quarter of the 40 MiB budget), half
		// of it at 10 MiB a second.
		{"fast growth", 120 * mib, 70 * mib, 10 * mib, 8 * time.Millisecond, 2 * time.Second},
		{"very fast growth", 120 * mib, 70 * mib, 100 * mib, 8 * time.Millisecond, time.Second},
	} {
		if got := tenancy.ReadingGap(c.limit, 40*mib, c.nonPlan, c.growth, c.cost); got != c.want {
			t.Errorf("%s: gap %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPoolWithoutTheRightToReadPlanMemory(t *testing.T) {
	url, tenants := poolFleet(t, 20)
	admin := pgtest.Connect(t, url)
	ctx := context.Background()
	var db string
	if err := admin.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	role := pgx.Identifier{"app_" + db}.Sanitize()
	var grants strings.Builder
	fmt.Fprintf(&grants, "CREATE ROLE %s LOGIN PASSWORD 'app';\n", role)
	for _, tn := range tenants {
		fmt.Fprintf(&grants, "GRANT USAGE ON SCHEMA %[1]s TO %[2]s; GRANT SELECT ON ALL TABLES IN SCHEMA %[1]s TO %[2]s;\n", pgx.Identifier{tn.Schema()}.Sanitize(), role)
	}
	if _, err := admin.Exec(ctx, grants.String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), fmt.Sprintf("DROP OWNED BY %[1]s; DROP ROLE %[1]s", role)); err != nil {
			t.Error(err)
		}
	})
	p := openPool(t, url, 1, func(c *pgxpool.Config) {
		c.ConnConfig.User, c.ConnConfig.Password = "app_"+db, "app"
	})
	for range 3 {
		for _, tn := range tenants {
			c := p.Bind(tn)
			var owner string
			if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner); err != nil {
				t.Fatalf("a call as a role that may not read plan memory: %v", err)
			}
		}
	}
	if st := p.Stat(); st.Prepared == 0 || st.Hits == 0 {
		t.Errorf("stats %+v: nothing prepared without the right to read plan memory", st)
	}
}

func TestPoolWithoutPlanMemoryPreparesNothing(t *testing.T) {
	url, tenants := poolFleet(t, 2)
	var pc prepareCounter
	p := openPool(t, url, 2, func(c *pgxpool.Config) { c.ConnConfig.Tracer = &pc }, tenancy.WithPlanMemory(0))
	for range 5 {
		backend(t, p.Bind(tenants[0]))
	}
	if n := pc.n.Load(); n != 0 {
		t.Errorf("%d statements prepared with WithPlanMemory(0)", n)
	}
}

func TestPoolPlanCacheMode(t *testing.T) {
	url, _ := poolFleet(t, 1)
	for _, tc := range []struct {
		name string
		opts []tenancy.PoolOption
		want string
	}{
		{"default", nil, "force_generic_plan"},
		{"WithCustomPlans", []tenancy.PoolOption{tenancy.WithCustomPlans()}, "auto"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := openPool(t, url, 2, nil, tc.opts...)
			var mode string
			if err := p.QueryRow(context.Background(), "SHOW plan_cache_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if mode != tc.want {
				t.Errorf("plan_cache_mode = %s, want %s", mode, tc.want)
			}
		})
	}
}

func TestPoolTransactionKeepsRouting(t *testing.T) {
	url, tenants := poolFleet(t, 12)
	p := openPool(t, url, 4, nil, tenancy.WithAffinity(1))
	ctx := context.Background()
	for _, tn := range tenants {
		c := p.Bind(tn)
		home := backend(t, c)
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tc := c.WithTx(tx)
		if tc.Tenant() != tn {
			t.Fatalf("WithTx bound %v, want %v", tc.Tenant(), tn)
		}
		// Twice, so that the statement is prepared inside the
		// transaction too.
		for range 2 {
			if pid := backend(t, tc); pid != home {
				t.Errorf("tenant %s: transaction on backend %d, its calls on %d", tn.ID(), pid, home)
			}
		}
		// Statements prepared in a transaction outlive its rollback.
		end := tx.Commit
		if len(tn.ID())%2 == 0 {
			end = tx.Rollback
		}
		if err := end(ctx); err != nil {
			t.Fatal(err)
		}
		if pid := backend(t, c); pid != home {
			t.Errorf("tenant %s: back on backend %d after the transaction, want %d", tn.ID(), pid, home)
		}
	}
	// Every connection went back to the pool.
	if st := p.Stat(); st.AcquiredConns != 0 {
		t.Errorf("%d connections still acquired after the transactions", st.AcquiredConns)
	}
}

func TestConnWithTxKeepsExecMode(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	pool := pgtest.Connect(t, url)
	c := tenancy.Bind(pool, tenants[0]).WithExecMode(pgx.QueryExecModeExec)
	tx, err := c.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	got := c.WithTx(tx)
	if got.ExecMode() != pgx.QueryExecModeExec || got.Tenant() != tenants[0] {
		t.Errorf("WithTx gave mode %v tenant %v, want exec and %v", got.ExecMode(), got.Tenant(), tenants[0])
	}
	if backend(t, got) == 0 {
		t.Error("no backend")
	}
	if u := (tenancy.Conn{}).WithTx(tx); u.Tenant() != (tenancy.Tenant{}) {
		t.Error("WithTx bound an unbound Conn")
	}
}

func TestPoolBehindPgBouncerWithoutTheOptionSaysWhichToSet(t *testing.T) {
	url, _ := poolFleet(t, 1)
	// One server connection: a statement prepared by one client
	// connection is found by the next under the same name.
	bouncer := pgtest.PgBouncer(t, url, pgtest.WithDefaultPoolSize(1))
	ctx := context.Background()
	const q = "SELECT $1::int + 1"
	var n int

	// PgBouncer refuses the plan_cache_mode the Pool sets at startup.
	p := openPool(t, bouncer, 2, nil)
	err := p.QueryRow(ctx, q, 1).Scan(&n)
	if !errors.Is(err, tenancy.ErrPooler) || !strings.Contains(err.Error(), "tenancy.BehindPgBouncer()") {
		t.Fatalf("connect: err = %v, want ErrPooler naming the option", err)
	}

	// Past startup, prepared statements meet on the one server
	// connection.
	// (A statement is prepared on its second run on a connection.)
	p = openPool(t, bouncer, 2, nil, tenancy.WithCustomPlans())
	for range 2 {
		if err := p.QueryRow(ctx, q, 1).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	// Hold the first connection so that the next calls take the other.
	held, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err = p.QueryRow(ctx, q, 1).Scan(&n); err != nil {
			break
		}
	}
	held.Release()
	if !errors.Is(err, tenancy.ErrPooler) || !strings.Contains(err.Error(), "tenancy.BehindPgBouncer()") {
		t.Fatalf("prepared statement: err = %v, want ErrPooler naming the option", err)
	}

	// With the option, the same calls work.
	p = openPool(t, bouncer, 2, nil, tenancy.BehindPgBouncer())
	for range 3 {
		if err := p.QueryRow(ctx, q, 1).Scan(&n); err != nil || n != 2 {
			t.Fatalf("behind PgBouncer: %d, %v", n, err)
		}
	}
	if got := p.Stat().Groups; got != 1 {
		t.Errorf("%d groups behind PgBouncer, want 1", got)
	}
}

func TestPoolServesGeneratedSharedAndMigrateCalls(t *testing.T) {
	url, tenants := poolFleet(t, 3)
	p := openPool(t, url, 2, nil)
	ctx := context.Background()
	// Batch and CopyFrom on a tenant Conn and on the pool.
	c := p.Bind(tenants[1])
	n, err := c.CopyFrom(ctx, c.Table("items"), []string{"id", "owner"}, pgx.CopyFromRows([][]any{{2, "t1"}, {3, "t1"}}))
	if err != nil || n != 2 {
		t.Fatalf("CopyFrom: %d, %v", n, err)
	}
	b := &pgx.Batch{}
	b.Queue(c.SQL(ownerByID), 2)
	b.Queue(c.SQL(ownerByID), 3)
	br := c.SendBatch(ctx, b)
	for range 2 {
		var owner string
		if err := br.QueryRow().Scan(&owner); err != nil || owner != "t1" {
			t.Fatalf("batch: %q, %v", owner, err)
		}
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := p.Query(ctx, "SELECT generate_series(1, $1::int)", 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(got) != 3 {
		t.Fatalf("Query: %v, %v", got, err)
	}
	if err := p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if st := p.Stat(); st.AcquiredConns != 0 || st.MaxConns != 2 {
		t.Errorf("stat %+v: want nothing acquired of 2", st)
	}
	if got := p.Config().MaxConns; got != 2 {
		t.Errorf("Config().MaxConns = %d, want the total 2", got)
	}
}

func TestPoolReplansAfterTheTableChanges(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	p := openPool(t, url, 1, nil)
	ctx := context.Background()
	c := p.Bind(tenants[0])
	star := tenancy.NewSQL("SELECT * FROM items WHERE id = $1", 14)
	for range 2 {
		rows, err := c.Query(ctx, c.SQL(star), 1)
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	if _, err := p.Exec(ctx, "ALTER TABLE tenant_t0.items ADD COLUMN extra int"); err != nil {
		t.Fatal(err)
	}
	// The first call after the change may fail as pgx's own cache does
	// ("cached plan must not change result type"); the next must work.
	rows, _ := c.Query(ctx, c.SQL(star), 1)
	rows.Close()
	rows, err := c.Query(ctx, c.SQL(star), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() || len(rows.FieldDescriptions()) != 3 {
		t.Fatalf("after ALTER: %d columns, err %v; want 3", len(rows.FieldDescriptions()), rows.Err())
	}
}

func TestPoolPreparesOnTheSecondRun(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	p := openPool(t, url, 1, nil)
	c := p.Bind(tenants[0])
	sql := c.SQL(ownerByID)
	for run := 1; run <= 3; run++ {
		backend(t, c) // another statement, so that the counts below are ownerByID's
		var owner string
		if err := c.QueryRow(context.Background(), sql, 1).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		if got, want := tenancy.IsPrepared(t, p, sql), run >= 2; got != want {
			t.Errorf("after %d runs: prepared %v, want %v", run, got, want)
		}
	}
	st := p.Stat()
	if st.Unprepared != 2 || st.Prepared != 2 || st.Hits != 2 {
		t.Errorf("stats %+v: want 2 unprepared first runs, 2 prepared, 2 hits", st)
	}
}

func TestConnFromContextAndBindUseThePool(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	p := openPool(t, url, 2, nil)
	want := p.Bind(tenants[0])
	if got := tenancy.ConnFromContext(tenancy.NewContext(context.Background(), tenants[0]), p); got != want {
		t.Errorf("ConnFromContext on a Pool = %+v, want Pool.Bind's %+v", got, want)
	}
	if got := tenancy.Bind(p, tenants[0]); got != want {
		t.Errorf("Bind on a Pool = %+v, want Pool.Bind's %+v", got, want)
	}
	if got := tenancy.ConnFromContext(context.Background(), p); got != (tenancy.Conn{}) {
		t.Errorf("ConnFromContext without a tenant = %+v, want the unbound Conn", got)
	}
}

func TestActiveTenantEstimate(t *testing.T) {
	for _, n := range []int{10, 100, 1000, 1500, 10000, 100000} {
		got := tenancy.ActiveEstimate(n)
		if d := float64(got-int64(n)) / float64(n); d < -0.08 || d > 0.08 {
			t.Errorf("%d tenants estimated as %d (%+.1f%%), want within 8%%", n, got, 100*d)
		}
	}
}

// The tenants a Pool counts as hot are those that make about
// 1/LooseAffinityTenants of the calls: next to none of a uniform fleet of
// 10,000,
// the 140 to 260 busiest of a Zipf-skewed one (s=1.1), whose shares are
// between 1/1,500 and 1/3,000.
func TestHotTenants(t *testing.T) {
	hotAfter := func(pick func(*rand.Rand) int) int {
		a := new(tenancy.ActiveTenants)
		r := rand.New(rand.NewPCG(1, 2))
		hot := map[int]bool{}
		for i := range 400_000 {
			id := pick(r)
			if n := a.Add(uint32(id) * 2654435761); n >= tenancy.HotCalls && i > 200_000 {
				hot[id] = true
			}
		}
		return len(hot)
	}
	if n := hotAfter(func(r *rand.Rand) int { return r.IntN(10_000) }); n > 5 {
		t.Errorf("uniform over 10,000 tenants: %d hot, want at most 5 (a shared counter)", n)
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 1, 9_999)
	if n := hotAfter(func(*rand.Rand) int { return int(zipf.Uint64()) }); n < 140 || n > 300 {
		t.Errorf("Zipf s=1.1 over 10,000 tenants: %d hot, want 140 to 300", n)
	}
}

func TestPoolSpillsAtOnceForFewOrHotTenantsElseAfterHomeWait(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	sleep := tenancy.NewSQL("SELECT pg_backend_pid() FROM items, pg_sleep(0.4) WHERE id = $1", 29)
	// Two calls of one tenant, the second while the first runs.
	twoCalls := func(p *tenancy.Pool) (int32, int32) {
		c := p.Bind(tenants[0])
		var first int32
		done := make(chan error)
		go func() { done <- c.QueryRow(context.Background(), c.SQL(sleep), 1).Scan(&first) }()
		for p.Stat().AcquiredConns == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		var second int32
		if err := c.QueryRow(context.Background(), c.SQL(sleep), 1).Scan(&second); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return first, second
	}
	few := openPool(t, url, 4, nil, tenancy.WithAffinity(1))
	if a, b := twoCalls(few); a == b {
		t.Errorf("few tenants: the second call waited for the busy home connection (backend %d), want an idle one", a)
	}
	if st := few.Stat(); st.Spilled != 1 || st.ActiveTenants != 1 {
		t.Errorf("few tenants: stats %+v, want 1 spilled call and 1 active tenant", st)
	}
	// Among many tenants, a call waits for its busy home, at most
	// HomeWait: here for the whole first call, with a wait bound longer
	// than it.
	many := openPool(t, url, 4, nil, tenancy.WithAffinity(1))
	tenancy.SetLooseTenants(many, 0)
	tenancy.SetHomeWait(many, 5*time.Second)
	if a, b := twoCalls(many); a != b {
		t.Errorf("many tenants: the second call ran on backend %d, want the home backend %d after a short wait", b, a)
	}
	if st := many.Stat(); st.Spilled != 0 || st.Queued != 1 {
		t.Errorf("many tenants: stats %+v, want 1 queued call and none spilled", st)
	}
	// With the default bound (5 ms), a call does not wait out the home's
	// long query (0.4 s): it takes an idle connection.
	slowHome := openPool(t, url, 4, nil, tenancy.WithAffinity(1))
	tenancy.SetLooseTenants(slowHome, 0)
	if a, b := twoCalls(slowHome); a == b {
		t.Errorf("many tenants, a slow query at home: the second call waited it out on backend %d, want an idle backend after %s", a, tenancy.HomeWait)
	}
	if st := slowHome.Stat(); st.Spilled != 1 || st.Queued != 0 {
		t.Errorf("many tenants, a slow query at home: stats %+v, want 1 spilled call and none queued", st)
	}
	// Among many tenants, one that makes a large share of the calls is hot:
	// its statements are worth keeping on every backend, and it spills at
	// once.
	hot := openPool(t, url, 4, nil, tenancy.WithAffinity(1))
	tenancy.SetLooseTenants(hot, 0)
	tenancy.SetHotCalls(hot, 10)
	c := hot.Bind(tenants[0])
	point := tenancy.NewSQL("SELECT owner FROM items WHERE id = $1", 18)
	for range 10 {
		var owner string
		if err := c.QueryRow(context.Background(), c.SQL(point), 1).Scan(&owner); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := twoCalls(hot); a == b {
		t.Errorf("hot tenant: the second call waited for the busy home connection (backend %d), want an idle one", a)
	}
	if st := hot.Stat(); st.Spilled != 1 || st.Queued != 0 {
		t.Errorf("hot tenant: stats %+v, want 1 spilled call and none queued", st)
	}
}

// A tenant of a large fleet is hot, and spills at once when its home is
// busy, only when it makes more calls than one group serves: the others
// wait for their home, where their statements are prepared.
func TestPoolHotTenantMakesAGroupsShareOfTheCalls(t *testing.T) {
	url, _ := poolFleet(t, 1)
	for _, c := range []struct {
		conns int32
		want  uint32
	}{{8, tenancy.HotHalveCalls / 8}, {2, tenancy.HotHalveCalls / 2}} {
		if got := tenancy.HotCallsOf(openPool(t, url, c.conns, nil)); got != c.want {
			t.Errorf("%d connections: hot from %d recent calls, want %d", c.conns, got, c.want)
		}
	}
	if got := tenancy.HotCallsOf(openPool(t, url, 8, nil)); got <= tenancy.HotCalls {
		t.Errorf("8 connections: hot from %d recent calls, at or below 1/LooseAffinityTenants (%d)", got, tenancy.HotCalls)
	}
}

// A call whose home is busy spills to its tenant's own choice of the
// other connections, the same each time while it is free, so that a
// tenant's spilled calls find its statements prepared on a few backends
// rather than every tenant's spreading over all of them.
func TestPoolSpillsEachTenantToItsOwnConnections(t *testing.T) {
	url, tenants := poolFleet(t, 12)
	p := openPool(t, url, 4, nil, tenancy.WithAffinity(1))
	sleep := tenancy.NewSQL("SELECT pg_backend_pid() FROM items, pg_sleep(0.2) WHERE id = $1", 29)
	spills := map[int32]int{}
	for _, tn := range tenants {
		c := p.Bind(tn)
		home := backend(t, c)
		var busy int32
		done := make(chan error)
		go func() { done <- c.QueryRow(context.Background(), c.SQL(sleep), 1).Scan(&busy) }()
		for p.Stat().AcquiredConns == 0 {
			time.Sleep(time.Millisecond)
		}
		first := backend(t, c)
		for range 3 {
			if pid := backend(t, c); pid != first {
				t.Errorf("tenant %s spilled to backends %d and %d while its home was busy, want one", tn.ID(), first, pid)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if busy != home || first == home {
			t.Fatalf("tenant %s: home %d, the long call ran on %d and the spilled calls on %d: the test does not test", tn.ID(), home, busy, first)
		}
		spills[first]++
	}
	if len(spills) < 3 {
		t.Errorf("12 tenants spilled to %d backends (%v), want at least 3 of 4: each tenant its own", len(spills), spills)
	}
}

// A call through the Pool allocates one object more than the same call on
// a plain pgxpool: the statement text with the tenant's schema.
func TestPoolCallAllocatesOneMoreThanPgxpool(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	ctx := context.Background()
	plain := pgtest.Connect(t, url)
	p := openPool(t, url, 2, nil)
	c := p.Bind(tenants[0])
	text := c.SQL(ownerByID)
	var owner string
	plainAllocs := testing.AllocsPerRun(300, func() {
		if err := plain.QueryRow(ctx, text, 1).Scan(&owner); err != nil {
			t.Fatal(err)
		}
	})
	poolAllocs := testing.AllocsPerRun(300, func() {
		if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&owner); err != nil {
			t.Fatal(err)
		}
	})
	if poolAllocs > plainAllocs+1 {
		t.Errorf("a Pool call allocates %.1f times, a pgxpool call %.1f: want at most one more", poolAllocs, plainAllocs)
	}
}

// Every tenant's instance of a query has one shape, which the plan budget
// measures once per connection; other queries have others.
func TestStatementShapes(t *testing.T) {
	a := `SELECT id FROM "tenant_a".items JOIN "public".plans ON true WHERE id = $1`
	b := `SELECT id FROM "tenant_""b".items JOIN "public".plans ON true WHERE id = $1`
	if tenancy.ShapeOf(a) != tenancy.ShapeOf(b) {
		t.Errorf("two tenants' instances of a query have different shapes")
	}
	for _, other := range []string{
		`SELECT id FROM "tenant_a".items WHERE id = $1`,
		`SELECT id FROM "tenant_a".items JOIN "public".plans ON true WHERE id = $2`,
		`SELECT "id" FROM "tenant_a".items JOIN "public".plans ON true WHERE id = $1`,
	} {
		if tenancy.ShapeOf(other) == tenancy.ShapeOf(a) {
			t.Errorf("%s has the shape of %s", other, a)
		}
	}
}
