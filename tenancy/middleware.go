package tenancy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// ErrNoTenantID is returned by the resolvers in this package when a request
// does not name a tenant (no header, no subdomain). [Middleware] answers it,
// like any resolver error, with 400. Test with errors.Is.
var ErrNoTenantID = errors.New("tenancy: request names no tenant")

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

// BySubdomain resolves the tenant id from the first label of the request
// host under base: "acme.example.com" with base "example.com" gives "acme".
// The port is ignored and the host is compared in lower case; the bare base
// domain, a host outside base and a deeper name ("a.b.example.com") are
// errors.
func BySubdomain(base string) Resolver {
	suffix := "." + strings.ToLower(strings.Trim(base, "."))
	return func(r *http.Request) (string, error) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		label, ok := strings.CutSuffix(host, suffix)
		if !ok || label == "" || strings.Contains(label, ".") {
			return "", fmt.Errorf("%w: host %q is not a subdomain of %s", ErrNoTenantID, r.Host, suffix[1:])
		}
		return label, nil
	}
}

// ByFunc adapts f, for example a check of a verified token claim, to a
// Resolver.
func ByFunc(f func(*http.Request) (string, error)) Resolver { return Resolver(f) }

// Middleware resolves each request's tenant with resolve, looks it up in r
// and serves the request with the [Tenant] in its context ([FromContext]).
// It answers with a plain-text error instead:
//   - 400 when resolve fails,
//   - 404 when the tenant is unknown ([ErrUnknownTenant]), never a 500,
//   - 503 when the registry cannot answer (the database is unreachable).
func Middleware(r *Registry, resolve Resolver) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			id, err := resolve(req)
			if err != nil {
				http.Error(w, "bad request: no tenant in request", http.StatusBadRequest)
				return
			}
			t, err := r.Lookup(req.Context(), id)
			switch {
			case errors.Is(err, ErrUnknownTenant):
				http.Error(w, "tenant not found", http.StatusNotFound)
				return
			case err != nil:
				http.Error(w, "tenant registry unavailable", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, req.WithContext(NewContext(req.Context(), t)))
		})
	}
}
