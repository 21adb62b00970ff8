package tenantlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenantlog"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	insertItem = tenancy.NewSQL("INSERT INTO items (owner, n) VALUES ($1, $2) RETURNING id", 12)
	countItems = tenancy.NewSQL("SELECT count(*) FROM items WHERE owner = $1", 21)
)

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
	pgtest.MustExec(t, db.Pool, pgtest.TwoTenants)
	ctx := context.Background()
	a := tenanttest.NewTenant(t, "a", "tenant_a")
	b := tenanttest.NewTenant(t, "b", "tenant_b")

	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	next := &countTracer{}
	tracer := tenantlog.NewTracer(next, logger)
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

	// Tenant from the context, as tenanthttp.Middleware sets it.
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
		tr := tenantlog.NewTracer(nil, logger)
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
	logger := slog.New(tenantlog.NewHandler(slog.NewJSONHandler(&buf, nil))).With("app", "shop")
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
