package tenancy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool is the connection pool for a tenantc application: a set of pgx
// pools, one per group of connections, that routes each tenant to its own
// connections and keeps the statements each connection runs often
// prepared, within a memory budget. It is what [NewPool] returns, and the
// one way to connect that tenantc documents:
//
//	pool, err := tenancy.NewPool(ctx, cfg)     // cfg from pgxpool.ParseConfig
//	shared := db.New(pool)                     // shared queries
//	q := db.NewTenant(pool.Bind(t))            // one tenant's queries
//
// A Pool satisfies [DBTX] and the generated DBTX interfaces, and has the
// methods of *pgxpool.Pool that migrations and tests use (Acquire, Begin,
// Ping, Config, Close), so it goes wherever tenantc takes a pool.
//
// # What it does, and why
//
// Every tenant statement names its tenant's schema, so its text is its own:
// 10,000 tenants running 10 queries are 100,000 statements. A plain pgx pool
// prepares each one on every connection (512 per connection, then thrashes),
// PostgreSQL plans each one again on its first five executions, and every
// backend fills its catalog caches with every tenant's tables. Pool avoids
// all three:
//
//   - Affinity: each tenant has a home connection (a group of
//     [WithAffinity] connections, one by default), chosen by a hash of its
//     id, so each backend sees a share of the tenants and keeps their
//     statements and catalog entries. Affinity is a preference: with few
//     active tenants ([LooseAffinityTenants]), or for a hot tenant (one
//     that makes more calls than one group can serve, 1/groups of them),
//     a call whose home is busy takes an idle connection; for the others of a large
//     fleet, it waits for its home at most [HomeWait], then takes an idle
//     connection, so one busy tenant can still use the whole pool and no
//     tenant waits long behind another's slow query. The idle connection
//     is the first in the tenant's own order of the groups, so that its
//     spilled calls find its statements and tables on a few backends; a
//     backend near its memory bound takes spilled calls only of the
//     tenants it already holds.
//   - Prepared statements within a budget: each connection keeps the
//     statements it runs most often prepared, within [WithPlanMemory] bytes
//     of plan memory per backend (40 MiB by default, each query's size
//     measured on the backend, foreign-key check plans included). A statement outside that set runs in
//     pgx's one-round-trip exec mode; it replaces the least recently used
//     prepared statement only when it has been run more often than that one
//     lately, so a hot set bigger than the budget costs no more than exec
//     mode (no prepare-evict churn).
//   - A bound on each backend's memory ([WithBackendMemory], 120 MiB by
//     default): catalog caches grow with every tenant a backend serves and
//     PostgreSQL never shrinks them, so the prepared statements get what
//     the rest leaves, and a backend that outgrows the bound anyway is
//     replaced by a fresh one when its call ends.
//   - Generic plans: the sessions use plan_cache_mode = force_generic_plan,
//     so a prepared statement is planned once rather than on each of its
//     first five executions. [WithCustomPlans] keeps PostgreSQL's default.
//   - Pipelining: calls that find their connection busy queue for it in
//     the order they came, and a released connection goes straight to the
//     first. QueryRow, Query and Exec calls queued together whose
//     statements the connection keeps prepared are sent in one round
//     trip, each with its own Sync (its own implicit transaction, as
//     alone); each caller reads its own result in turn (in its Row's Scan,
//     its Rows until closed, its Exec). A statement once sent runs to its
//     end whatever its context says meanwhile; a call whose context ends
//     while it waits to be sent is not sent. A statement whose result took
//     longer than [HomeWait] to come in a pipeline is not pipelined again
//     on that connection, so that no call waits behind it longer than it
//     would for its home. [Stats].Pipelined counts them.
//
// Behind PgBouncer in transaction mode (1.18 keeps no prepared statements)
// open the pool with [BehindPgBouncer]: every statement then runs in exec
// mode, one round trip, nothing kept on the server.
//
// BENCHMARKS.md has the numbers behind each choice.
type Pool struct {
	shards []*shard
	cfg    *pgxpool.Config
	o      poolOptions
	// active estimates the tenants served lately; at most looseTenants of
	// them, a call whose home is busy spills at once (see route).
	active       activeTenants
	looseTenants int64
	// hotCalls is the count of recent calls from which a tenant is hot
	// and spills at once (see route): a group's share of the calls, and
	// at least 1/LooseAffinityTenants of them.
	hotCalls uint32
	// homeWait bounds a call's wait for its busy home (HomeWait).
	homeWait time.Duration
	// tracer is the application's query tracer, which pipelined calls
	// report to (pgx does for the others).
	tracer pgx.QueryTracer
}

// shard is one group of connections and the calls routed to it.
type shard struct {
	pool *pgxpool.Pool
	// busy counts the calls holding or waiting for one of the shard's
	// connections through the Pool; slots.size is the shard's MaxConns.
	busy atomic.Int32
	// slots orders the calls waiting for a connection (see slots).
	slots slots
	// handOff says whether a released connection may go straight to a
	// queued call, which skips pgxpool's release and acquire: not when
	// the application hooks or traces them (AfterRelease,
	// BeforeAcquire, PrepareConn, an acquire or release tracer).
	handOff bool
	// warm holds the tenants whose calls the shard's backends ran since
	// one of them was last replaced (see warmth), and crowded says
	// whether its backend's memory leaves too little room to take in
	// another tenant's tables (see spillFor).
	warm    warmth
	crowded atomic.Bool
	counters
}

// counters count what a shard's calls did; see [Stats].
type counters struct {
	home, spilled, queued               atomic.Int64
	hits, prepared, evicted, unprepared atomic.Int64
	recycled, pipelined                 atomic.Int64
}

// PoolOption configures a [Pool].
type PoolOption func(*poolOptions)

type poolOptions struct {
	planMemory    int64
	backendMemory int64
	bouncer       bool
	customPlans   bool
	connsPerGroup int
}

// DefaultPlanMemory is the default budget, per connection, for the plans
// a backend of a [Pool] holds: 40 MiB, as pg_backend_memory_contexts counts
// them (the CachedPlan contexts). The foreign-key checks PostgreSQL plans
// for each tenant table a backend writes to take their part of it, and
// the Pool's prepared statements the rest (at least a quarter). In bench's
// P8 (10,000 tenants of three tables, ten queries) a backend held beside it
// about 75 MiB of catalog caches for its share of the tenants, and the
// largest backend stayed within 128 MiB. Raise it when the fleet is
// smaller or memory is plentiful, and check Stat's hits.
const DefaultPlanMemory = 40 << 20

// WithPlanMemory sets how much server memory, per connection, the plans of
// a [Pool]'s backends may take: the statements the Pool keeps prepared,
// and the plans PostgreSQL caches for itself (foreign-key checks, one per
// constraint of each tenant table written to; PL/pgSQL), which leave the
// Pool's statements what remains, and at least a quarter. The Pool
// measures the first statement of each query on each connection (the
// backend's plan memory before its prepare and after its first run) and
// counts every tenant's instance of that query at that size, and reads the
// backend's plan memory again as its statements grow or turn over by a
// sixteenth, so the budget holds for joins and aggregates as for point
// selects. Reading pg_backend_memory_contexts takes PostgreSQL 14 or later
// and a role that is a superuser or has pg_read_all_stats (GRANT
// pg_read_all_stats TO app); without it the Pool counts each statement at
// an estimate from its text, close for a point select and two to three
// times low for joins, and cannot see PostgreSQL's own plans, so the
// budget then bounds less than it says. Zero prepares nothing: every
// statement runs in exec mode. The default is [DefaultPlanMemory].
func WithPlanMemory(bytes int64) PoolOption {
	return func(o *poolOptions) { o.planMemory = max(0, bytes) }
}

// DefaultBackendMemory is the default bound of [WithBackendMemory]: 120
// MiB per backend.
const DefaultBackendMemory = 120 << 20

// WithBackendMemory bounds the memory of each backend of a [Pool], as
// pg_backend_memory_contexts counts it (the same reading, and the same
// rights, as [WithPlanMemory]). PostgreSQL never shrinks a backend's
// catalog caches: they grow with every tenant table the backend touches,
// about 7.5 KB each, so in a long-running app over a large fleet the
// backends that serve spilled calls slowly fill up with the whole fleet's
// catalog. The Pool reads each backend's memory as its statements change
// and every thousand calls, at most once a second and no oftener than a
// thousand times what the last reading took (a backend holding thousands
// of plans takes milliseconds to list its memory), but sooner when the
// backend grows fast towards the bound; its prepared statements get what
// the rest leaves of the bound (within the plan budget, and at least a
// quarter of it), and a backend whose other memory
// leaves less than that is closed when its call ends, outside a
// transaction, and replaced by a fresh one. [Stats].Recycled counts them.
// It applies while the Pool keeps statements prepared (a plan budget above
// zero, not [BehindPgBouncer]). Zero leaves backends unbounded. The
// default is [DefaultBackendMemory].
func WithBackendMemory(bytes int64) PoolOption {
	return func(o *poolOptions) { o.backendMemory = max(0, bytes) }
}

// BehindPgBouncer says the pool connects through PgBouncer (or another
// pooler) in transaction mode, where a prepared statement does not survive
// the transaction that made it: every statement runs in pgx's one-round-trip
// exec mode, and the connections are not split into affine groups, since
// the server backend behind a connection changes with every transaction.
func BehindPgBouncer() PoolOption {
	return func(o *poolOptions) { o.bouncer = true }
}

// WithCustomPlans keeps PostgreSQL's default plan_cache_mode (auto): a
// prepared statement is planned for its parameter values on each of its
// first five executions before PostgreSQL settles on a generic plan if that
// is no worse. Use it when queries on skewed columns need plans for their
// values; it costs planning time on the first executions of each tenant's
// statements.
func WithCustomPlans() PoolOption {
	return func(o *poolOptions) { o.customPlans = true }
}

// WithAffinity sets how many connections each affinity group has
// ([DefaultAffinity] by default): each tenant's calls go to its home group.
// Bigger groups queue less and serve a busy tenant with more connections
// before it spills over, but let each backend see more tenants (more
// catalog and plan memory); a group of cfg.MaxConns connections turns
// affinity off.
func WithAffinity(connsPerGroup int) PoolOption {
	return func(o *poolOptions) { o.connsPerGroup = max(1, connsPerGroup) }
}

// DefaultAffinity is the default number of connections in an affinity
// group of a [Pool]: a pool of cfg.MaxConns connections has
// cfg.MaxConns / DefaultAffinity groups. Groups of one keep a backend's
// share of a large fleet at one connection's worth, half what groups of
// two hold, at the same speed: in bench's P2 at 10,000 tenants (uniform)
// groups of one ran 0.42× the one-tenant rate and groups of two 0.43×, the
// largest backend 53 MiB against 95 MiB; in P8's Zipf mix, 50 µs of CPU
// per call against 65 µs. A call waits for its busy home at most
// [HomeWait].
const DefaultAffinity = 1

// NewPool opens a [Pool] from cfg, which it does not modify. cfg.MaxConns is
// the total number of connections, split among the affinity groups;
// cfg.MinConns is split the same way. The pool's sessions run in pgx's exec
// mode by default (the Pool prepares what pays), with plan_cache_mode set
// unless [WithCustomPlans] or [BehindPgBouncer] is given; cfg's hooks and
// tracer are kept.
func NewPool(ctx context.Context, cfg *pgxpool.Config, opts ...PoolOption) (*Pool, error) {
	if cfg == nil {
		return nil, errors.New("tenancy: new pool: nil config (use pgxpool.ParseConfig)")
	}
	o := poolOptions{planMemory: DefaultPlanMemory, backendMemory: DefaultBackendMemory, connsPerGroup: DefaultAffinity}
	for _, opt := range opts {
		opt(&o)
	}
	if o.bouncer {
		o.planMemory, o.backendMemory = 0, 0
	}
	n := 1
	if !o.bouncer {
		n = max(1, int(cfg.MaxConns)/o.connsPerGroup)
	}
	p := &Pool{cfg: cfg.Copy(), o: o, shards: make([]*shard, 0, n), looseTenants: LooseAffinityTenants, hotCalls: max(hotCalls, uint32(hotHalveCalls/n)),
		homeWait: HomeWait, tracer: cfg.ConnConfig.Tracer}
	handOff := cfg.AfterRelease == nil && cfg.BeforeAcquire == nil && cfg.PrepareConn == nil
	if _, ok := cfg.ConnConfig.Tracer.(pgxpool.AcquireTracer); ok {
		handOff = false
	}
	if _, ok := cfg.ConnConfig.Tracer.(pgxpool.ReleaseTracer); ok {
		handOff = false
	}
	for i := range n {
		c := cfg.Copy()
		c.MaxConns = max(1, split(cfg.MaxConns, n, i))
		c.MinConns = min(c.MaxConns, split(cfg.MinConns, n, i))
		cc := c.ConnConfig
		cc.DefaultQueryExecMode = pgx.QueryExecModeExec
		if !o.customPlans && !o.bouncer {
			if cc.RuntimeParams == nil {
				cc.RuntimeParams = map[string]string{}
			}
			if _, set := cc.RuntimeParams["plan_cache_mode"]; !set {
				cc.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
			}
		}
		cc.Tracer = withReleaseTracer(cc.Tracer)
		pool, err := pgxpool.NewWithConfig(ctx, c)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("tenancy: new pool: %w", err)
		}
		s := &shard{pool: pool, handOff: handOff}
		s.slots.size = c.MaxConns
		p.shards = append(p.shards, s)
	}
	return p, nil
}

// split returns part i of n divided among parts, the remainder going to the
// first parts.
func split(n int32, parts, i int) int32 {
	part := n / int32(parts)
	if int32(i) < n%int32(parts) {
		part++
	}
	return part
}

// Bind returns a [Conn] that runs t's statements on the pool, routed to t's
// connections. With the zero Tenant it returns the unbound zero Conn.
func (p *Pool) Bind(t Tenant) Conn {
	if t.IsZero() {
		return Conn{}
	}
	return Conn{db: p, t: t, pool: p}
}

// HomeWait is how long, at most, a call of a [Pool] that serves more
// than [LooseAffinityTenants] tenants waits for its busy home connection
// before it takes an idle connection instead. Waiting a little keeps each
// backend's share of a large fleet small; the bound keeps a tenant whose
// home runs a long query (a report, a lock wait) from waiting behind it.
// In bench's P2 (10,000 tenants, 8 clients, 8 connections) the calls that
// waited did so for well under a millisecond.
const HomeWait = 5 * time.Millisecond

// LooseAffinityTenants is how many active tenants a [Pool] serves with loose
// affinity: up to this many (estimated over the last few hundred thousand
// calls), a call whose home is busy takes an idle connection of another
// group at once, since every backend can then cache every tenant's tables
// (each backend's catalog caches take about 7.5 KB per table it has
// touched, so 1,500 tenants of 3 tables add some 35 MiB, the plan budget
// aside); past it, a call waits for its home up to [HomeWait], so that each
// backend holds only its share of a large fleet.
const LooseAffinityTenants = 1500

// route returns the shard for a call for t, whether the call is to wait
// for it at most homeWait, and t's hash: t's home shard while it has a
// free connection; when it is busy, t's first shard with a free connection
// in t's own order of the shards (see spillFor) if t is hot (it made one
// shard's share of the recent calls or more: more than its home can
// serve) or the pool serves few tenants (LooseAffinityTenants); else the
// home shard, to wait for a bounded time (see acquire). The zero Tenant
// (shared statements) gets the least busy shard.
//
// Only a tenant that its home cannot serve alone spills at once. The
// others of a large fleet wait for their home, where their statements are
// prepared and their tables in the catalog caches: in bench's P8 (Zipf
// s=1.1 over 10,000 tenants) spilling at once every tenant that made
// 1/LooseAffinityTenants of the calls or more (the 140 busiest, two
// thirds of the calls) sent half the calls to backends that held a
// tenant's statements less often (66–73% of calls hit one, against
// 79–83% waiting), and cost 270 µs of CPU per call against 215 µs.
//
// Waiting briefly for the home costs little when the fleet is large: the
// server's CPU, not the number of connections in use, bounds throughput,
// and the home backend has the tenant's statements prepared and its tables
// in its catalog caches, where another backend would run the statement
// unprepared and cache one more tenant's tables. With few tenants every
// backend holds them all anyway, and waiting only costs throughput
// (BENCHMARKS.md, P2 at 1,000 tenants).
func (p *Pool) route(t Tenant) (*shard, bool, uint32) {
	n := uint32(len(p.shards))
	if n == 1 {
		return p.shards[0], false, 0
	}
	if t.IsZero() {
		return p.leastBusy(), false, 0
	}
	// FNV-1a, inline so that routing a call allocates nothing.
	h := uint32(2166136261)
	for i := 0; i < len(t.id); i++ {
		h ^= uint32(t.id[i])
		h *= 16777619
	}
	recent := p.active.add(h)
	home := p.shards[h%n]
	if home.busy.Load() < home.slots.size {
		home.home.Add(1)
		return home, false, h
	}
	if recent >= p.hotCalls || p.active.count() <= p.looseTenants {
		if s := p.spillFor(h); s.busy.Load() < s.slots.size {
			s.spilled.Add(1)
			return s, false, h
		}
		home.queued.Add(1)
		return home, false, h
	}
	home.queued.Add(1)
	return home, true, h
}

// spillFor returns the shard for a call of the tenant of hash h whose home
// is busy: the first shard with a free connection in the tenant's own
// order of the shards that either has served the tenant lately or has room
// for it; failing that, the first with a free connection; failing that,
// the least busy.
//
// The order ranks each shard by a hash of the tenant's and the shard's
// (rendezvous hashing), so every tenant has its own, and the spilled calls
// of one tenant go to the same few backends, as often as the shards before
// them are busy: those backends keep its statements prepared and its
// tables in their catalog caches. Spilling to whichever shard was least
// busy spread every tenant over every backend.
//
// A backend's catalog caches never shrink, and one that outgrows
// WithBackendMemory is replaced (see release) by one that has to read
// its share of the fleet's catalog again, so a crowded shard takes
// spilled calls only of tenants it already holds.
func (p *Pool) spillFor(h uint32) *shard {
	var best, free *shard
	var top, topFree uint32
	for i, s := range p.shards {
		if s.busy.Load() >= s.slots.size {
			continue
		}
		r := rank(h, uint32(i))
		if free == nil || r > topFree {
			free, topFree = s, r
		}
		if (!s.crowded.Load() || s.warm.has(h)) && (best == nil || r > top) {
			best, top = s, r
		}
	}
	switch {
	case best != nil:
		return best
	case free != nil:
		return free
	}
	return p.leastBusy()
}

// rank is shard i's place in the spill order of the tenant of hash h: a
// mix of the two (the finaliser of MurmurHash3), higher first.
func rank(h, i uint32) uint32 {
	x := h ^ (i+1)*0x9e3779b9
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x
}

// leastBusy returns the shard with the fewest calls per connection.
func (p *Pool) leastBusy() *shard {
	best := p.shards[0]
	bb := best.busy.Load()
	for _, s := range p.shards[1:] {
		if b := s.busy.Load(); b*best.slots.size < bb*s.slots.size {
			best, bb = s, b
		}
	}
	return best
}

// acquire takes a connection of t's shard; a call that waits for its home
// and has not got it after p.homeWait spills instead (see spillFor).
func (p *Pool) acquire(ctx context.Context, t Tenant) (*pgxpool.Conn, *shard, error) {
	c, s, _, err := p.acquireFor(ctx, t, pipeArgs{})
	return c, s, err
}

// acquireFor is acquire for a call that may run in a pipeline (a): it
// returns either a connection, or the pipeline in which the call's turn
// has come.
func (p *Pool) acquireFor(ctx context.Context, t Tenant, a pipeArgs) (*pgxpool.Conn, *shard, *pipeline, error) {
	s, bounded, h := p.route(t)
	s.busy.Add(1)
	var bound time.Duration
	if bounded {
		bound = p.homeWait
	}
	g, ok, err := s.slots.take(ctx, bound, a)
	if err != nil {
		s.busy.Add(-1)
		return nil, nil, nil, err
	}
	if !ok {
		s.busy.Add(-1)
		s.queued.Add(-1)
		s = p.spillFor(h)
		s.spilled.Add(1)
		s.busy.Add(1)
		if g, _, err = s.slots.take(ctx, 0, a); err != nil {
			s.busy.Add(-1)
			return nil, nil, nil, err
		}
	}
	if !t.IsZero() && len(p.shards) > 1 {
		s.warm.add(h)
	}
	switch {
	case g.turn != nil:
		return nil, s, g.turn, nil
	case g.conn != nil:
		return g.conn, s, nil, nil
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		s.slots.put()
		s.busy.Add(-1)
		return nil, nil, nil, p.connectFailed(err)
	}
	return c, s, nil, nil
}

// connectFailed explains a connection refused for the plan_cache_mode
// startup parameter, which PgBouncer refuses unless told to ignore it.
func (p *Pool) connectFailed(err error) error {
	if !p.o.bouncer && strings.Contains(err.Error(), "unsupported startup parameter: plan_cache_mode") {
		return fmt.Errorf("%w (or tenancy.WithCustomPlans() in session mode): %w", ErrPooler, err)
	}
	return err
}

// release returns c to s, after reading the size of a statement it
// prepared in this call, if it is measuring one.
func release(c *pgxpool.Conn, s *shard) {
	if sc, ok := c.Conn().PgConn().CustomData()[cacheKey].(*stmtCache); ok {
		if sc.pending != nil {
			sc.finishSize(c.Conn())
		}
		if sc.recycle && c.Conn().PgConn().TxStatus() == 'I' {
			// Its backend outgrew WithBackendMemory: the pool replaces
			// a closed connection.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = c.Conn().Close(ctx)
			cancel()
			s.recycled.Add(1)
			s.warm.reset()
			s.crowded.Store(false)
		} else if crowded := sc.crowded(); s.crowded.Load() != crowded {
			s.crowded.Store(crowded)
		}
	}
	pc := c.Conn().PgConn()
	if s.handOff && !pc.IsClosed() && pc.TxStatus() == 'I' && s.slots.handOff(c) {
		s.busy.Add(-1)
		return
	}
	c.Release()
	s.slots.put()
	s.busy.Add(-1)
}

// Exec runs a statement that is not for one tenant (a shared statement) on
// the least busy connection.
func (p *Pool) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	return p.exec(ctx, Tenant{}, sql, arguments)
}

// Query runs a shared statement on the least busy connection.
func (p *Pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.query(ctx, Tenant{}, sql, args)
}

// QueryRow runs a shared statement on the least busy connection.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.queryRow(ctx, Tenant{}, sql, args)
}

// CopyFrom copies rows into tableName on the least busy connection.
func (p *Pool) CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	return p.copyFrom(ctx, Tenant{}, tableName, columnNames, rowSrc)
}

// SendBatch sends b on the least busy connection.
func (p *Pool) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return p.sendBatch(ctx, Tenant{}, b)
}

// Begin starts a transaction on the least busy connection. For a tenant's
// transaction use [Conn.Begin] on a Conn from [Pool.Bind], which keeps the
// tenant's routing.
func (p *Pool) Begin(ctx context.Context) (pgx.Tx, error) {
	return p.begin(ctx, Tenant{}, pgx.TxOptions{})
}

// BeginTx starts a transaction with txOptions on the least busy connection.
func (p *Pool) BeginTx(ctx context.Context, txOptions pgx.TxOptions) (pgx.Tx, error) {
	return p.begin(ctx, Tenant{}, txOptions)
}

// Acquire takes a connection from the least busy group, for work that needs
// one session (advisory locks, migrations). Release it when done. Calls on
// it bypass the Pool's statement cache.
func (p *Pool) Acquire(ctx context.Context) (*pgxpool.Conn, error) {
	s := p.leastBusy()
	s.busy.Add(1)
	if _, _, err := s.slots.take(ctx, 0, pipeArgs{}); err != nil {
		s.busy.Add(-1)
		return nil, err
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		s.slots.put()
		s.busy.Add(-1)
		return nil, p.connectFailed(err)
	}
	// The connection counts as busy until its Release, which the release
	// tracer sees.
	c.Conn().PgConn().CustomData()[heldKey] = s
	return c, nil
}

// heldKey marks, in pgconn's CustomData, a connection handed out by
// [Pool.Acquire], with its shard.
const heldKey = "tenantc.tenancy.held"

// releaseTracer ends the busy count of connections from [Pool.Acquire].
type releaseTracer struct{}

func (releaseTracer) TraceRelease(_ *pgxpool.Pool, data pgxpool.TraceReleaseData) {
	m := data.Conn.PgConn().CustomData()
	if s, ok := m[heldKey].(*shard); ok {
		delete(m, heldKey)
		s.slots.put()
		s.busy.Add(-1)
	}
}

func (releaseTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (releaseTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// withReleaseTracer adds the releaseTracer to an application's tracer.
func withReleaseTracer(t pgx.QueryTracer) pgx.QueryTracer {
	if t == nil {
		return releaseTracer{}
	}
	m := multitracer.New(t)
	m.PoolReleaseTracers = append(m.PoolReleaseTracers, releaseTracer{})
	return m
}

// Ping checks one connection of every group.
func (p *Pool) Ping(ctx context.Context) error {
	for _, s := range p.shards {
		if err := s.pool.Ping(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Config returns a copy of the configuration the pool was opened with, its
// MaxConns the total over the groups.
func (p *Pool) Config() *pgxpool.Config { return p.cfg.Copy() }

// Close closes every connection. It waits for the connections in use to be
// released.
func (p *Pool) Close() {
	for _, s := range p.shards {
		s.pool.Close()
	}
}

// Groups returns the pgx pools of the affinity groups, for statistics and
// diagnostics (for example, reading each backend's memory). The slice is a
// copy; the pools are not: statements run on them directly bypass the
// Pool's routing and statement cache.
func (p *Pool) Groups() []*pgxpool.Pool {
	gs := make([]*pgxpool.Pool, len(p.shards))
	for i, s := range p.shards {
		gs[i] = s.pool
	}
	return gs
}

// Stats are counters of a [Pool], summed over its groups.
type Stats struct {
	// Groups is the number of affinity groups; MaxConns their connections.
	Groups   int
	MaxConns int32
	// TotalConns, IdleConns and AcquiredConns are pgxpool's counts.
	TotalConns, IdleConns, AcquiredConns int32

	// Tenant calls by where they ran: on a free connection of the
	// tenant's home group, queued for it, or spilled to the least busy
	// group because the home group was busy (see [LooseAffinityTenants]).
	Home, Queued, Spilled int64
	// ActiveTenants estimates the distinct tenants served lately; a pool
	// of one group (BehindPgBouncer, or fewer than two groups' worth of
	// connections) does not route, and leaves it and Home, Queued and
	// Spilled at zero.
	ActiveTenants int64
	// Statements by how they ran: Hits on a connection that kept them
	// prepared, Prepared first (Evicted counts the statements dropped to
	// make room), Unprepared in exec mode because they did not earn a
	// place within the plan memory budget.
	Hits, Prepared, Evicted, Unprepared int64
	// Recycled counts the connections closed because their backend
	// outgrew [WithBackendMemory].
	Recycled int64
	// Pipelined counts the calls that found their connection busy and
	// ran in one round trip with others queued for it (see [Pool]).
	Pipelined int64
}

// Stat returns the pool's counters.
func (p *Pool) Stat() Stats {
	st := Stats{Groups: len(p.shards), ActiveTenants: p.active.count()}
	for _, s := range p.shards {
		ps := s.pool.Stat()
		st.MaxConns += ps.MaxConns()
		st.TotalConns += ps.TotalConns()
		st.IdleConns += ps.IdleConns()
		st.AcquiredConns += ps.AcquiredConns()
		st.Home += s.home.Load()
		st.Spilled += s.spilled.Load()
		st.Queued += s.queued.Load()
		st.Hits += s.hits.Load()
		st.Prepared += s.prepared.Load()
		st.Evicted += s.evicted.Load()
		st.Unprepared += s.unprepared.Load()
		st.Recycled += s.recycled.Load()
		st.Pipelined += s.pipelined.Load()
	}
	return st
}

func (p *Pool) exec(ctx context.Context, t Tenant, sql string, args []any) (pgconn.CommandTag, error) {
	a := p.pipeArgsFor(ctx, sql, args)
	c, s, turn, err := p.acquireFor(ctx, t, a)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	if turn != nil {
		return turn.exec()
	}
	conn := c.Conn()
	if err := p.prepareExec(ctx, conn, s, sql, args); err != nil {
		release(c, s)
		return pgconn.CommandTag{}, err
	}
	if pl := p.leadQueued(c, s, a); pl != nil {
		return pl.exec()
	}
	defer release(c, s)
	return p.runExec(ctx, conn, sql, args)
}

// execOn runs Exec on conn, with the statement prepared when it pays.
func (p *Pool) execOn(ctx context.Context, conn *pgx.Conn, s *shard, sql string, args []any) (pgconn.CommandTag, error) {
	if err := p.prepareExec(ctx, conn, s, sql, args); err != nil {
		return pgconn.CommandTag{}, err
	}
	return p.runExec(ctx, conn, sql, args)
}

// prepareExec is prepare for an Exec: a statement without arguments may
// be several, or DDL, and is never prepared.
func (p *Pool) prepareExec(ctx context.Context, conn *pgx.Conn, s *shard, sql string, args []any) error {
	if len(args) == 0 {
		return nil
	}
	return p.prepare(ctx, conn, s, sql, args)
}

// runExec runs Exec on conn.
func (p *Pool) runExec(ctx context.Context, conn *pgx.Conn, sql string, args []any) (pgconn.CommandTag, error) {
	tag, err := conn.Exec(ctx, sql, args...)
	if err != nil {
		err = p.failed(conn, sql, err)
	}
	return tag, err
}

func (p *Pool) query(ctx context.Context, t Tenant, sql string, args []any) (pgx.Rows, error) {
	a := p.pipeArgsFor(ctx, sql, args)
	c, s, turn, err := p.acquireFor(ctx, t, a)
	if err != nil {
		return errRows{err}, err
	}
	if turn != nil {
		return turn.rows()
	}
	conn := c.Conn()
	if err := p.prepare(ctx, conn, s, sql, args); err != nil {
		release(c, s)
		return errRows{err}, err
	}
	if pl := p.leadQueued(c, s, a); pl != nil {
		return pl.rows()
	}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		release(c, s)
		err = p.failed(conn, sql, err)
		return errRows{err}, err
	}
	return newPoolRows(p, rows, c, s, sql), nil
}

func (p *Pool) queryRow(ctx context.Context, t Tenant, sql string, args []any) pgx.Row {
	a := p.pipeArgsFor(ctx, sql, args)
	c, s, turn, err := p.acquireFor(ctx, t, a)
	if err != nil {
		return errRows{err}
	}
	if turn != nil {
		return turn.row()
	}
	conn := c.Conn()
	if err := p.prepare(ctx, conn, s, sql, args); err != nil {
		release(c, s)
		return errRows{err}
	}
	if pl := p.leadQueued(c, s, a); pl != nil {
		return pl.row()
	}
	return newPoolRow(p, conn.QueryRow(ctx, sql, args...), c, s, sql)
}

// pipeArgsFor describes a call of sql with args for acquireFor: one that
// can run in a pipeline when the Pool keeps statements prepared.
func (p *Pool) pipeArgsFor(ctx context.Context, sql string, args []any) pipeArgs {
	return pipeArgs{ok: p.o.planMemory > 0 && pipelinable(args), ctx: ctx, sql: sql, args: args}
}

// leadQueued sends the call a, which holds c, in a pipeline with the
// calls queued for c, if there are any; nil if not.
func (p *Pool) leadQueued(c *pgxpool.Conn, s *shard, a pipeArgs) *pipeline {
	if !a.ok || s.busy.Load() <= s.slots.size || c.Conn().PgConn().TxStatus() != 'I' {
		return nil
	}
	return p.lead(c, s, a)
}

func (p *Pool) copyFrom(ctx context.Context, t Tenant, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	c, s, err := p.acquire(ctx, t)
	if err != nil {
		return 0, err
	}
	defer release(c, s)
	return c.Conn().CopyFrom(ctx, tableName, columnNames, rowSrc)
}

func (p *Pool) sendBatch(ctx context.Context, t Tenant, b *pgx.Batch) pgx.BatchResults {
	c, s, err := p.acquire(ctx, t)
	if err != nil {
		return errBatch{err}
	}
	return &poolBatch{BatchResults: c.Conn().SendBatch(ctx, b), c: c, s: s}
}

func (p *Pool) begin(ctx context.Context, t Tenant, opts pgx.TxOptions) (pgx.Tx, error) {
	c, s, err := p.acquire(ctx, t)
	if err != nil {
		return nil, err
	}
	tx, err := c.Conn().BeginTx(ctx, opts)
	if err != nil {
		release(c, s)
		return nil, err
	}
	return &poolTx{Tx: tx, p: p, c: c, s: s}, nil
}

// ErrPooler is wrapped by the error of a call on a [Pool] that was not
// opened with [BehindPgBouncer] but meets a pooler in transaction mode: a
// prepared statement the server does not have, or already has under the
// same name (the pooler handed the session's statements to another server
// connection), or a startup parameter the pooler refuses (plan_cache_mode).
// Open the pool with BehindPgBouncer. Test with errors.Is.
var ErrPooler = errors.New("tenancy: the pool seems to connect through PgBouncer (or another pooler) in transaction mode: open it with tenancy.BehindPgBouncer()")

// failed handles err from running sql on conn: a plan whose result type
// changed (a migration altered a table under SELECT *) drops the prepared
// statement so that the next call prepares it again, and a statement lost
// to a pooler wraps [ErrPreparedStatementLost].
func (p *Pool) failed(conn *pgx.Conn, sql string, err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "0A000": // feature_not_supported: cached plan must not change result type
		if c := cacheOf(conn, &p.o); c != nil {
			c.invalidate(sql)
		}
	case "26000", "42P05": // invalid_sql_statement_name, duplicate_prepared_statement
		if !p.o.bouncer {
			return fmt.Errorf("%w: %w", ErrPooler, err)
		}
	}
	return err
}

var _ DBTX = (*Pool)(nil)
