// Package tenanthttp serves each HTTP request with its tenant:
// [Middleware] finds the tenant id with a [Resolver] ([ByHost],
// [BySubdomain], [ByHeader], or [ByFunc] for an app's own rule such as a
// verified token claim), looks it up in a [tenancy.Registry] and puts the
// [tenancy.Tenant] in the request's context, where handlers find it with
// tenancy.FromContext or tenancy.ConnFromContext:
//
//	reg := db.NewRegistry(pool)
//	h := tenanthttp.Middleware(reg, tenanthttp.BySubdomain("example.com"), tenanthttp.WithLogger(logger))(mux)
//
//	func listOrders(w http.ResponseWriter, r *http.Request) {
//		q := db.NewTenant(tenancy.ConnFromContext(r.Context(), pool))
//		...
//	}
package tenanthttp

import (
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/tenantc/tenantc/tenancy"
)

// ErrNoTenantID is returned by the resolvers in this package when a request
// does not name a tenant (no header, no subdomain). [Middleware] answers it,
// like any resolver error, with 400. Test with errors.Is.
var ErrNoTenantID = errors.New("tenanthttp: request names no tenant")

// Resolver extracts the tenant id from a request. An error means the request
// cannot name a tenant at all (400); an id that is well formed but unknown is
// the registry's business (404).
type Resolver func(*http.Request) (string, error)

// ByHeader resolves the tenant id from the request header name, for example
// "X-Tenant-ID". Only trust it behind a proxy that sets the header itself.
func ByHeader(name string) Resolver {
	return func(r *http.Request) (string, error) {
		id := r.Header.Get(name)
		if id == "" {
			return "", fmt.Errorf("%w: header %s is empty", ErrNoTenantID, name)
		}
		return id, nil
	}
}

// ByHost resolves the tenant id from the request host through hosts, a map
// from host name to tenant id, for tenants on their own domains
// ("shop.acme.test" → "acme"). Host names are matched in lower case,
// without the port or a trailing dot; hosts is copied, so later changes to
// it have no effect. A host that is not in the map gives an error matching
// [tenancy.ErrUnknownTenant], which [Middleware] answers with 404 like an unknown id.
// For a mapping that changes at run time, use [ByFunc].
func ByHost(hosts map[string]string) Resolver {
	m := make(map[string]string, len(hosts))
	for h, id := range hosts {
		m[normalizeHost(h)] = id
	}
	return func(r *http.Request) (string, error) {
		id, ok := m[normalizeHost(r.Host)]
		if !ok {
			return "", fmt.Errorf("%w: no tenant for host %q", tenancy.ErrUnknownTenant, r.Host)
		}
		return id, nil
	}
}

// normalizeHost strips the port and a trailing dot from host and lowers
// its case, so "Acme.Example.com.:8080" and "acme.example.com" compare equal.
func normalizeHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// BySubdomain resolves the tenant id from the first label of the request
// host under base: "acme.example.com" with base "example.com" gives "acme".
// The port is ignored and the host is compared in lower case; the bare base
// domain, a host outside base and a deeper name ("a.b.example.com") are
// errors.
func BySubdomain(base string) Resolver {
	suffix := "." + strings.ToLower(strings.Trim(base, "."))
	return func(r *http.Request) (string, error) {
		label, ok := strings.CutSuffix(normalizeHost(r.Host), suffix)
		if !ok || label == "" || strings.Contains(label, ".") {
			return "", fmt.Errorf("%w: host %q is not a subdomain of %s", ErrNoTenantID, r.Host, suffix[1:])
		}
		return label, nil
	}
}

// ByFunc adapts f, for example a check of a verified token claim, to a
// Resolver. f returns an error when the request names no tenant or a
// malformed one (400), or one matching [tenancy.ErrUnknownTenant] when it names one
// that f knows does not exist (404).
//
//	tenanthttp.ByFunc(func(r *http.Request) (string, error) {
//		claims, err := verifyBearer(r) // the app's own token check
//		if err != nil {
//			return "", err
//		}
//		return claims.Shop, nil
//	})
func ByFunc(f func(*http.Request) (string, error)) Resolver { return Resolver(f) }

// Option configures [Middleware].
type Option func(*options)

type options struct {
	log *slog.Logger
}

// WithLogger makes [Middleware] log to l the lookups that fail for another
// reason than an unknown tenant (the database is unreachable, the registry
// table does not exist, a registry row is invalid), which clients only see
// as 503. Without it, Middleware writes them where net/http writes a
// handler's panic: the http.Server's ErrorLog, or the standard logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Middleware resolves each request's tenant with resolve, looks it up in r
// and serves the request with the [tenancy.Tenant] in its context
// (tenancy.FromContext).
// It answers with a plain-text error instead:
//   - 400 when resolve fails, or gives an id that no tenant can have
//     ([tenancy.ValidateTenantID]: "Bad-ID!" is a malformed request, not a
//     missing tenant),
//   - 404 when the tenant is unknown ([tenancy.ErrUnknownTenant], from the registry
//     or from resolve), never a 500,
//   - 503 when the registry cannot answer (the database is unreachable,
//     the registry table does not exist), logged to [WithLogger]'s
//     logger, or without one where net/http logs a handler's panic, so
//     that a 503 is never silent.
//
// The bodies are fixed strings: neither the resolver's error nor the
// database's reaches the client.
func Middleware(r *tenancy.Registry, resolve Resolver, opts ...Option) func(http.Handler) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			id, err := resolve(req)
			switch {
			case errors.Is(err, tenancy.ErrUnknownTenant):
				http.Error(w, "tenant not found", http.StatusNotFound)
				return
			case err != nil:
				http.Error(w, "bad request: no tenant in request", http.StatusBadRequest)
				return
			}
			if tenancy.ValidateTenantID(id) != nil {
				http.Error(w, "bad request: invalid tenant id", http.StatusBadRequest)
				return
			}
			t, err := r.Lookup(req.Context(), id)
			switch {
			case errors.Is(err, tenancy.ErrUnknownTenant):
				http.Error(w, "tenant not found", http.StatusNotFound)
				return
			case err != nil:
				o.logFailure(req, id, err)
				http.Error(w, "tenant registry unavailable", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, req.WithContext(tenancy.NewContext(req.Context(), t)))
		})
	}
}

// logFailure reports a lookup that failed with 503: to [WithLogger]'s
// logger, or when none was given to the serving http.Server's ErrorLog or
// the standard logger, as net/http reports a panicking handler.
func (o *options) logFailure(req *http.Request, id string, err error) {
	if o.log != nil {
		o.log.ErrorContext(req.Context(), "tenant lookup failed", "tenant_id", id, "err", err)
		return
	}
	if srv, ok := req.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ErrorLog != nil {
		srv.ErrorLog.Printf("tenanthttp: tenant lookup failed, answered 503: tenant_id=%s: %v", id, err)
		return
	}
	log.Printf("tenanthttp: tenant lookup failed, answered 503: tenant_id=%s: %v", id, err)
}
