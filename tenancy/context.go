package tenancy

import "context"

// contextKey is the private key under which a Tenant travels in a context.
type contextKey struct{}

// NewContext returns a copy of ctx carrying t.
func NewContext(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, contextKey{}, t)
}

// FromContext returns the tenant stored in ctx by [NewContext] (as
// tenanthttp.Middleware does). It reports false when there is none or it is the zero Tenant.
func FromContext(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(contextKey{}).(Tenant)
	return t, ok && !t.IsZero()
}

// ConnFromContext binds db to the tenant in ctx ([FromContext]), so that an
// HTTP handler behind tenanthttp.Middleware reaches its tenant's queries in one line:
//
//	q := db.NewTenant(tenancy.ConnFromContext(r.Context(), h.pool))
//
// Without a tenant in ctx it returns the unbound Conn, whose every call
// fails with [ErrUnbound] before reaching the database: a handler mounted
// without the middleware fails closed, with an error to test, instead of
// panicking or querying some default schema.
//
// This lives in the runtime rather than as a generated
// db.NewTenantFromContext because it works the same for a pool, a
// connection and a transaction (pass tx), needs no per-package code, and
// keeps the one way into tenant queries — a Conn — visible at the call site.
func ConnFromContext(ctx context.Context, db DBTX) Conn {
	t, _ := FromContext(ctx)
	return Bind(db, t)
}
