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
// # HTTP
//
// [Middleware] resolves the tenant of each request with a [Resolver]
// ([ByHeader], [BySubdomain], [ByFunc]), looks it up and stores it in the
// request context, where [FromContext] finds it:
//
//	mux.Handle("/", tenancy.Middleware(reg, tenancy.BySubdomain("example.com"))(h))
//
//	func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
//		t, _ := tenancy.FromContext(r.Context())
//		q := db.NewTenant(tenancy.Bind(h.pool, t))
//		...
//	}
//
// An unknown tenant gets 404 with a plain body, never a 500.
//
// # Tests
//
// [NewTenantForTest] makes a Tenant for a schema a test created itself,
// without a registry row.
package tenancy
