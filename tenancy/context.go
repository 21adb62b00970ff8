package tenancy

import "context"

// contextKey is the private key under which a Tenant travels in a context.
type contextKey struct{}

// NewContext returns a copy of ctx carrying t.
func NewContext(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, contextKey{}, t)
}

// FromContext returns the tenant stored in ctx by [NewContext] or
// [Middleware]. It reports false when there is none or it is the zero Tenant.
func FromContext(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(contextKey{}).(Tenant)
	return t, ok && !t.IsZero()
}
