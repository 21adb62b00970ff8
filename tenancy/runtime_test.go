package tenancy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

// twoTenants is a registry with tenants a and b, each with an items table
// holding one row of its own, and a decoy public.items that an unqualified
// statement would read.
const twoTenants = `
CREATE TABLE tenants (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL);
INSERT INTO tenants VALUES ('a', 'tenant_a'), ('b', 'tenant_b');
CREATE TABLE public.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
INSERT INTO public.items (owner, n) VALUES ('public', 0);
CREATE SCHEMA tenant_a;
CREATE TABLE tenant_a.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
INSERT INTO tenant_a.items (owner, n) VALUES ('a', 1);
CREATE SCHEMA tenant_b;
CREATE TABLE tenant_b.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
INSERT INTO tenant_b.items (owner, n) VALUES ('b', 1);
`

const registryQuery = "SELECT schema_name FROM"

var firstOwner = tenancy.NewSQL("SELECT owner FROM items LIMIT 1", 18)

// gateTracer counts the queries whose text contains match and holds each
// of them until release is closed, so a test can keep a registry query in
// flight while other lookups arrive.
type gateTracer struct {
	match   string
	count   atomic.Int64
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGateTracer(match string) *gateTracer {
	return &gateTracer{match: match, started: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.Contains(data.SQL, g.match) {
		g.count.Add(1)
		g.once.Do(func() { close(g.started) })
		<-g.release
	}
	return ctx
}

func (g *gateTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// waitingLookups counts goroutines parked in Registry.Lookup itself, that
// is, waiting for another caller's query (the caller running the query is
// deeper, in pgx).
func waitingLookups() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		header, rest, _ := strings.Cut(g, "\n")
		if (strings.Contains(header, "[select") || strings.Contains(header, "[chan receive")) &&
			strings.HasPrefix(rest, "github.com/tenantc/tenantc/tenancy.(*Registry).Lookup(") {
			count++
		}
	}
	return count
}

func TestRegistrySingleflight(t *testing.T) {
	db := pgtest.New(t)
	mustExec(t, db.Pool, twoTenants)
	ctx := context.Background()
	const n = 32

	gate := newGateTracer(registryQuery)
	pool := pgtest.Connect(t, db.URL, func(c *pgxpool.Config) { c.ConnConfig.Tracer = gate })
	// No cache: only sharing the in-flight query can keep the count at 1.
	reg := tenancy.NewRegistry(pool, tenancy.WithTTL(0))

	var wg sync.WaitGroup
	results := make([]tenancy.Tenant, n)
	errs := make([]error, n)
	wg.Go(func() { results[0], errs[0] = reg.Lookup(ctx, "a") })
	<-gate.started
	for i := 1; i < n; i++ {
		wg.Go(func() { results[i], errs[i] = reg.Lookup(ctx, "a") })
	}
	deadline := time.Now().Add(30 * time.Second)
	for waitingLookups() < n-1 {
		if time.Now().After(deadline) {
			close(gate.release)
			t.Fatalf("only %d of %d lookups joined the query in flight", waitingLookups(), n-1)
		}
		runtime.Gosched()
	}
	close(gate.release)
	wg.Wait()

	if got := gate.count.Load(); got != 1 {
		t.Errorf("%d registry queries for %d concurrent cold lookups, want 1", got, n)
	}
	want := tenanttest.NewTenant(t, "a", "tenant_a")
	for i := range n {
		if errs[i] != nil || results[i] != want {
			t.Errorf("lookup %d = %v, %v; want %v", i, results[i], errs[i], want)
		}
	}
}

func TestRegistryInvalidateAll(t *testing.T) {
	db := pgtest.New(t)
	mustExec(t, db.Pool, twoTenants)
	ctx := context.Background()
	cdb := &countingDB{DBTX: db.Pool}
	reg := tenancy.NewRegistry(cdb)
	lookupBoth := func() {
		t.Helper()
		for _, id := range []string{"a", "b"} {
			if _, err := reg.Lookup(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	lookupBoth()
	lookupBoth()
	if n := cdb.queries.Load(); n != 2 {
		t.Fatalf("%d queries for two rounds of two cached ids, want 2", n)
	}
	reg.InvalidateAll()
	lookupBoth()
	if n := cdb.queries.Load(); n != 4 {
		t.Errorf("%d queries after InvalidateAll, want 4", n)
	}
	mustExec(t, db.Pool, "DELETE FROM tenants WHERE id = 'b'")
	reg.Invalidate("b")
	if _, err := reg.Lookup(ctx, "b"); !errors.Is(err, tenancy.ErrUnknownTenant) {
		t.Errorf("Lookup(b) after delete and Invalidate: %v, want ErrUnknownTenant", err)
	}
	if _, err := reg.Lookup(ctx, "a"); err != nil {
		t.Errorf("Lookup(a) after Invalidate(b): %v", err)
	}
	if n := cdb.queries.Load(); n != 5 {
		t.Errorf("%d queries, want 5 (Invalidate(b) must keep a cached)", n)
	}
}

// TestDroppedWhileCached drops a tenant's schema and row behind a registry
// that still caches it: its statements must fail naming its own schema and
// never read the other tenant's rows or the decoy in public.
func TestDroppedWhileCached(t *testing.T) {
	ctx := context.Background()
	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		db := pgtest.New(t)
		mustExec(t, db.Pool, twoTenants)
		pool := pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode), pgtest.WithMaxConns(1))
		reg := tenancy.NewRegistry(pool)
		a, err := reg.Lookup(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		c := tenancy.Bind(pool, a)
		// Warm the connection's statement cache with the statements
		// that run after the drop.
		var n int
		if err := c.QueryRow(ctx, c.SQL(countItems), "a").Scan(&n); err != nil || n != 1 {
			t.Fatalf("count before drop = %d, %v", n, err)
		}
		rows, err := c.Query(ctx, c.SQL(listItems))
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()

		mustExec(t, db.Pool, "DROP SCHEMA tenant_a CASCADE", "DELETE FROM tenants WHERE id = 'a'")
		if got, err := reg.Lookup(ctx, "a"); err != nil || got != a {
			t.Fatalf("cached Lookup(a) = %v, %v; want the cached tenant", got, err)
		}

		checkGone := func(what string, err error) {
			t.Helper()
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Errorf("%s: err = %v, want a PostgreSQL error", what, err)
				return
			}
			if pgErr.Code != "42P01" && pgErr.Code != "3F000" {
				t.Errorf("%s: SQLSTATE %s (%s), want 42P01 or 3F000", what, pgErr.Code, pgErr.Message)
			}
			if !strings.Contains(pgErr.Message, "tenant_a") {
				t.Errorf("%s: message %q does not name the schema", what, pgErr.Message)
			}
		}
		err = c.QueryRow(ctx, c.SQL(countItems), "b").Scan(&n)
		checkGone("QueryRow", err)
		rows, err = c.Query(ctx, c.SQL(listItems))
		if err == nil {
			for rows.Next() {
				var owner string
				var n int
				if err := rows.Scan(&owner, &n); err == nil {
					t.Errorf("dropped tenant read a row of %q", owner)
				}
			}
			err = rows.Err()
		}
		checkGone("Query", err)
		_, err = c.Exec(ctx, c.SQL(insertItem), "a", 2)
		checkGone("Exec", err)

		// Nothing was written anywhere else.
		var owners []string
		r2, err := db.Pool.Query(ctx, "SELECT owner FROM public.items UNION ALL SELECT owner FROM tenant_b.items ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		owners, err = pgx.CollectRows(r2, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"b", "public"}, owners); diff != "" {
			t.Errorf("rows outside the dropped schema changed (-want +got):\n%s", diff)
		}

		reg.Invalidate("a")
		if _, err := reg.Lookup(ctx, "a"); !errors.Is(err, tenancy.ErrUnknownTenant) {
			t.Errorf("Lookup(a) after Invalidate: %v, want ErrUnknownTenant", err)
		}
	})
}

func TestConnFromContext(t *testing.T) {
	db := pgtest.New(t)
	mustExec(t, db.Pool, twoTenants)
	ctx := context.Background()

	c := tenancy.ConnFromContext(ctx, db.Pool)
	var n int
	if err := c.QueryRow(ctx, c.SQL(countItems), "a").Scan(&n); !errors.Is(err, tenancy.ErrUnbound) {
		t.Errorf("without a tenant in the context: %v, want ErrUnbound", err)
	}
	b, err := tenancy.NewRegistry(db.Pool).Lookup(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	tctx := tenancy.NewContext(ctx, b)
	c = tenancy.ConnFromContext(tctx, db.Pool)
	if c.Tenant() != b {
		t.Errorf("Tenant() = %v, want %v", c.Tenant(), b)
	}
	if err := c.QueryRow(tctx, c.SQL(countItems), "b").Scan(&n); err != nil || n != 1 {
		t.Errorf("tenant b counts %d rows of its own (%v), want 1", n, err)
	}
	if err := c.QueryRow(tctx, c.SQL(countItems), "a").Scan(&n); err != nil || n != 0 {
		t.Errorf("tenant b counts %d rows of a (%v), want 0", n, err)
	}
}

// TestMiddlewareResolvers runs each resolver through Middleware against a
// real registry, with each status the middleware answers.
func TestMiddlewareResolvers(t *testing.T) {
	db := pgtest.New(t)
	mustExec(t, db.Pool, twoTenants)
	reg := tenancy.NewRegistry(db.Pool)
	downPool := pgtest.Connect(t, db.URL)
	downPool.Close()
	var downLog bytes.Buffer
	down := tenancy.NewRegistry(downPool, tenancy.WithLogger(slog.New(slog.NewTextHandler(&downLog, nil))))

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
	hosts := tenancy.ByHost(map[string]string{"shop.a.test": "a", "B.example.org": "b", "gone.test": "nobody"})
	tests := []struct {
		name    string
		reg     *tenancy.Registry
		resolve tenancy.Resolver
		host    string
		header  string
		status  int
		body    string
	}{
		{"host", reg, hosts, "shop.a.test", "", 200, "a"},
		{"host case and port", reg, hosts, "b.EXAMPLE.org:8443", "", 200, "b"},
		{"host not mapped", reg, hosts, "other.test", "", 404, "tenant not found\n"},
		{"host mapped to unknown tenant", reg, hosts, "gone.test", "", 404, "tenant not found\n"},
		{"subdomain", reg, tenancy.BySubdomain("shops.test"), "b.shops.test", "", 200, "b"},
		{"subdomain unknown", reg, tenancy.BySubdomain("shops.test"), "zed.shops.test", "", 404, "tenant not found\n"},
		{"subdomain missing", reg, tenancy.BySubdomain("shops.test"), "shops.test", "", 400, "bad request: no tenant in request\n"},
		{"header", reg, tenancy.ByHeader("X-Tenant"), "x.test", "a", 200, "a"},
		{"header unknown", reg, tenancy.ByHeader("X-Tenant"), "x.test", "zed", 404, "tenant not found\n"},
		{"header invalid id", reg, tenancy.ByHeader("X-Tenant"), "x.test", "../b", 400, "bad request: invalid tenant id\n"},
		{"header missing", reg, tenancy.ByHeader("X-Tenant"), "x.test", "", 400, "bad request: no tenant in request\n"},
		{"func", reg, tenancy.ByFunc(func(*http.Request) (string, error) { return "b", nil }), "x.test", "", 200, "b"},
		{"func error", reg, tenancy.ByFunc(func(*http.Request) (string, error) { return "", errors.New("bad token") }), "x.test", "", 400, "bad request: no tenant in request\n"},
		{"func unknown", reg, tenancy.ByFunc(func(*http.Request) (string, error) { return "", tenancy.ErrUnknownTenant }), "x.test", "", 404, "tenant not found\n"},
		{"registry down", down, tenancy.ByHeader("X-Tenant"), "x.test", "a", 503, "tenant registry unavailable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = tt.host
			if tt.header != "" {
				r.Header.Set("X-Tenant", tt.header)
			}
			w := httptest.NewRecorder()
			tenancy.Middleware(tt.reg, tt.resolve)(handler).ServeHTTP(w, r)
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

// logLines decodes the JSON log lines in buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	buf.Reset()
	return out
}

// countTracer counts the queries it sees and whether their context holds a
// tenant.
type countTracer struct{ starts, ends, withTenant atomic.Int64 }

func (c *countTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.starts.Add(1)
	if _, ok := tenancy.FromContext(ctx); ok {
		c.withTenant.Add(1)
	}
	return ctx
}

func (c *countTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) { c.ends.Add(1) }

func TestTracer(t *testing.T) {
	db := pgtest.New(t)
	mustExec(t, db.Pool, twoTenants)
	ctx := context.Background()
	a := tenanttest.NewTenant(t, "a", "tenant_a")
	b := tenanttest.NewTenant(t, "b", "tenant_b")

	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	next := &countTracer{}
	tracer := tenancy.NewTracer(next, logger)
	pool := pgtest.Connect(t, db.URL, pgtest.WithMaxConns(1), func(c *pgxpool.Config) { c.ConnConfig.Tracer = tracer })
	logLines(t, &buf) // connection set-up, if any

	type entry struct {
		Level  string
		Msg    string
		Tenant map[string]any
		Rows   float64
		Err    bool
	}
	summarize := func(m map[string]any) entry {
		e := entry{Level: m["level"].(string), Msg: m["msg"].(string)}
		if tn, ok := m["tenant"].(map[string]any); ok {
			e.Tenant = tn
		}
		if r, ok := m["rows"].(float64); ok {
			e.Rows = r
		}
		_, e.Err = m["err"]
		if _, ok := m["sql"].(string); !ok && e.Msg != "batch" {
			if _, ok := m["table"].(string); !ok {
				t.Errorf("log line without sql or table: %v", m)
			}
		}
		if _, ok := m["duration"]; !ok {
			t.Errorf("log line without duration: %v", m)
		}
		return e
	}

	// Tenant from the context, as Middleware sets it.
	actx := tenancy.NewContext(ctx, a)
	c := tenancy.ConnFromContext(actx, pool)
	if _, err := c.Exec(actx, c.SQL(insertItem), "a", 2); err != nil {
		t.Fatal(err)
	}
	// No tenant in the context: found from the statement's schema.
	cb := tenancy.Bind(pool, b)
	var n int
	if err := cb.QueryRow(ctx, cb.SQL(countItems), "b").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// A shared statement names no tenant.
	if _, err := pool.Exec(ctx, `UPDATE "public".tenants SET id = id WHERE false`); err != nil {
		t.Fatal(err)
	}
	// A failure is logged at Warn with its tenant.
	if _, err := c.Exec(actx, c.SQL(tenancy.NewSQL("SELECT nope FROM items", 17))); err == nil {
		t.Fatal("selecting a missing column succeeded")
	}
	// A copy into a tenant table, without a tenant in the context.
	if _, err := cb.CopyFrom(ctx, cb.Table("items"), []string{"owner", "n"}, pgx.CopyFromRows([][]any{{"b", 2}, {"b", 3}})); err != nil {
		t.Fatal(err)
	}
	// A batch: each statement, then the batch.
	batch := &pgx.Batch{}
	batch.Queue(c.SQL(insertItem), "a", 3)
	batch.Queue(c.SQL(countItems), "a")
	if err := c.SendBatch(actx, batch).Close(); err != nil {
		t.Fatal(err)
	}

	var got []entry
	for _, m := range logLines(t, &buf) {
		got = append(got, summarize(m))
	}
	want := []entry{
		{Level: "DEBUG", Msg: "query", Tenant: map[string]any{"id": "a", "schema": "tenant_a"}, Rows: 1},
		{Level: "DEBUG", Msg: "query", Tenant: map[string]any{"schema": "tenant_b"}, Rows: 1},
		{Level: "DEBUG", Msg: "query"},
		{Level: "WARN", Msg: "query failed", Tenant: map[string]any{"id": "a", "schema": "tenant_a"}, Err: true},
		{Level: "DEBUG", Msg: "copy", Tenant: map[string]any{"schema": "tenant_b"}, Rows: 2},
		{Level: "DEBUG", Msg: "batch query", Tenant: map[string]any{"id": "a", "schema": "tenant_a"}, Rows: 1},
		{Level: "DEBUG", Msg: "batch query", Tenant: map[string]any{"id": "a", "schema": "tenant_a"}, Rows: 1},
		{Level: "DEBUG", Msg: "batch", Tenant: map[string]any{"id": "a", "schema": "tenant_a"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log entries (-want +got):\n%s", diff)
	}
	if s, e, w := next.starts.Load(), next.ends.Load(), next.withTenant.Load(); s != 4 || e != 4 || w != 2 {
		t.Errorf("next tracer saw %d starts, %d ends, %d with a tenant; want 4, 4, 2", s, e, w)
	}

	t.Run("failures only", func(t *testing.T) {
		var buf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
		tr := tenancy.NewTracer(nil, logger)
		pool := pgtest.Connect(t, db.URL, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr })
		if _, err := pool.Exec(actx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 0 {
			t.Errorf("successful query logged at level Warn: %s", buf.String())
		}
	})
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(tenancy.NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("app", "shop")
	a := tenanttest.NewTenant(t, "a", "tenant_a")
	ctx := tenancy.NewContext(context.Background(), a)

	logger.InfoContext(ctx, "with tenant")
	logger.InfoContext(context.Background(), "without tenant")
	logger.InfoContext(ctx, "explicit", "tenant", tenanttest.NewTenant(t, "b", "tenant_b"))
	lines := logLines(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 3", len(lines))
	}
	want := []any{
		map[string]any{"id": "a", "schema": "tenant_a"},
		nil,
		map[string]any{"id": "b", "schema": "tenant_b"},
	}
	for i, l := range lines {
		if diff := cmp.Diff(want[i], l["tenant"]); diff != "" {
			t.Errorf("line %d %q: tenant (-want +got):\n%s", i, l["msg"], diff)
		}
		if l["app"] != "shop" {
			t.Errorf("line %d lost the logger's attributes: %v", i, l)
		}
	}
}

func TestTenantSchemaIn(t *testing.T) {
	tests := []struct{ sql, want string }{
		{`SELECT 1`, ""},
		{`SELECT * FROM "tenant_a".items`, "tenant_a"},
		{`SELECT * FROM "public".users u JOIN "tenant_a".orders o ON o.buyer_id = u.id`, "tenant_a"},
		{`SELECT * FROM "public".users`, ""},
		{`SELECT '"not_a".x' FROM t`, "not_a"}, // text, not parsed: a quoted qualifier is taken as written
		{`SELECT "Col" FROM t`, ""},
		{`SELECT "a"."b"`, "a"},
		{`"`, ""},
		{`"".x`, ""},
		{`"x"`, ""},
	}
	for _, tt := range tests {
		if got := tenancy.TenantSchemaIn(tt.sql, "public"); got != tt.want {
			t.Errorf("tenantSchemaIn(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}
