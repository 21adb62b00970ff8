package tenancy

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// WithExecMode returns a copy of c whose tenant statements — those naming
// c's schema, which every generated tenant query does — run in pgx query
// exec mode m, while shared statements keep the underlying connection's
// default. Exec, Query and QueryRow pass m as pgx's per-call mode argument;
// a mode the caller passes itself still wins. Batches and CopyFrom are
// unchanged. On an unbound Conn it does nothing.
//
// Why: pgx's default mode prepares and caches each statement by its text,
// 512 per connection. A tenant statement's text names its tenant, so over
// thousands of tenants that cache thrashes — each call pays a prepare, and
// a close for the evicted entry — and the tenant texts evict the shared
// statements, whose text never changes. Measured with bench over 10,000
// tenants, 8 clients (BENCHMARKS.md, P2): the point select with its tenant
// statement in QueryExecModeExec or QueryExecModeSimpleProtocol ran at
// 14.5k–14.9k calls/s and 30–33 µs of client and server CPU per call,
// against 6.9k/s and 82 µs in the thrashing default mode, and level with a
// statement cache big enough for every tenant (13.2k/s, 36 µs) without its
// server memory (a prepared statement per tenant, query and connection).
// Both modes are one round trip and safe behind PgBouncer in transaction
// mode.
//
//	q := db.NewTenant(tenancy.Bind(pool, t).WithExecMode(pgx.QueryExecModeExec))
//
// [Conn.WithTx] (and so the generated WithTx) keeps the mode. A [Pool]
// chooses per statement and connection without it; BehindPgBouncer sets
// exec mode for the whole pool.
func (c Conn) WithExecMode(m pgx.QueryExecMode) Conn {
	if c.db == nil {
		return c
	}
	c.mode = m
	return c
}

// ExecMode returns the exec mode set by [Conn.WithExecMode], or zero when
// tenant statements use the connection's default.
func (c Conn) ExecMode() pgx.QueryExecMode { return c.mode }

// withMode returns args with c's exec mode in front when one is set and sql
// is a tenant statement: one that holds c's quoted schema prefix. A shared
// statement cannot hold it, since queries may not qualify tenant objects.
func (c Conn) withMode(sql string, args []any) []any {
	if c.mode == 0 || !strings.Contains(sql, c.t.prefix) {
		return args
	}
	return append([]any{c.mode}, args...)
}
