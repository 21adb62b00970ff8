package tenancy

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// KeepPrepared configures cfg, before the pool is opened, so that each
// connection keeps every tenant statement prepared and the server plans
// each one once. statements is how many distinct statement texts a
// connection runs: the tenants it serves times the app's tenant queries,
// plus its shared queries.
//
// Why: a tenant statement's text names its schema, so each tenant's is its
// own. pgx caches 512 prepared statements per connection by default;
// past that, nearly every call prepares, runs and closes a statement. And
// PostgreSQL plans a prepared statement afresh on each of its first five
// executions before it settles on a generic plan, which with thousands of
// tenant statements per connection is most executions. KeepPrepared sizes
// pgx's statement cache for statements, with headroom for its LRU, and sets
// plan_cache_mode = force_generic_plan for the connections' sessions, so
// the first execution's plan serves every later one. Measured with bench
// (BENCHMARKS.md, P2 and P3, 10,000 tenants, 8 clients): the point select
// over all tenants ran at 0.51–0.72× the one-tenant rate in two runs,
// against 0.28–0.35× with the statement cache alone, and at 2.95× the
// better of the search_path designs (0.90× with pgx's defaults).
//
// The costs: each backend holds a plan per statement it has run (about
// 16 KB each for that point select), and a generic plan ignores the parameter
// values, which matters for queries on skewed columns whose best plan
// depends on the value; run those on a pool without KeepPrepared. It
// needs direct connections (or PgBouncer 1.21+ with
// max_prepared_statements); behind PgBouncer in transaction mode without
// it, use [Conn.WithExecMode] instead. With an [AffinePool], pass one
// shard's share: each shard's connections serve only its tenants.
func KeepPrepared(cfg *pgxpool.Config, statements int) {
	cc := cfg.ConnConfig
	cc.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	cc.StatementCacheCapacity = max(512, statements+statements/2)
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
}
