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
// [Bind] ties a tenant to a [DBTX] — a *pgxpool.Pool, *pgx.Conn or pgx.Tx —
// giving a [Conn], which is all that generated tenant queries accept:
//
//	q := db.NewTenant(tenancy.Bind(pool, t))
//	ticket, err := q.GetTicket(ctx, id)
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
// pgx prepares and caches statements by their text, 512 per connection by
// default, and each tenant's statement text is its own: past a few hundred
// tenants per connection that cache thrashes, and PostgreSQL plans each
// prepared statement again on each of its first five executions. Three
// options, measured in BENCHMARKS.md:
//
//   - [KeepPrepared] configures a pool so that every tenant statement stays
//     prepared on every connection and is planned once: the fastest by far
//     (at 10,000 tenants, 2.95× the search_path designs) for direct
//     connections, at the price of a plan per statement in each backend's
//     memory;
//   - an [AffinePool] routes each tenant to a fixed shard of the
//     connections, so that each backend holds only its shard's share of
//     those plans and catalog entries (with [KeepPrepared] for the share);
//   - [Conn.WithExecMode] runs the tenant statements of a Conn in a
//     one-round-trip mode and keeps shared statements prepared: no server
//     memory, and the choice behind PgBouncer in transaction mode.
//
// In that order:
//
//	tenancy.KeepPrepared(cfg, tenants*tenantQueries+sharedQueries)
//	pool, err := pgxpool.NewWithConfig(ctx, cfg)
//	q := db.NewTenant(tenancy.Bind(pool, t))
//
//	q := db.NewTenant(affinePool.Bind(t))
//	q := db.NewTenant(tenancy.Bind(pool, t).WithExecMode(pgx.QueryExecModeExec))
//
// # HTTP
//
// [Middleware] resolves the tenant of each request with a [Resolver]
// ([ByHost], [BySubdomain], [ByHeader], or [ByFunc] for an app's own rule
// such as a verified token claim), looks it up and stores it in the request
// context, where [FromContext] finds it. [ConnFromContext] binds a pool to
// that tenant, so a handler reaches its tenant's queries in one line:
//
//	mux.Handle("/", tenancy.Middleware(reg, tenancy.BySubdomain("example.com"))(h))
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
// an error whose text already names the schema; [Tracer] logs it with the
// tenant.
//
// # Observability
//
// [Tracer] is a pgx QueryTracer that logs every statement with its tenant
// (from the context, or from the schema in the statement), and
// [NewLogHandler] adds the context's tenant to every slog record; a
// [Tenant] logs as a group of its id and schema:
//
//	cfg.ConnConfig.Tracer = tenancy.NewTracer(nil, logger)
//	logger = slog.New(tenancy.NewLogHandler(handler))
//
// # Tests
//
// [NewTenantForTest] makes a Tenant for a schema a test created itself,
// without a registry row. Package tenanttest gives application tests a
// migrated throwaway database with tenants in it.
package tenancy
