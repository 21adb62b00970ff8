package tenancy

import (
	"context"
	"hash/maphash"
	"math/bits"

	"github.com/jackc/pgx/v5"
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
	return cacheOf(conn, p.o.planMemory).use(ctx, p, conn, &s.counters, sql)
}

// cacheKey is where a connection's stmtCache lives in pgconn's CustomData.
const cacheKey = "tenantc.tenancy.stmtcache"

// cacheOf returns conn's statement cache, made on first use.
func cacheOf(conn *pgx.Conn, budget int64) *stmtCache {
	m := conn.PgConn().CustomData()
	c, _ := m[cacheKey].(*stmtCache)
	if c == nil {
		c = newStmtCache(budget)
		m[cacheKey] = c
	}
	return c
}

// stmtCache is the set of statements one connection keeps prepared: at most
// budget bytes of server memory (estimated, and corrected by measure), least
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
	// is the estimated size of the statements kept (planBytes), and limit
	// the estimate that the last measurement of the backend's plans puts
	// at budget (see measure).
	budget, used, limit int64
	// measuredAt is the number of statements kept at the last
	// measurement, prepares the statements prepared since.
	measuredAt, prepares int
	m                    map[string]*stmtEntry
	// head is the most recently used entry, tail the least.
	head, tail *stmtEntry
	freq       sketch
	// invalid holds statements to deallocate before the next call.
	invalid []string
}

type stmtEntry struct {
	sql        string
	hash       uint64
	size       int64
	prev, next *stmtEntry
}

func newStmtCache(budget int64) *stmtCache {
	return &stmtCache{
		budget: budget,
		limit:  budget,
		m:      map[string]*stmtEntry{},
		freq:   newSketch(int(budget / planBytes(64))),
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
	h := maphash.String(hashSeed, sql)
	f := c.freq.add(h)
	if e := c.m[sql]; e != nil {
		c.unlink(e)
		c.pushFront(e)
		n.hits.Add(1)
		return nil
	}
	size := planBytes(len(sql))
	if f < 2 {
		n.unprepared.Add(1)
		return nil
	}
	if c.due() {
		if err := c.measure(ctx, conn, n); err != nil {
			return err
		}
	}
	if size > c.limit {
		n.unprepared.Add(1)
		return nil
	}
	for c.used+size > c.limit {
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
	if _, err := conn.Prepare(ctx, sql, sql); err != nil {
		return p.failed(conn, sql, err)
	}
	n.prepared.Add(1)
	c.prepares++
	e := &stmtEntry{sql: sql, hash: h, size: size}
	c.m[sql] = e
	c.used += size
	c.pushFront(e)
	return nil
}

// planMemorySQL reads how much memory the backend's prepared statements
// take: their parse trees, analysed queries and plans.
const planMemorySQL = `SELECT coalesce(sum(total_bytes), 0)::bigint FROM pg_backend_memory_contexts WHERE name LIKE 'CachedPlan%'`

// due says whether the backend's plan memory should be measured before
// the next prepare: once 16 statements are kept, then each time their
// count has grown by a quarter or a quarter of them has been replaced (the
// mix of statements, and with it their real size per estimated byte, may
// have changed).
func (c *stmtCache) due() bool {
	switch k := len(c.m); {
	case k < 16:
		return false
	case c.measuredAt == 0, k >= c.measuredAt+c.measuredAt/4:
		return true
	default:
		return c.prepares >= max(16, c.measuredAt/4)
	}
}

// measure reads the memory the backend's prepared statements take and sets
// the limit of the estimates so that the statements kept take at most the
// budget, deallocating the least recently used ones if they take more. The
// estimate from a statement's text is close for a point select and two to
// three times low for joins, aggregates and upserts; the measurement,
// one round trip every so often, makes the budget hold for any mix.
func (c *stmtCache) measure(ctx context.Context, conn *pgx.Conn, n *counters) error {
	var actual int64
	if err := conn.QueryRow(ctx, planMemorySQL, pgx.QueryExecModeSimpleProtocol).Scan(&actual); err != nil {
		return err
	}
	c.prepares = 0
	if actual > 0 && c.used > 0 {
		// limit/budget = used/actual: the estimate's share of the real size.
		c.limit = int64(float64(c.budget) * float64(c.used) / float64(actual))
	}
	for c.used > c.limit && c.tail != nil {
		v := c.tail
		if err := conn.Deallocate(ctx, v.sql); err != nil {
			return err
		}
		c.remove(v)
		n.evicted.Add(1)
	}
	c.measuredAt = len(c.m)
	return nil
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
// analysed query and the plan. It matches pg_backend_memory_contexts for
// bench's 70-byte point select (about 13 KB) and undercounts joins,
// aggregates and upserts by two to three times: text length is a weak proxy
// for plan size, which measure corrects.
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
