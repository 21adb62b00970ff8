package tenancy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestResolvers(t *testing.T) {
	tests := []struct {
		name    string
		resolve tenancy.Resolver
		host    string
		header  string
		want    string // "" means an ErrNoTenantID error
	}{
		{"header", tenancy.ByHeader("X-Tenant"), "example.com", "acme", "acme"},
		{"header missing", tenancy.ByHeader("X-Tenant"), "example.com", "", ""},
		{"subdomain", tenancy.BySubdomain("example.com"), "acme.example.com", "", "acme"},
		{"subdomain with port", tenancy.BySubdomain("example.com"), "acme.example.com:8080", "", "acme"},
		{"subdomain upper case", tenancy.BySubdomain("Example.COM"), "ACME.example.com", "", "acme"},
		{"subdomain trailing dot", tenancy.BySubdomain("example.com."), "acme.example.com.", "", "acme"},
		{"bare domain", tenancy.BySubdomain("example.com"), "example.com", "", ""},
		{"other domain", tenancy.BySubdomain("example.com"), "acme.example.org", "", ""},
		{"suffix lookalike", tenancy.BySubdomain("example.com"), "acmeexample.com", "", ""},
		{"two labels", tenancy.BySubdomain("example.com"), "a.b.example.com", "", ""},
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
				if !errors.Is(err, tenancy.ErrNoTenantID) {
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
	mustExec(t, db.Pool, registrySchema)

	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		pool := pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode))
		reg := tenancy.NewRegistry(pool)
		resolve := tenancy.ByFunc(func(r *http.Request) (string, error) {
			if id := r.URL.Query().Get("t"); id != "" {
				return id, nil
			}
			return "", errors.New("no t parameter")
		})
		h := tenancy.Middleware(reg, resolve)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	// when the app gave the registry no logger.
	t.Run("registry table missing, no logger", func(t *testing.T) {
		pool := pgtest.Connect(t, db.URL)
		reg := tenancy.NewRegistry(pool, tenancy.WithTable("public", "clinics"))
		h := tenancy.Middleware(reg, tenancy.ByHeader("X-Tenant"))(
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
		want := `tenancy: tenant lookup failed, answered 503: tenant_id=acme: tenancy: look up tenant "acme": registry table "public"."clinics" does not exist`
		if !strings.Contains(logged.String(), want) {
			t.Errorf("error log = %q, want it to contain %q", logged.String(), want)
		}
	})

	t.Run("registry down", func(t *testing.T) {
		pool := pgtest.Connect(t, db.URL)
		pool.Close()
		h := tenancy.Middleware(tenancy.NewRegistry(pool), tenancy.ByHeader("X-Tenant"))(
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

func TestContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := tenancy.FromContext(ctx); ok {
		t.Error("FromContext on an empty context reported a tenant")
	}
	if _, ok := tenancy.FromContext(tenancy.NewContext(ctx, tenancy.Tenant{})); ok {
		t.Error("FromContext reported the zero tenant")
	}
	acme := tenanttest.NewTenant(t, "acme", "tenant_acme")
	if got, ok := tenancy.FromContext(tenancy.NewContext(ctx, acme)); !ok || got != acme {
		t.Errorf("FromContext = %v, %v; want %v, true", got, ok, acme)
	}
}
