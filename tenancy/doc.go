// Package tenancy is the runtime of tenantc: it maps each tenant query onto
// its tenant's PostgreSQL schema. Generated code and applications import it;
// it depends on pgx and the standard library only.
//
// # Tenants and connections
//
// A [Tenant] is a tenant id and the name of the schema holding its data. It
// comes from a [Registry], which reads the shared tenants table and caches
// the answers:
//
//	reg := tenancy.NewRegistry(pool, tenancy.WithTTL(time.Minute))
//	t, err := reg.Lookup(ctx, "acme")
//	if errors.Is(err, tenancy.ErrUnknownTenant) {
//		// 404
//	}
//
// A [Pool] is the connection pool for a tenantc application; [NewPool]
// opens it from a pgxpool configuration, and [Pool.Bind] ties a tenant to
// it, giving a [Conn], which is all that generated tenant queries accept:
//
//	pool, err := tenancy.NewPool(ctx, cfg) // cfg from pgxpool.ParseConfig
//	q := db.NewTenant(pool.Bind(t))
//	ticket, err := q.GetTicket(ctx, id)
//
// [Bind] ties a tenant to any [DBTX] — a *pgx.Conn, a pgx.Tx, or a plain
// *pgxpool.Pool (the unoptimised path, see below).
//
// The zero Conn, and a Conn bound to the zero Tenant, is unbound: every call
// returns [ErrUnbound] before anything reaches the database.
//
// # Schema mapping without search_path
//
// The runtime never sets search_path. Generated code declares each tenant
// statement once with [NewSQL], marking where tenant object names start, and
// [Conn.SQL] inserts the tenant's quoted schema there on each call:
//
//	var getTicket = tenancy.NewSQL("SELECT id, title FROM tickets WHERE id = $1", 22)
//	// Bound to schema tenant_acme:
//	// SELECT id, title FROM "tenant_acme".tickets WHERE id = $1
//	row := c.QueryRow(ctx, c.SQL(getTicket), id)
//
// Because the schema is part of each statement, a connection carries no
// tenant state: it is safe behind PgBouncer in transaction mode and cannot
// leak one tenant's data to the next user of a pooled connection. Schema
// names are validated ([ValidateSchemaName]) when a Tenant is made and
// quoted with pgx.Identifier, never by hand.
//
// # Many tenants
//
// Each tenant's statement text is its own (it names the schema), so an
// application with 10,000 tenants and 10 tenant queries runs 100,000
// statements. On a plain *pgxpool.Pool, pgx prepares each one by its text
// on every connection, 512 per connection, and then thrashes; PostgreSQL
// plans each prepared statement afresh on its first five executions; and
// every backend fills its catalog caches with every tenant's tables.
// Measured in BENCHMARKS.md, the point select then ran at 0.16–0.22× its
// one-tenant rate at 10,000 tenants, slower than SET search_path.
//
// A [Pool] makes the fast path the default:
//
//   - it routes each tenant to a home connection (an affinity group of
//     [WithAffinity] connections, one by default), so that each backend
//     sees a share of the tenants; with up to [LooseAffinityTenants] active
//     tenants, and for the hot tenants of a bigger fleet (those that make
//     more calls than one connection serves, 1/groups of them), a call whose home is busy
//     takes an idle connection; the others wait for their home at most
//     [HomeWait] (5 ms), then take an idle connection, so one busy tenant
//     can still use the whole pool; the idle connection is the first in
//     the tenant's own order of the connections, so a tenant's spilled
//     calls stay on a few backends, and a backend near its memory bound
//     takes them only for the tenants it already holds;
//   - it keeps the statements each connection runs more than once prepared,
//     within a budget of plan memory per backend ([WithPlanMemory],
//     [DefaultPlanMemory] = 40 MiB, each query's size measured on the
//     backend, foreign-key check plans included); past the budget a statement replaces the
//     least recently used one only if it ran more often lately, otherwise it
//     runs in pgx's one-round-trip exec mode: never the prepare-evict churn of
//     an overflowing LRU;
//   - it bounds each backend's memory ([WithBackendMemory],
//     [DefaultBackendMemory] = 120 MiB): the prepared statements get what
//     the catalog caches leave of it, and a backend that outgrows it is
//     replaced when its call ends;
//   - its sessions use plan_cache_mode = force_generic_plan, so a prepared
//     statement is planned once ([WithCustomPlans] keeps PostgreSQL's
//     default);
//   - QueryRow, Query and Exec calls queued for the same busy connection
//     are sent to it together, in one round trip, each in its own implicit
//     transaction, and each caller reads its own result.
//
// Measured with bench (BENCHMARKS.md; 8 clients on 8 connections, point
// select): the default Pool ran at 0.77–0.82× its one-tenant rate over 100
// tenants, 0.65–0.66× over 1,000 and 0.54–0.57× over 10,000 (a plain
// pgxpool: 0.15–0.19×), 2.1–2.5× the SET search_path design. Each client
// owning a share of the tenants, so that no call waits, reaches 0.71–0.80×
// at 10,000: a pool serving random tenants finds a busy home about half the
// time, and pipelining the calls queued for it (a third of the calls there)
// recovers part of what waiting costs (0.38–0.41× before). On a 10-query mix
// over 10,000 tenants with skewed (Zipf) popularity it ran 0.63–0.66× the
// one-tenant rate, and the largest backend held 121 MiB under the 120 MiB
// default bound (it is checked as the calls go, and a backend over it is
// replaced when its call ends).
//
// Behind PgBouncer in transaction mode (1.18 keeps no prepared statements)
// open it with [BehindPgBouncer]: one group, every statement in exec mode.
// Without that option the first call fails with an error wrapping
// [ErrPooler] that names it. [Pool.Stat] counts routing and cache hits, to
// size the budget. [Conn.WithExecMode] still forces an exec mode for one
// Conn's tenant statements.
//
// # Many servers
//
// A [Fleet] is the pool of an application whose tenants live on several
// PostgreSQL servers: one [Pool] per [Server], and a [Registry] on the
// first, the control server, opened [WithPlacement] so that each [Tenant]
// carries its server ([Tenant.Server]). [Fleet.Bind] routes a tenant's
// calls to its server's Pool; shared statements on the Fleet run on the
// control server. [Fleet.Invalidate] drops a cached placement.
//
//	fleet, err := tenancy.NewFleet(ctx, []tenancy.Server{{Name: "main", Config: mainCfg}, {Name: "eu", Config: euCfg}})
//	t, err := fleet.Registry().Lookup(ctx, "acme")
//	q := db.NewTenant(fleet.Bind(t))
//
// When `tenantc tenant move` moves a tenant to another server, a call
// bound to the old placement fails with an error wrapping
// [ErrTenantMoved] once the Fleet has re-read the registry: look the
// tenant up again and retry (a transaction as a whole). [WithListen]
// drops a moved tenant's cached placement as soon as the move announces
// it on [RegistryChannel].
//
//	for {
//		t, err := fleet.Registry().Lookup(ctx, id)
//		...
//		err = db.NewTenant(fleet.Bind(t)).CloseTicket(ctx, ticketID)
//		if !errors.Is(err, tenancy.ErrTenantMoved) {
//			return err
//		}
//	}
//
// # HTTP
//
// Package tenanthttp's Middleware resolves the tenant of each request (by
// host, subdomain, header, or an app's own rule such as a verified token
// claim), looks it up and stores it in the request context, where
// [FromContext] finds it. [ConnFromContext] binds a pool to that tenant, so
// a handler reaches its tenant's queries in one line:
//
//	mux.Handle("/", tenanthttp.Middleware(reg, tenanthttp.BySubdomain("example.com"))(h))
//
//	func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
//		q := db.NewTenant(tenancy.ConnFromContext(r.Context(), h.pool))
//		...
//	}
//
// A request that names no tenant gets 400, an unknown tenant 404 with a
// plain body (never a 500), and 503 when the registry cannot be read. A
// handler reached without the middleware gets an unbound Conn: its queries
// fail with [ErrUnbound].
//
// # Dropped tenants
//
// [Registry.Invalidate] and [Registry.InvalidateAll] drop cached entries;
// call Invalidate after creating or dropping a tenant in this process.
// Another process may use a dropped tenant until its entry expires (the
// TTL): its statements name the dropped schema and fail with PostgreSQL's
// own error (SQLSTATE 42P01 or 3F000, naming the schema), never reaching
// another schema. Conn passes that error through unchanged: translating it
// would need a wrapper around every returned pgx.Row and pgx.Rows, one
// allocation per call on the success path (64 bytes, ~65 ns measured), for
// an error whose text already names the schema; tenantlog.Tracer logs it
// with the tenant.
//
// # Observability
//
// Package tenantlog, kept apart as pgx keeps tracelog, has a pgx
// QueryTracer that logs every statement with its tenant (from the context,
// or from the schema in the statement), and a slog handler that adds the
// context's tenant to every record; a [Tenant] logs as a group of its id
// and schema:
//
//	cfg.ConnConfig.Tracer = tenantlog.NewTracer(nil, logger)
//	logger = slog.New(tenantlog.NewHandler(handler))
//
// # Tests
//
// Package tenanttest gives application tests a migrated throwaway database
// with tenants in it, and tenanttest.NewTenant makes a Tenant for a schema a
// test created itself, without a registry table. This package does not
// import testing.
package tenancy
