package tenancy

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// AffinePool is a connection pool split into shards, each a *pgxpool.Pool,
// that sends every tenant's statements to the same shard: [AffinePool.For]
// picks it from a hash of the tenant id.
//
// Why: every tenant statement names its schema, so a PostgreSQL backend
// that serves all tenants fills its catalog caches with every tenant's
// tables, and pgx's per-connection statement cache (keyed by SQL text, so
// one entry per tenant and query) thrashes once tenants × queries pass its
// capacity. Confining each tenant to 1/N of the connections divides both by
// N, so that prepared statements fit again; with [KeepPrepared] for one
// shard's share, each backend also holds only that share's plans. Measured
// with bench (BENCHMARKS.md, P2, 10,000 tenants, 8 clients): 4 shards of 2
// connections with KeepPrepared ran the point select at 0.53–0.65× the
// one-tenant rate with 78 MiB per server backend, against 0.51–0.72× and
// 307 MiB for one pool with KeepPrepared; without generic plans, 0.29–0.37×.
// Sharding saves server memory, not time: choose shards for memory. Behind PgBouncer in
// transaction mode the backends behind a shard change with every
// transaction and prepared statements do not survive; use one pool and
// [Conn.WithExecMode] there.
//
// Generated code is unchanged: bind the tenant on its shard,
//
//	tenancy.KeepPrepared(cfg, tenants/shards*tenantQueries+sharedQueries) // each shard's share
//	ap, err := tenancy.NewAffinePool(ctx, cfg, shards)
//	q := db.NewTenant(ap.Bind(t)) // tenancy.Bind(ap.For(t), t)
//
// and run shared queries on any shard (the zero Tenant's is the first).
type AffinePool struct {
	shards []*pgxpool.Pool
}

// NewAffinePool opens shards pools from cfg, splitting cfg.MaxConns among
// them (each gets at least one connection; cfg.MinConns is split the same
// way). cfg itself is not modified. Size cfg.ConnConfig's
// StatementCacheCapacity for one shard's tenants times the tenant queries
// an app runs.
func NewAffinePool(ctx context.Context, cfg *pgxpool.Config, shards int) (*AffinePool, error) {
	if shards < 1 {
		return nil, fmt.Errorf("tenancy: new affine pool: %d shards, want at least 1", shards)
	}
	p := &AffinePool{shards: make([]*pgxpool.Pool, 0, shards)}
	for i := range shards {
		c := cfg.Copy()
		c.MaxConns = max(1, split(cfg.MaxConns, shards, i))
		c.MinConns = min(c.MaxConns, split(cfg.MinConns, shards, i))
		pool, err := pgxpool.NewWithConfig(ctx, c)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("tenancy: new affine pool: shard %d: %w", i, err)
		}
		p.shards = append(p.shards, pool)
	}
	return p, nil
}

// split returns shard i's part of n divided among shards, the remainder
// going to the first shards.
func split(n int32, shards, i int) int32 {
	part := n / int32(shards)
	if int32(i) < n%int32(shards) {
		part++
	}
	return part
}

// For returns the shard that serves t: the same for a given tenant id on
// every call and in every process with the same number of shards. The zero
// Tenant gets the first shard, which suits shared queries.
func (p *AffinePool) For(t Tenant) *pgxpool.Pool {
	if len(p.shards) == 1 || t.IsZero() {
		return p.shards[0]
	}
	// FNV-1a, inline so that routing a call allocates nothing.
	h := uint32(2166136261)
	for i := 0; i < len(t.id); i++ {
		h ^= uint32(t.id[i])
		h *= 16777619
	}
	return p.shards[h%uint32(len(p.shards))]
}

// Bind returns a [Conn] for t on its shard: Bind(p.For(t), t). With the
// zero Tenant it returns the unbound zero Conn.
func (p *AffinePool) Bind(t Tenant) Conn { return Bind(p.For(t), t) }

// Shards returns the pools, for statistics and shared queries. The slice
// is a copy; the pools are not.
func (p *AffinePool) Shards() []*pgxpool.Pool {
	return append([]*pgxpool.Pool(nil), p.shards...)
}

// Close closes every shard.
func (p *AffinePool) Close() {
	for _, s := range p.shards {
		s.Close()
	}
}
