package harness

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/bench/internal/tenantdb"
	"github.com/tenantc/tenantc/tenancy"
)

// execModes are pgx's query exec modes, default first.
var execModes = []pgx.QueryExecMode{
	pgx.QueryExecModeCacheStatement,
	pgx.QueryExecModeCacheDescribe,
	pgx.QueryExecModeDescribeExec,
	pgx.QueryExecModeExec,
	pgx.QueryExecModeSimpleProtocol,
}

// modeName is the name pgx accepts in default_query_exec_mode.
func modeName(m pgx.QueryExecMode) string {
	switch m {
	case pgx.QueryExecModeCacheStatement:
		return "cache_statement"
	case pgx.QueryExecModeCacheDescribe:
		return "cache_describe"
	case pgx.QueryExecModeDescribeExec:
		return "describe_exec"
	case pgx.QueryExecModeExec:
		return "exec"
	default:
		return "simple_protocol"
	}
}

// fitCache is a statement cache capacity with room for n statements and
// headroom for an uneven hash: a power of two at least 1.5n.
func fitCache(n int) int {
	return 1 << bits.Len(uint(n+n/2))
}

// warmup is how long a variant runs before it is measured, after the
// explicit warming of its connections (see binder).
func (h *harness) warmup() time.Duration { return h.o.Duration / 2 }

// p2Variant is one way of running the point select over the fleet.
type p2Variant struct {
	name string
	// shards is 0 for one plain pgxpool, else the AffinePool's shard
	// count.
	shards, conns int
	mode          pgx.QueryExecMode
	cache         int // statement cache capacity; 0 = pgx's default (512)
	// tenantMode, when set, is given to each Conn with
	// tenancy.Conn.WithExecMode: tenant statements in that mode, shared
	// ones in the pool's.
	tenantMode pgx.QueryExecMode
	// keepPrepared, when set, is the statement count the pool is
	// configured for with tenancy.KeepPrepared (each connection's tenants
	// and the shared query): every statement stays prepared and is
	// planned once (generic plans), not on each of its first five
	// executions, which with thousands of tenant statements per
	// connection is most of them.
	keepPrepared int
}

// bound is a variant's pool, opened.
type bound struct {
	bind func(tenancy.Tenant) tenancy.Conn
	// warm runs the point select once for every tenant on every
	// connection that serves it.
	warm  func(context.Context, []tenancy.Tenant) error
	close func()
	// sample is a pool whose connections serve a fair share of the
	// tenants (the first shard of an affine pool).
	sample *pgxpool.Pool
}

// binder opens the variant's pool. Its warm function brings the pool to
// the steady state a long-running app reaches (statements prepared or
// described, each backend's catalog caches filled) before timing.
func (h *harness) binder(ctx context.Context, url string, v p2Variant) (*bound, error) {
	cfg, err := poolConfig(url, v.conns, v.mode, v.cache)
	if err != nil {
		return nil, err
	}
	if v.keepPrepared > 0 {
		tenancy.KeepPrepared(cfg, v.keepPrepared)
	}
	if v.shards == 0 {
		pool, err := openPool(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return &bound{
			bind:   func(t tenancy.Tenant) tenancy.Conn { return tenancy.Bind(pool, t).WithExecMode(v.tenantMode) },
			warm:   func(ctx context.Context, ts []tenancy.Tenant) error { return warmPool(ctx, pool, ts, v.tenantMode) },
			close:  pool.Close,
			sample: pool,
		}, nil
	}
	ap, err := tenancy.NewAffinePool(ctx, cfg, v.shards)
	if err != nil {
		return nil, err
	}
	warm := func(ctx context.Context, ts []tenancy.Tenant) error {
		g, ctx := errgroup.WithContext(ctx)
		for _, shard := range ap.Shards() {
			var mine []tenancy.Tenant
			for _, t := range ts {
				if ap.For(t) == shard {
					mine = append(mine, t)
				}
			}
			g.Go(func() error { return warmPool(ctx, shard, mine, 0) })
		}
		return g.Wait()
	}
	return &bound{bind: ap.Bind, warm: warm, close: ap.Close, sample: ap.Shards()[0]}, nil
}

// backendMemory returns the memory of one of pool's server backends: all
// of it, and its plan cache (the CachedPlan* contexts).
func backendMemory(ctx context.Context, pool *pgxpool.Pool) (total, plans int64, err error) {
	err = pool.QueryRow(ctx, `SELECT sum(total_bytes)::bigint,
	coalesce(sum(total_bytes) FILTER (WHERE name LIKE 'CachedPlan%'), 0)::bigint
FROM pg_backend_memory_contexts`).Scan(&total, &plans)
	return total, plans, err
}

// warmPool runs the point select for every tenant of ts on every
// connection of pool, holding all of them so that each is used.
func warmPool(ctx context.Context, pool *pgxpool.Pool, ts []tenancy.Tenant, mode pgx.QueryExecMode) error {
	n := int(pool.Config().MaxConns)
	conns := make([]*pgxpool.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range n {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("warm: %w", err)
		}
		conns = append(conns, c)
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, c := range conns {
		g.Go(func() error {
			for _, t := range ts {
				if _, err := tenantdb.NewTenant(tenancy.Bind(c, t).WithExecMode(mode)).GetItem(ctx, 1); err != nil {
					return fmt.Errorf("warm %s: %w", t.ID(), err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// pointSelect runs the generated point select on tenants chosen uniformly
// at random through bind, and checks each row is the tenant's own.
func (h *harness) pointSelect(ctx context.Context, tenants []tenancy.Tenant, bind func(tenancy.Tenant) tenancy.Conn) (loadResult, error) {
	qs := make([]*tenantdb.TenantQueries, len(tenants))
	for i, t := range tenants {
		qs[i] = tenantdb.NewTenant(bind(t))
	}
	return h.load(ctx, h.o.Clients, h.warmup(), h.o.Duration, func(ctx context.Context, r *rand.Rand) error {
		q := qs[r.IntN(len(qs))]
		id := r.Int64N(fleetItems) + 1
		it, err := q.GetItem(ctx, id)
		if err != nil {
			return fmt.Errorf("GetItem(%d) for %s: %w", id, q.Tenant().ID(), err)
		}
		if it.Note != q.Tenant().ID() {
			return errWrongTenant
		}
		return nil
	})
}

// p2Variants are the ways P2 runs the fleet: every exec mode on one pool
// with pgx's default cache; tenant statements in a one-round-trip mode
// through Conn.WithExecMode; a cache holding every tenant; and
// tenant-affine pools whose shards' caches hold their share. -short keeps
// one of each kind.
func (h *harness) p2Variants() []p2Variant {
	c, n := h.o.Clients, h.o.Tenants
	var vs []p2Variant
	for _, m := range execModes {
		if h.o.Short && m == pgx.QueryExecModeDescribeExec {
			continue
		}
		vs = append(vs, p2Variant{name: "pool " + modeName(m), conns: c, mode: m})
	}
	for _, m := range []pgx.QueryExecMode{pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		if h.o.Short && m == pgx.QueryExecModeSimpleProtocol {
			continue
		}
		vs = append(vs, p2Variant{name: "pool cache_statement, tenant statements " + modeName(m) + " (Conn.WithExecMode)",
			conns: c, mode: pgx.QueryExecModeCacheStatement, tenantMode: m})
	}
	for _, m := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe} {
		if h.o.Short && m == pgx.QueryExecModeCacheDescribe {
			continue
		}
		vs = append(vs, p2Variant{name: fmt.Sprintf("pool %s cache=%d", modeName(m), fitCache(n)), conns: c,
			mode: m, cache: fitCache(n)})
	}
	vs = append(vs, keepPreparedPool(n, c))
	shards := max(1, c/2)
	affine := []struct {
		shards, conns int
		mode          pgx.QueryExecMode
		keep          bool
	}{
		{shards, c, pgx.QueryExecModeCacheStatement, false},
		{shards, c, pgx.QueryExecModeCacheStatement, true},
		{c, 2 * c, pgx.QueryExecModeCacheStatement, false},
		{c, 2 * c, pgx.QueryExecModeCacheStatement, true},
		// Fewer, wider shards: less queueing on a busy one.
		{max(1, c/4), c, pgx.QueryExecModeCacheStatement, true},
		{shards, 2 * c, pgx.QueryExecModeCacheStatement, true},
		{shards, c, pgx.QueryExecModeCacheDescribe, false},
		{shards, c, pgx.QueryExecModeExec, false},
		{shards, c, pgx.QueryExecModeSimpleProtocol, false},
	}
	if h.o.Short {
		affine = affine[:2]
	}
	for _, a := range affine {
		vs = append(vs, affineVariant(n, a.shards, a.conns, a.mode, a.keep))
	}
	return vs
}

// keepPreparedPool is one pool of conns connections configured with
// tenancy.KeepPrepared for all n tenants.
func keepPreparedPool(n, conns int) p2Variant {
	return p2Variant{name: fmt.Sprintf("pool, tenancy.KeepPrepared(%d)", n+1), conns: conns, keepPrepared: n + 1}
}

// affineVariant runs n tenants on an AffinePool of shards shards and conns
// connections in all: each shard's statement cache fitted to its share,
// or, with keep, configured with tenancy.KeepPrepared for it.
func affineVariant(n, shards, conns int, mode pgx.QueryExecMode, keep bool) p2Variant {
	share := (n + shards - 1) / shards
	if keep {
		return p2Variant{name: fmt.Sprintf("affine %dx%d, tenancy.KeepPrepared(%d)", shards, conns/shards, share+1),
			shards: shards, conns: conns, keepPrepared: share + 1}
	}
	cache := fitCache(share)
	return p2Variant{name: fmt.Sprintf("affine %dx%d %s cache=%d", shards, conns/shards, modeName(mode), cache),
		shards: shards, conns: conns, mode: mode, cache: cache}
}

// p2 runs the generated point select over the whole fleet, a tenant chosen
// uniformly at random per call, against the same code on one tenant.
func (h *harness) p2(ctx context.Context) error {
	if err := h.fleet(ctx); err != nil {
		return err
	}
	base := p2Variant{name: "one tenant", conns: h.o.Clients, mode: pgx.QueryExecModeCacheStatement}
	oneTenant := func() (loadResult, error) {
		b, err := h.binder(ctx, h.fleetURL, base)
		if err != nil {
			return loadResult{}, err
		}
		defer b.close()
		if err := b.warm(ctx, h.tenants[:1]); err != nil {
			return loadResult{}, err
		}
		return h.pointSelect(ctx, h.tenants[:1], b.bind)
	}
	// The baseline runs before and after the variants, and counts as
	// their mean, so that a change in the machine's load during the
	// scenario does not favour the variants that ran first.
	first, err := oneTenant()
	if err != nil {
		return err
	}
	var rows []Row
	for _, v := range h.p2Variants() {
		b, err := h.binder(ctx, h.fleetURL, v)
		if err != nil {
			return err
		}
		start := time.Now()
		if err := b.warm(ctx, h.tenants); err != nil {
			b.close()
			return fmt.Errorf("%s: %w", v.name, err)
		}
		h.logf("  %s warmed in %s", v.name, time.Since(start).Round(time.Millisecond))
		res, err := h.pointSelect(ctx, h.tenants, b.bind)
		var total, plans int64
		if err == nil {
			total, plans, err = backendMemory(ctx, b.sample)
		}
		b.close()
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		if res.leaks != 0 {
			return fmt.Errorf("%s: %d rows of another tenant", v.name, res.leaks)
		}
		rows = append(rows, Row{Scenario: "P2", Variant: fmt.Sprintf("%d tenants, %s", len(h.tenants), v.name), Value: res.opsPerSec,
			Unit: "ops/s", BaselineName: "1 tenant", Target: 0.8, Load: loadAvg(), CPU: res.cpuPerOp,
			Note: fmt.Sprintf("%d conns; a backend holds %s, %s of it plans", v.conns, mib(total), mib(plans))})
	}
	last, err := oneTenant()
	if err != nil {
		return err
	}
	one := (first.opsPerSec + last.opsPerSec) / 2
	h.add(Row{Scenario: "P2", Variant: "baseline: 1 tenant, pool cache_statement", Value: one, Unit: "ops/s",
		CPU:  (first.cpuPerOp + last.cpuPerOp) / 2,
		Note: fmt.Sprintf("%d clients; mean of %.0f before and %.0f after the variants", h.o.Clients, first.opsPerSec, last.opsPerSec)})
	for _, r := range rows {
		r.Baseline = one
		h.add(r)
	}
	return nil
}
