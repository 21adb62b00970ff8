package tenanthttp_test

import (
	"bytes"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanthttp"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// registrySchema is a registry with two tenants and a row whose schema name
// is invalid.
const registrySchema = `
CREATE TABLE tenants (
	id text PRIMARY KEY,
	schema_name text UNIQUE NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, schema_name) VALUES ('acme', 'tenant_acme'), ('globex', 'tenant_globex'),
	('broken', 'Bad"Schema'), ('system', 'pg_catalog');
`

var firstOwner = tenancy.NewSQL("SELECT owner FROM items LIMIT 1", 18)

func TestResolvers(t *testing.T) {
	tests := []struct {
		name    string
		resolve tenanthttp.Resolver
		host    string
		header  string
		want    string // "" means an ErrNoTenantID error
	}{
		{"header", tenanthttp.ByHeader("X-Tenant"), "example.com", "acme", "acme"},
		{"header missing", tenanthttp.ByHeader("X-Tenant"), "example.com", "", ""},
		{"subdomain", tenanthttp.BySubdomain("example.com"), "acme.example.com", "", "acme"},
		{"subdomain with port", tenanthttp.BySubdomain("example.com"), "acme.example.com:8080", "", "acme"},
		{"subdomain upper case", tenanthttp.BySubdomain("Example.COM"), "ACME.example.com", "", "acme"},
		{"subdomain trailing dot", tenanthttp.BySubdomain("example.com."), "acme.example.com.", "", "acme"},
		{"bare domain", tenanthttp.BySubdomain("example.com"), "example.com", "", ""},
		{"other domain", tenanthttp.BySubdomain("example.com"), "acme.example.org", "", ""},
		{"suffix lookalike", tenanthttp.BySubdomain("example.com"), "acmeexample.com", "", ""},
		{"two labels", tenanthttp.BySubdomain("example.com"), "a.b.example.com", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = tt.host
			if tt.header != "" {
				r.Header.Set("X-Tenant", tt.header)
			}
			got, err := tt.resolve(r)
			if tt.want == "" {
				if !errors.Is(err, tenanthttp.ErrNoTenantID) {
					t.Errorf("resolve = %q, %v; want ErrNoTenantID", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("resolve = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, registrySchema)

	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		pool := pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode))
		reg := tenancy.NewRegistry(pool)
		resolve := tenanthttp.ByFunc(func(r *http.Request) (string, error) {
			if id := r.URL.Query().Get("t"); id != "" {
				return id, nil
			}
			return "", errors.New("no t parameter")
		})
		h := tenanthttp.Middleware(reg, resolve)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tn, ok := tenancy.FromContext(r.Context())
			if !ok {
				http.Error(w, "no tenant in context", http.StatusInternalServerError)
				return
			}
			io.WriteString(w, tn.Schema())
		}))

		tests := []struct {
			name   string
			target string
			status int
			body   string
		}{
			{"known", "/?t=acme", http.StatusOK, "tenant_acme"},
			{"other", "/?t=globex", http.StatusOK, "tenant_globex"},
			{"unknown", "/?t=nobody", http.StatusNotFound, "tenant not found\n"},
			{"invalid id", "/?t=Not-An-ID", http.StatusBadRequest, "bad request: invalid tenant id\n"},
			{"invalid id punctuation", "/?t=Bad-ID!", http.StatusBadRequest, "bad request: invalid tenant id\n"},
			{"no id", "/", http.StatusBadRequest, "bad request: no tenant in request\n"},
			{"bad registry row", "/?t=broken", http.StatusServiceUnavailable, "tenant registry unavailable\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.target, nil))
				if w.Code != tt.status || w.Body.String() != tt.body {
					t.Errorf("GET %s = %d %q, want %d %q", tt.target, w.Code, w.Body.String(), tt.status, tt.body)
				}
				if ct := w.Header().Get("Content-Type"); tt.status != http.StatusOK && !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("Content-Type = %q, want text/plain", ct)
				}
			})
		}
	})

	// A registry pointed at a table that does not exist (the config names
	// another) answers 503, and says why in the server's error log even
	// when the app gave the middleware no logger.
	t.Run("registry table missing, no logger", func(t *testing.T) {
		pool := pgtest.Connect(t, db.URL)
		reg := tenancy.NewRegistry(pool, tenancy.WithTable("public", "clinics"))
		h := tenanthttp.Middleware(reg, tenanthttp.ByHeader("X-Tenant"))(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("handler ran without a tenant") }))
		var logged bytes.Buffer
		srv := httptest.NewUnstartedServer(h)
		srv.Config.ErrorLog = log.New(&logged, "", 0)
		srv.Start()
		defer srv.Close()
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Tenant", "acme")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503", resp.StatusCode)
		}
		want := `tenanthttp: tenant lookup failed, answered 503: tenant_id=acme: tenancy: look up tenant "acme": registry table "public"."clinics" does not exist`
		if !strings.Contains(logged.String(), want) {
			t.Errorf("error log = %q, want it to contain %q", logged.String(), want)
		}
	})

	t.Run("registry down", func(t *testing.T) {
		pool := pgtest.Connect(t, db.URL)
		pool.Close()
		h := tenanthttp.Middleware(tenancy.NewRegistry(pool), tenanthttp.ByHeader("X-Tenant"))(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("handler ran without a tenant") }))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Tenant", "acme")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503", w.Code)
		}
	})
}

// TestMiddlewareResolvers runs each resolver through Middleware against a
// real registry, with each status the middleware answers.
func TestMiddlewareResolvers(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, pgtest.TwoTenants)
	reg := tenancy.NewRegistry(db.Pool)
	downPool := pgtest.Connect(t, db.URL)
	downPool.Close()
	var downLog bytes.Buffer
	down := tenancy.NewRegistry(downPool)
	downLogger := slog.New(slog.NewTextHandler(&downLog, nil))

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The handler shape the runtime proposes: one line to the
		// tenant's queries.
		c := tenancy.ConnFromContext(r.Context(), db.Pool)
		var owner string
		if err := c.QueryRow(r.Context(), c.SQL(firstOwner)).Scan(&owner); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, owner)
	})
	hosts := tenanthttp.ByHost(map[string]string{"shop.a.test": "a", "B.example.org": "b", "gone.test": "nobody"})
	tests := []struct {
		name    string
		reg     *tenancy.Registry
		resolve tenanthttp.Resolver
		host    string
		header  string
		status  int
		body    string
	}{
		{"host", reg, hosts, "shop.a.test", "", 200, "a"},
		{"host case and port", reg, hosts, "b.EXAMPLE.org:8443", "", 200, "b"},
		{"host not mapped", reg, hosts, "other.test", "", 404, "tenant not found\n"},
		{"host mapped to unknown tenant", reg, hosts, "gone.test", "", 404, "tenant not found\n"},
		{"subdomain", reg, tenanthttp.BySubdomain("shops.test"), "b.shops.test", "", 200, "b"},
		{"subdomain unknown", reg, tenanthttp.BySubdomain("shops.test"), "zed.shops.test", "", 404, "tenant not found\n"},
		{"subdomain missing", reg, tenanthttp.BySubdomain("shops.test"), "shops.test", "", 400, "bad request: no tenant in request\n"},
		{"header", reg, tenanthttp.ByHeader("X-Tenant"), "x.test", "a", 200, "a"},
		{"header unknown", reg, tenanthttp.ByHeader("X-Tenant"), "x.test", "zed", 404, "tenant not found\n"},
		{"header invalid id", reg, tenanthttp.ByHeader("X-Tenant"), "x.test", "../b", 400, "bad request: invalid tenant id\n"},
		{"header missing", reg, tenanthttp.ByHeader("X-Tenant"), "x.test", "", 400, "bad request: no tenant in request\n"},
		{"func", reg, tenanthttp.ByFunc(func(*http.Request) (string, error) { return "b", nil }), "x.test", "", 200, "b"},
		{"func error", reg, tenanthttp.ByFunc(func(*http.Request) (string, error) { return "", errors.New("bad token") }), "x.test", "", 400, "bad request: no tenant in request\n"},
		{"func unknown", reg, tenanthttp.ByFunc(func(*http.Request) (string, error) { return "", tenancy.ErrUnknownTenant }), "x.test", "", 404, "tenant not found\n"},
		{"registry down", down, tenanthttp.ByHeader("X-Tenant"), "x.test", "a", 503, "tenant registry unavailable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = tt.host
			if tt.header != "" {
				r.Header.Set("X-Tenant", tt.header)
			}
			w := httptest.NewRecorder()
			tenanthttp.Middleware(tt.reg, tt.resolve, tenanthttp.WithLogger(downLogger))(handler).ServeHTTP(w, r)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("status %d body %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
			if ct := w.Header().Get("Content-Type"); tt.status != 200 && !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
		})
	}
	if got := downLog.String(); !strings.Contains(got, "tenant lookup failed") || !strings.Contains(got, "tenant_id=a") {
		t.Errorf("the 503 was not logged with the tenant id; log:\n%s", got)
	}
}
