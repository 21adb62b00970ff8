package tenancy

import (
	"context"
	"errors"
	"hash/maphash"
	"math/bits"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// prepare makes sure sql is prepared on conn when keeping it prepared pays,
// so that pgx, which runs the statements a connection has prepared by their
// text, runs it without a parse or plan; any other statement runs in the
// pool's default exec mode. It leaves alone calls whose arguments start
// with a pgx option (an exec mode chosen by the caller wins) and a
// transaction that has already failed.
func (p *Pool) prepare(ctx context.Context, conn *pgx.Conn, s *shard, sql string, args []any) error {
	if p.o.planMemory == 0 || sql == "" {
		return nil
	}
	if len(args) > 0 {
		switch args[0].(type) {
		case pgx.QueryExecMode, pgx.QueryRewriter, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
			return nil
		}
	}
	if conn.PgConn().TxStatus() == 'E' {
		return nil
	}
	return cacheOf(conn, &p.o).use(ctx, p, conn, &s.counters, sql)
}

// cacheKey is where a connection's stmtCache lives in pgconn's CustomData.
const cacheKey = "tenantc.tenancy.stmtcache"

// cacheOf returns conn's statement cache, made on first use with the
// budgets of o.
func cacheOf(conn *pgx.Conn, o *poolOptions) *stmtCache {
	m := conn.PgConn().CustomData()
	c, _ := m[cacheKey].(*stmtCache)
	if c == nil {
		c = newStmtCache(o.planMemory)
		c.limit = o.backendMemory
		m[cacheKey] = c
	}
	return c
}

// stmtCache is the set of statements one connection keeps prepared: at most
// budget bytes of server memory with the plans the backend caches for
// itself (each query's size measured on the backend, see finishSize and
// measure), least
// recently used first out,
// with admission by frequency (TinyLFU): when the cache is full, a new
// statement is prepared only if it has been run clearly more often lately
// (half as often again, and once more) than the statement it would evict. Under a uniform load bigger than the budget the
// cached set therefore stays put, and the rest runs in exec mode, instead of
// every call preparing one statement and deallocating another. A statement
// is never prepared on its first run on a connection (TinyLFU's
// doorkeeper): a call that spilled to another connection, or a tenant seen
// once, costs one exec-mode round trip and no server memory, instead of a
// prepare round trip and a plan nobody reuses.
//
// A connection is used by one goroutine at a time, and so is its cache.
type stmtCache struct {
	// budget is the plan memory allowed, in bytes of server memory; used
	// is the size of the statements kept, other that of the plans the
	// backend caches for itself (foreign key checks, PL/pgSQL), as last
	// measured.
	budget, used, other int64
	// limit bounds the backend's memory as a whole (0: no bound);
	// nonPlan is what the backend holds besides plans (catalog caches,
	// above all), as last measured. recycle is set once nonPlan leaves
	// too little of limit for the floor of the plan budget: the
	// connection is then closed when its call ends, and replaced.
	limit, nonPlan int64
	recycle        bool
	// calls counts the calls since the backend's memory was last read.
	calls int
	// measuredAt is the number of statements kept when the backend's plan
	// memory was last read, prepares the statements prepared since, and
	// readAt the time of that reading; readCost is how long the last
	// reading took (see gap).
	measuredAt, prepares int
	readAt               time.Time
	readCost             time.Duration
	// growth is how fast, in bytes a second, the backend's memory besides
	// plans grew between two readings at least half a second apart, the
	// later at sawAt finding sawNonPlan (see gap).
	growth     float64
	sawAt      time.Time
	sawNonPlan int64
	m          map[string]*stmtEntry
	// head is the most recently used entry, tail the least.
	head, tail *stmtEntry
	freq       sketch
	// invalid holds statements to deallocate before the next call.
	invalid []string
	// shapes holds the measured size of the statements of each shape
	// (the text without its schema qualifiers, hashed; see shapeOf):
	// every tenant's instance of a query takes about the same memory.
	shapes map[uint64]int64
	// pending is the statement whose size is being measured: the plan
	// memory before it was prepared is known, the memory after its
	// first run is read when its connection is released.
	pending *pendingSize
	// blind is set when the backend's plan memory cannot be read
	// (pg_backend_memory_contexts needs PostgreSQL 14 and a superuser or
	// pg_read_all_stats): the cache then counts each statement at its
	// estimate, planBytes.
	blind bool
}

type stmtEntry struct {
	sql  string
	hash uint64
	size int64
	// sd is the statement as prepared, which a pipeline sends; slow is
	// set once a pipeline waited longer than the Pool's HomeWait for its
	// result, and no call waits behind it in a pipeline again.
	sd         *pgconn.StatementDescription
	slow       bool
	prev, next *stmtEntry
}

type pendingSize struct {
	e      *stmtEntry
	shape  uint64
	before int64
}

func newStmtCache(budget int64) *stmtCache {
	return &stmtCache{
		budget: budget,
		m:      map[string]*stmtEntry{},
		freq:   newSketch(int(budget / planBytes(64))),
		shapes: map[uint64]int64{},
	}
}

var hashSeed = maphash.MakeSeed()

// use prepares sql on conn if it is cached or earns a place; it returns an
// error only when the connection failed.
func (c *stmtCache) use(ctx context.Context, p *Pool, conn *pgx.Conn, n *counters, sql string) error {
	if len(c.invalid) > 0 {
		if err := c.flush(ctx, conn); err != nil {
			return err
		}
	}
	c.calls++
	if c.limit > 0 && c.calls >= recheckCalls && !c.blind && conn.PgConn().TxStatus() == 'I' && time.Since(c.readAt) >= c.gap(recheckEvery) {
		// Catalog caches grow with the tenants a backend serves,
		// whether or not their statements are kept: read its memory
		// again now and then.
		if err := c.measure(ctx, conn, n); err != nil {
			return err
		}
	}
	h := maphash.String(hashSeed, sql)
	f := c.freq.add(h)
	if e := c.m[sql]; e != nil {
		c.unlink(e)
		c.pushFront(e)
		n.hits.Add(1)
		return nil
	}
	if f < 2 {
		n.unprepared.Add(1)
		return nil
	}
	shape := shapeOf(sql)
	size, measured := c.shapes[shape]
	if !measured {
		size = planBytes(len(sql))
	}
	// Reading the plan memory in a transaction could fail it: read it
	// between transactions only.
	idle := !c.blind && conn.PgConn().TxStatus() == 'I'
	if idle && c.due() {
		if err := c.measure(ctx, conn, n); err != nil {
			return err
		}
	}
	room := c.room()
	if size > room {
		n.unprepared.Add(1)
		return nil
	}
	for c.used+size > room {
		v := c.tail
		// Half as often again as the victim, and one more: under a
		// uniform load the counts of the sketch are all about equal,
		// and a plain "more often" let half the calls of bench's P8
		// uniform mix replace a statement (prepare, deallocate) for
		// nothing.
		if vf := int(c.freq.estimate(v.hash)); int(f) <= vf+vf/2+1 {
			n.unprepared.Add(1)
			return nil // not admitted: runs in exec mode
		}
		if err := conn.Deallocate(ctx, v.sql); err != nil {
			return err
		}
		c.remove(v)
		n.evicted.Add(1)
	}
	// Measure the first statement of each shape: the plan memory now,
	// and after its first run (finishSize). One at a time: a second
	// prepare before the release (in a transaction) cancels it.
	measure := idle && !c.blind && !measured && c.pending == nil
	c.pending = nil
	var before int64
	if measure {
		var err error
		if before, _, err = c.planMemory(ctx, conn); err != nil {
			return err
		}
		measure = !c.blind
	}
	sd, err := conn.Prepare(ctx, sql, sql)
	if err != nil {
		return p.failed(conn, sql, err)
	}
	n.prepared.Add(1)
	c.prepares++
	e := &stmtEntry{sql: sql, hash: h, size: size, sd: sd}
	if measure {
		c.pending = &pendingSize{e: e, shape: shape, before: before}
	}
	c.m[sql] = e
	c.used += size
	c.pushFront(e)
	return nil
}

// sd returns sql's prepared statement, nil when it is not kept or is
// slow.
func (c *stmtCache) sd(sql string) *pgconn.StatementDescription {
	if e := c.m[sql]; e != nil && !e.slow {
		return e.sd
	}
	return nil
}

// markSlow records that sql ran too long to have calls wait behind it.
func (c *stmtCache) markSlow(sql string) {
	if e := c.m[sql]; e != nil {
		e.slow = true
	}
}

// pipeHit counts a call of sql that a pipeline sends, as use counts a
// hit, and returns its prepared statement; nil when it is not kept, and
// the call is not sent in the pipeline. It does no I/O: the connection may
// be in use.
func (c *stmtCache) pipeHit(sql string, n *counters) *pgconn.StatementDescription {
	e := c.m[sql]
	if e == nil || e.sd == nil || e.slow || len(c.invalid) > 0 {
		return nil
	}
	c.freq.add(e.hash)
	c.unlink(e)
	c.pushFront(e)
	n.hits.Add(1)
	return e.sd
}

// planMemorySQL reads how much memory the backend's prepared statements
// take (their parse trees, analysed queries and plans), and the backend's
// memory in all.
const planMemorySQL = `SELECT coalesce(sum(total_bytes) FILTER (WHERE name LIKE 'CachedPlan%'), 0)::bigint, coalesce(sum(total_bytes), 0)::bigint FROM pg_backend_memory_contexts`

// planMemory reads how much memory the backend's prepared statements take,
// and how much the backend takes in all.
// Its simple-protocol query also drops the unnamed statement of the last
// exec-mode call, so that two readings around a statement's prepare and
// first run differ by that statement alone.
// A server that refuses the query (too old, or the role may not read the
// view) makes the cache blind, and is not an error; a failed connection
// is.
func (c *stmtCache) planMemory(ctx context.Context, conn *pgx.Conn) (plans, total int64, err error) {
	start := time.Now()
	err = conn.QueryRow(ctx, planMemorySQL, pgx.QueryExecModeSimpleProtocol).Scan(&plans, &total)
	c.readCost = time.Since(start)
	if _, refused := errors.AsType[*pgconn.PgError](err); refused {
		c.blind = true
		return 0, 0, nil
	}
	return plans, total, err
}

// room is how much of the budget the cache's statements may take: what
// the backend's own plans leave, and what the backend's other memory
// leaves of its limit; at least a quarter of the budget.
func (c *stmtCache) room() int64 {
	r := c.budget - c.other
	if c.limit > 0 {
		r = min(r, c.limit-c.nonPlan-c.other)
	}
	return max(r, c.budget/4)
}

// crowded says whether the backend's memory besides its plans leaves less
// than half the plan budget of its bound: its pool then sends it no
// spilled calls of tenants it does not hold (see Pool.spillFor), so that
// its catalog caches grow with its own share of the fleet only, short of
// the recycling bound (a quarter of the budget).
func (c *stmtCache) crowded() bool {
	return c.limit > 0 && c.nonPlan+c.other+c.budget/2 > c.limit
}

// sawTotal records a reading of the backend's memory: plans of it for
// plans, total in all.
func (c *stmtCache) sawTotal(plans, total int64) {
	now := time.Now()
	c.nonPlan = max(0, total-plans)
	switch d := now.Sub(c.sawAt).Seconds(); {
	case c.sawAt.IsZero():
		c.sawAt, c.sawNonPlan = now, c.nonPlan
	case d >= 0.5:
		// Two readings close together (a statement's size is measured
		// around its first run) would make a rate of noise.
		c.growth = max(0, float64(c.nonPlan-c.sawNonPlan)/d)
		c.sawAt, c.sawNonPlan = now, c.nonPlan
	}
	c.calls = 0
	if c.limit > 0 && c.nonPlan+c.other+c.budget/4 > c.limit {
		c.recycle = true
	}
}

// due says whether the backend's plan memory should be read before the
// next prepare: once 16 statements are kept, then each time their count
// has grown, or as many of them have been replaced, by a sixteenth (at
// least 16), at most once a second and as gap allows. A reading returns
// one row per memory context of the backend, about five per plan: a few
// milliseconds for thousands of them, which a budget far below the hot
// set, replacing statements all the time, must not pay on every
// sixteenth prepare.
func (c *stmtCache) due() bool {
	k := len(c.m)
	if k < 16 {
		return false
	}
	if c.measuredAt == 0 {
		return true
	}
	step := max(16, c.measuredAt/16)
	return (k >= c.measuredAt+step || c.prepares >= step) && time.Since(c.readAt) >= c.gap(time.Second)
}

// gap is the least time between two readings of the backend's memory: at
// least floor, and readCostShare times what the last reading took, so
// that a connection spends at most 1/readCostShare of its time reading
// its memory, whatever the backend holds; but no more than the backend,
// growing as fast as it last did, takes to fill half of what its bound
// leaves (WithBackendMemory), so that the bound still holds for a fresh
// backend filling its catalog caches. A backend of bench's P2 at 10,000
// tenants holds 6,400 memory contexts, which take 7 to 9 ms to read:
// read every second, as the floor alone allowed, its eight backends
// spent 5% of the server's CPU on it, and each reading kept its
// connection's calls waiting longer than HomeWait.
func (c *stmtCache) gap(floor time.Duration) time.Duration {
	g := min(max(floor, c.readCost*time.Duration(readCostShare)), maxGap)
	if c.limit > 0 && c.growth > 0 {
		left := float64(c.limit - c.nonPlan - c.other - c.budget/4)
		g = min(g, max(floor, time.Duration(left/2/c.growth*float64(time.Second))))
	}
	return g
}

// recheckCalls is how many calls a connection makes, at least, between
// two readings of its backend's memory for [WithBackendMemory], and
// recheckEvery how long at least passes (variables for the tests).
var (
	recheckCalls = 1024
	recheckEvery = time.Second
	// readCostShare is the inverse of the share of its time a connection
	// spends reading its backend's memory, at most (see gap).
	readCostShare = 1000
)

// maxGap bounds gap, so that a slow reading does not leave a backend
// unwatched for long, whatever its growth last looked like.
const maxGap = 15 * time.Second

// measure reads the backend's plan memory, takes what the cache's
// statements do not account for as the backend's own plans (the
// foreign-key checks PostgreSQL plans once per constraint, so per tenant
// table written to, and PL/pgSQL's), and evicts the least recently used
// statements until the rest fits the room left.
func (c *stmtCache) measure(ctx context.Context, conn *pgx.Conn, n *counters) error {
	actual, total, err := c.planMemory(ctx, conn)
	if err != nil || c.blind {
		return err
	}
	c.other = max(0, actual-c.used)
	c.sawTotal(actual, total)
	for c.used > c.room() && c.tail != nil {
		v := c.tail
		if err := conn.Deallocate(ctx, v.sql); err != nil {
			return err
		}
		c.remove(v)
		n.evicted.Add(1)
	}
	c.measuredAt, c.prepares, c.readAt = len(c.m), 0, time.Now()
	return nil
}

// finishSize completes the measurement of a statement's size once its
// first run is over, before conn goes back to the pool: the statement's
// parse tree, analysed query and generic plan are the growth of the
// backend's plan memory since the prepare. With [WithCustomPlans] the
// generic plan comes later and is not counted. A reading that fails
// leaves the estimate in place.
func (c *stmtCache) finishSize(conn *pgx.Conn) {
	ps := c.pending
	c.pending = nil
	if conn.PgConn().TxStatus() != 'I' {
		return // in a transaction, maybe failed: measure another time
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	after, total, err := c.planMemory(ctx, conn)
	if err != nil || c.blind || after <= ps.before {
		return
	}
	defer c.sawTotal(after, total)
	size := after - ps.before
	c.shapes[ps.shape] = size
	if c.m[ps.e.sql] == ps.e {
		c.used += size - ps.e.size
		ps.e.size = size
	}
	c.other = max(0, after-c.used)
}

// shapeOf hashes sql without its schema qualifiers (a double-quoted name
// followed by a dot, as [Conn.SQL] writes the tenant's schema), so that
// every tenant's instance of a query has the same shape. It allocates
// nothing.
func shapeOf(sql string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(sql); i++ {
		if sql[i] == '"' {
			j := i + 1
			for j < len(sql) && (sql[j] != '"' || j+1 < len(sql) && sql[j+1] == '"') {
				if sql[j] == '"' {
					j++
				}
				j++
			}
			if j+1 < len(sql) && sql[j+1] == '.' {
				i = j + 1
				continue
			}
		}
		h ^= uint64(sql[i])
		h *= 1099511628211
	}
	return h
}

// invalidate drops sql from the cache; its prepared statement is
// deallocated before the connection's next call through the Pool.
func (c *stmtCache) invalidate(sql string) {
	if e := c.m[sql]; e != nil {
		c.remove(e)
		c.invalid = append(c.invalid, sql)
	}
}

func (c *stmtCache) flush(ctx context.Context, conn *pgx.Conn) error {
	for len(c.invalid) > 0 {
		if err := conn.Deallocate(ctx, c.invalid[0]); err != nil {
			return err
		}
		c.invalid = c.invalid[1:]
	}
	return nil
}

func (c *stmtCache) remove(e *stmtEntry) {
	c.unlink(e)
	delete(c.m, e.sql)
	c.used -= e.size
}

func (c *stmtCache) unlink(e *stmtEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *stmtCache) pushFront(e *stmtEntry) {
	e.next = c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}

// planBytes estimates the server memory a prepared statement of n bytes of
// text holds in its backend once it has a generic plan: the parse tree, the
// analysed query and the plan. It stands for a statement of a shape not
// measured yet on the connection: it matches pg_backend_memory_contexts
// for bench's 70-byte point select (about 13 KB) and undercounts joins,
// aggregates and upserts by two to three times.
func planBytes(n int) int64 { return 4<<10 + 128*int64(n) }

// sketch is a count-min sketch of 8-bit saturating counters, four rows, halved every 10 × width additions so that it counts
// recent use (TinyLFU's reset).
type sketch struct {
	rows       [4][]uint8
	mask       uint64
	additions  int
	resetAfter int
}

func newSketch(entries int) sketch {
	width := 1 << bits.Len(uint(max(256, min(entries*4, 1<<18))-1))
	var s sketch
	for i := range s.rows {
		s.rows[i] = make([]uint8, width)
	}
	s.mask = uint64(width - 1)
	s.resetAfter = 10 * width
	return s
}

// add counts one use of the key with hash h and returns its new estimate.
func (s *sketch) add(h uint64) uint8 {
	est := uint8(255)
	for i := range s.rows {
		j := (h >> (16 * i)) & s.mask
		if i > 0 {
			j = (h*uint64(2*i+1) + h>>32) & s.mask
		}
		if v := s.rows[i][j]; v < 255 {
			s.rows[i][j] = v + 1
		}
		est = min(est, s.rows[i][j])
	}
	if s.additions++; s.additions >= s.resetAfter {
		for i := range s.rows {
			for j := range s.rows[i] {
				s.rows[i][j] >>= 1
			}
		}
		s.additions /= 2
	}
	return est
}

// estimate returns the count of the key with hash h.
func (s *sketch) estimate(h uint64) uint8 {
	est := uint8(255)
	for i := range s.rows {
		j := (h >> (16 * i)) & s.mask
		if i > 0 {
			j = (h*uint64(2*i+1) + h>>32) & s.mask
		}
		est = min(est, s.rows[i][j])
	}
	return est
}
