package harness

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/tenancy"
)

// poolVariant is one way of connecting the fleet: a tenancy.Pool from
// tenancy.NewPool with opts (the product; no opts is its default), or, with
// plain, a pgxpool.Pool with pgx's defaults bound per call with
// tenancy.Bind — the unoptimised path tenantc keeps working.
type poolVariant struct {
	name  string
	plain bool
	opts  []tenancy.PoolOption
	// ablation marks a variant that turns one of the default's choices
	// off, to measure it; it is never the hand-tuned pick.
	ablation bool
}

// defaultPool is tenancy.NewPool with no options.
func defaultPool() poolVariant { return poolVariant{name: "NewPool (default)"} }

// plainPool is the unoptimised reference: pgxpool with pgx's defaults
// (cache_statement, 512 statements per connection) and tenancy.Bind.
func plainPool() poolVariant {
	return poolVariant{name: "pgxpool + tenancy.Bind (unoptimised)", plain: true}
}

// bouncerPool is the Pool an app opens behind PgBouncer in transaction
// mode.
func bouncerPool() poolVariant {
	return poolVariant{name: "NewPool(BehindPgBouncer())", opts: []tenancy.PoolOption{tenancy.BehindPgBouncer()}}
}

// tunedPools are the hand-tuned NewPool variants P2 tries at the largest
// fleet size (-short: the first only).
func tunedPools() []poolVariant {
	return []poolVariant{
		{name: "NewPool(WithPlanMemory(256 MiB))", opts: []tenancy.PoolOption{tenancy.WithPlanMemory(256 << 20)}},
		{name: "NewPool(WithAffinity(4), WithPlanMemory(256 MiB))",
			opts: []tenancy.PoolOption{tenancy.WithAffinity(4), tenancy.WithPlanMemory(256 << 20)}},
	}
}

// ablations are NewPool variants that each undo one choice of the
// default, so that P2 measures what each choice is worth: no affinity (one
// group of every connection), custom plans, no prepared statements (every
// statement in exec mode), and a plan budget far below the hot set, which
// must do no worse than exec mode.
func ablations() []poolVariant {
	return []poolVariant{
		{name: "NewPool(WithAffinity(2)): groups of two", opts: []tenancy.PoolOption{tenancy.WithAffinity(2)}, ablation: true},
		{name: "NewPool(WithAffinity(8)): no affinity", opts: []tenancy.PoolOption{tenancy.WithAffinity(8)}, ablation: true},
		{name: "NewPool(WithCustomPlans())", opts: []tenancy.PoolOption{tenancy.WithCustomPlans()}, ablation: true},
		{name: "NewPool(WithPlanMemory(0)): exec mode", opts: []tenancy.PoolOption{tenancy.WithPlanMemory(0)}, ablation: true},
		{name: "NewPool(WithPlanMemory(1 MiB)): budget far below the hot set", opts: []tenancy.PoolOption{tenancy.WithPlanMemory(1 << 20)}, ablation: true},
	}
}

// bestTuned is the hand-tuned variant P3 and P8 report beside the
// default: the fastest of tunedPools in this run's P2, or, when P2 did not
// run, the first.
func (h *harness) bestTuned() poolVariant {
	if h.tuned != nil {
		return *h.tuned
	}
	return tunedPools()[0]
}

// opened is a variant's pool, open.
type opened struct {
	v     poolVariant
	conns int
	bind  func(tenancy.Tenant) tenancy.Conn
	close func()
	// acquire takes one connection; holding conns of them at once
	// reaches every connection of the pool.
	acquire func(context.Context) (*pgxpool.Conn, error)
	// plain is the pgxpool of a plain variant, nil for a tenancy.Pool.
	plain *pgxpool.Pool
	// prepares counts the statements a tenancy.Pool prepares; nil for a
	// plain pool.
	prepares *prepCounter
	// stat is a tenancy.Pool's Stat; nil for a plain pool.
	stat func() tenancy.Stats
}

// snapshot returns p's counters, zero for a plain pool.
func (p *opened) snapshot() tenancy.Stats {
	if p.stat == nil {
		return tenancy.Stats{}
	}
	return p.stat()
}

// poolCalls says, for a tenancy.Pool, how the calls between two Stat
// snapshots ran: on a statement kept prepared, and routed off their
// tenant's home group.
func poolCalls(a, b tenancy.Stats) string {
	stmts := (b.Hits - a.Hits) + (b.Prepared - a.Prepared) + (b.Unprepared - a.Unprepared)
	routed := (b.Home - a.Home) + (b.Queued - a.Queued) + (b.Spilled - a.Spilled)
	if stmts == 0 || routed == 0 {
		return ""
	}
	pct := func(n, of int64) float64 { return 100 * float64(n) / float64(of) }
	s := fmt.Sprintf("timed calls: %.0f%% hit a prepared statement, %.0f%% queued for their home, %.0f%% spilled, %.0f%% pipelined",
		pct(b.Hits-a.Hits, stmts), pct(b.Queued-a.Queued, routed), pct(b.Spilled-a.Spilled, routed), pct(b.Pipelined-a.Pipelined, stmts))
	if r := b.Recycled - a.Recycled; r > 0 {
		s += fmt.Sprintf("; %d connections recycled over the backend memory bound", r)
	}
	return s
}

// prepCounter is a pgx tracer that counts prepared statements: a
// tenancy.Pool keeps cfg's tracer, and prepares through pgx's Prepare.
type prepCounter struct{ n atomic.Int64 }

func (*prepCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (*prepCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *prepCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (*prepCounter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// Settling: a tenancy.Pool prepares a statement on the connection that
// runs it, when the connection's plan budget has room or the statement
// earns it. Each connection serves its tenants' statements, and those of
// busy neighbours it takes over, so a Pool keeps preparing for a while
// after every tenant ran once — the start-up of a long-running app, not
// its steady state. And warming every tenant of a large fleet fills each
// backend's catalog caches with its whole share of the fleet at once: the
// Pool replaces the backends that outgrew its memory bound when it next
// reads their memory, up to 15 s later, and the fresh backends read their
// tenants' catalog again. settle runs the workload in rounds until a round
// prepares for fewer than settledPrepares of its calls and the backends'
// memory is settled (see settle), or for at most settleMax.
const (
	settleRound     = 500 * time.Millisecond
	settledPrepares = 0.01
	// recycleQuiet is how long a pool whose backends are near its memory
	// bound must go without replacing one to be settled: longer than the
	// Pool's longest gap between two readings of a backend's memory.
	recycleQuiet = 16 * time.Second
)

// settleMax is the longest a pool settles: five measured durations, at
// least a minute; three rounds with -short, to keep CI's run short.
func (h *harness) settleMax() time.Duration {
	if h.o.Short {
		return 3 * settleRound
	}
	return max(time.Minute, 5*h.o.Duration)
}

// settled says how a pool's settling went, for a row's note.
type settled struct {
	took time.Duration
	// rate is the share of calls that prepared in the last round.
	rate float64
	// recycled is how many backends the pool replaced while it settled.
	recycled int64
	// calls says how the timed calls ran (poolCalls).
	calls string
}

func (s settled) note() string {
	n := fmt.Sprintf("settled %s (%.1f%% of calls prepared at the end", s.took.Round(100*time.Millisecond), 100*s.rate)
	if s.recycled > 0 {
		n += fmt.Sprintf(", %d backends replaced over the memory bound meanwhile", s.recycled)
	}
	n += ")"
	if s.calls != "" {
		n += "; " + s.calls
	}
	return n
}

// settle runs round (the workload for a given time, returning its calls)
// until p's statement caches and backends' memory settle. A plain pool,
// warmed on every connection, has nothing to settle.
func (h *harness) settle(ctx context.Context, p *opened, round func(time.Duration) (int64, error)) (settled, error) {
	if p.prepares == nil {
		return settled{}, nil
	}
	start := time.Now()
	first := p.snapshot().Recycled
	last, lastAt := first, start
	near := false
	for {
		before := p.prepares.n.Load()
		calls, err := round(settleRound)
		if err != nil {
			return settled{}, fmt.Errorf("settle: %w", err)
		}
		if r := p.snapshot().Recycled; r != last {
			last, lastAt = r, time.Now()
		}
		s := settled{took: time.Since(start), rate: float64(p.prepares.n.Load()-before) / float64(max(calls, 1)), recycled: last - first}
		done := s.took >= h.settleMax()
		if !done && s.rate < settledPrepares {
			// The backends' memory is settled when they are quiet, or
			// when every backend is below three quarters of the Pool's
			// default bound: read once, since a backend near it stays
			// near it until it is replaced.
			switch {
			case quiet(last > first, time.Since(lastAt)):
				done = true
			case !near:
				m, err := p.memory(ctx)
				if err != nil {
					return settled{}, fmt.Errorf("settle: %w", err)
				}
				near = m.largest >= tenancy.DefaultBackendMemory*3/4
				done = !near
			}
		}
		if done {
			h.logf("  %s %s", p.v.name, s.note())
			return s, nil
		}
	}
}

// quiet says whether a settling pool's backends are quiet, since being
// the time since the last was replaced, or since the start if none was
// (replaced false): recycleQuiet after a replacement, and twice that
// while none has come, since the Pool's first memory readings after the
// warm-up may still be to come.
func quiet(replaced bool, since time.Duration) bool {
	if replaced {
		return since >= recycleQuiet
	}
	return since >= 2*recycleQuiet
}

// open opens v on url with conns connections, all of them connected
// before it returns.
func (h *harness) open(ctx context.Context, url string, conns int, v poolVariant) (*opened, error) {
	cfg, err := poolConfig(url, conns, pgx.QueryExecModeCacheStatement, 0)
	if err != nil {
		return nil, err
	}
	if v.plain {
		pool, err := openPool(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return &opened{v: v, conns: conns, plain: pool, close: pool.Close, acquire: pool.Acquire,
			bind: func(t tenancy.Tenant) tenancy.Conn { return tenancy.Bind(pool, t) }}, nil
	}
	prep := &prepCounter{}
	cfg.ConnConfig.Tracer = prep
	pool, err := tenancy.NewPool(ctx, cfg, v.opts...)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	// MinConns makes pgxpool connect in the background: wait for them, so
	// that connecting is not measured.
	for deadline := time.Now().Add(10 * time.Second); pool.Stat().TotalConns < int32(conns) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return &opened{v: v, conns: conns, close: pool.Close, acquire: pool.Acquire, bind: pool.Bind, prepares: prep, stat: pool.Stat}, nil
}

// warm brings the pool to the steady state a long-running app reaches
// (statements prepared, each backend's catalog caches filled) before
// timing: a plain pool runs warmOne for every tenant on every connection,
// since any connection serves any tenant; a tenancy.Pool runs it for every
// tenant through Bind from the clients at once, so that each tenant lands
// where the Pool routes it.
func (h *harness) warm(ctx context.Context, p *opened, ts []tenancy.Tenant, warmOne func(context.Context, tenancy.Conn) error) error {
	if p.plain != nil {
		start := time.Now()
		defer func() { h.logf("  %s warmed in %s", p.v.name, time.Since(start).Round(time.Millisecond)) }()
		return eachConn(ctx, p, func(ctx context.Context, c *pgxpool.Conn) error {
			for _, t := range ts {
				if err := warmOne(ctx, tenancy.Bind(c, t)); err != nil {
					return fmt.Errorf("warm %s: %w", t.ID(), err)
				}
			}
			return nil
		})
	}
	return h.warmThrough(ctx, p, ts, warmOne)
}

// warmThrough runs warmOne for every tenant of ts through p's Bind, from
// the clients at once.
func (h *harness) warmThrough(ctx context.Context, p *opened, ts []tenancy.Tenant, warmOne func(context.Context, tenancy.Conn) error) error {
	start := time.Now()
	defer func() { h.logf("  %s warmed in %s", p.v.name, time.Since(start).Round(time.Millisecond)) }()
	g, ctx := errgroup.WithContext(ctx)
	for w := range h.o.Clients {
		g.Go(func() error {
			for i := w; i < len(ts); i += h.o.Clients {
				if err := warmOne(ctx, p.bind(ts[i])); err != nil {
					return fmt.Errorf("warm %s: %w", ts[i].ID(), err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// eachConn runs f on every connection of p at once, holding all of them
// so that each is used.
func eachConn(ctx context.Context, p *opened, f func(context.Context, *pgxpool.Conn) error) error {
	conns := make([]*pgxpool.Conn, 0, p.conns)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range p.conns {
		c, err := p.acquire(ctx)
		if err != nil {
			return fmt.Errorf("acquire: %w", err)
		}
		conns = append(conns, c)
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, c := range conns {
		g.Go(func() error { return f(ctx, c) })
	}
	return g.Wait()
}

// backendMem is the server memory of a pool's backends.
type backendMem struct {
	// largest is the memory of the pool's largest backend, and
	// largestPlans its cached plans (the CachedPlan* contexts);
	// maxPlans is the most plan memory of any backend.
	largest, largestPlans, maxPlans int64
	backends                        int
}

// note describes m for a row's note.
func (m backendMem) note() string {
	s := fmt.Sprintf("largest of %d backends %s, %s of it plans", m.backends, mib(m.largest), mib(m.largestPlans))
	if m.maxPlans > m.largestPlans {
		s += fmt.Sprintf(" (most plans in one: %s)", mib(m.maxPlans))
	}
	return s
}

// memNote is note for a pool on path "direct" or "pgbouncer": behind
// PgBouncer a pool's connections are not its backends, so the backends
// measured are those PgBouncer handed the queries to.
func (m backendMem) memNote(path string) string {
	if path == "pgbouncer" {
		return "via PgBouncer: " + m.note()
	}
	return m.note()
}

// memorySQL reads a backend's memory and the part of it its cached plans
// take.
const memorySQL = `SELECT sum(total_bytes)::bigint,
	coalesce(sum(total_bytes) FILTER (WHERE name LIKE 'CachedPlan%'), 0)::bigint
FROM pg_backend_memory_contexts`

// memory reads pg_backend_memory_contexts on every connection of p.
func (p *opened) memory(ctx context.Context) (backendMem, error) {
	m := backendMem{backends: p.conns}
	var mu sync.Mutex
	err := eachConn(ctx, p, func(ctx context.Context, c *pgxpool.Conn) error {
		var total, plans int64
		if err := c.QueryRow(ctx, memorySQL).Scan(&total, &plans); err != nil {
			return fmt.Errorf("backend memory: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if total > m.largest {
			m.largest, m.largestPlans = total, plans
		}
		m.maxPlans = max(m.maxPlans, plans)
		return nil
	})
	return m, err
}

// fleetSizes are the fleet sizes P2 runs, up to the loaded fleet's.
func fleetSizes(n int) []int {
	var sizes []int
	for _, s := range []int{100, 1000, 10000} {
		if s < n {
			sizes = append(sizes, s)
		}
	}
	return append(sizes, n)
}

// fleetTarget is the target ratio to one tenant for a fleet of n
// tenants: 0.85x up to 1,000, 0.6x beyond.
func fleetTarget(n int) float64 {
	if n <= 1000 {
		return 0.85
	}
	return 0.6
}

// variantName is the row name of v on n tenants.
func variantName(n int, v poolVariant) string {
	if n == 1 {
		return "1 tenant, " + v.name
	}
	return fmt.Sprintf("%d tenants, %s", n, v.name)
}
