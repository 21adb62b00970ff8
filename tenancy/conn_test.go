package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

// panicDB fails the test on any call: an unbound Conn must not reach it.
type panicDB struct{}

func (panicDB) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	panic("Exec reached the database")
}
func (panicDB) Query(context.Context, string, ...any) (pgx.Rows, error) {
	panic("Query reached the database")
}
func (panicDB) QueryRow(context.Context, string, ...any) pgx.Row {
	panic("QueryRow reached the database")
}
func (panicDB) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	panic("CopyFrom reached the database")
}
func (panicDB) SendBatch(context.Context, *pgx.Batch) pgx.BatchResults {
	panic("SendBatch reached the database")
}

func TestUnboundConn(t *testing.T) {
	acme := tenanttest.NewTenant(t, "acme", "tenant_acme")
	conns := map[string]tenancy.Conn{
		"zero Conn":        {},
		"zero Tenant":      tenancy.Bind(panicDB{}, tenancy.Tenant{}),
		"nil db":           tenancy.Bind(nil, acme),
		"zero Tenant, nil": tenancy.Bind(nil, tenancy.Tenant{}),
	}
	stmt := tenancy.NewSQL("SELECT 1 FROM t", 14)
	ctx := context.Background()
	for name, c := range conns {
		t.Run(name, func(t *testing.T) {
			if !c.Tenant().IsZero() {
				t.Errorf("Tenant() = %v, want zero", c.Tenant())
			}
			if got := c.SQL(stmt); got != "" {
				t.Errorf("SQL() = %q, want empty", got)
			}
			if got := c.Table("t"); got != nil {
				t.Errorf("Table() = %v, want nil", got)
			}
			check := func(method string, err error) {
				t.Helper()
				if !errors.Is(err, tenancy.ErrUnbound) {
					t.Errorf("%s: err = %v, want ErrUnbound", method, err)
				}
			}
			_, err := c.Exec(ctx, "SELECT 1")
			check("Exec", err)

			rows, err := c.Query(ctx, "SELECT 1")
			check("Query", err)
			if rows == nil {
				t.Fatal("Query returned nil rows")
			}
			if rows.Next() {
				t.Error("unbound rows have a row")
			}
			check("Rows.Err", rows.Err())
			check("Rows.Scan", rows.Scan())
			rows.Close()

			var n int
			check("QueryRow.Scan", c.QueryRow(ctx, "SELECT 1").Scan(&n))

			_, err = c.CopyFrom(ctx, pgx.Identifier{"t"}, []string{"a"}, pgx.CopyFromRows(nil))
			check("CopyFrom", err)

			b := &pgx.Batch{}
			called := false
			b.Queue("SELECT 1").Exec(func(pgconn.CommandTag) error { called = true; return nil })
			br := c.SendBatch(ctx, b)
			_, err = br.Exec()
			check("BatchResults.Exec", err)
			_, err = br.Query()
			check("BatchResults.Query", err)
			check("BatchResults.QueryRow.Scan", br.QueryRow().Scan(&n))
			check("BatchResults.Close", br.Close())
			if called {
				t.Error("a batch callback ran on an unbound Conn")
			}
		})
	}
}

func TestConnSQL(t *testing.T) {
	acme := tenanttest.NewTenant(t, "acme", "tenant_acme")
	c := tenancy.Bind(panicDB{}, acme)
	tests := []struct {
		name string
		text string
		refs []int
		want string
	}{
		{"no refs", "SELECT now()", nil, "SELECT now()"},
		{"one table", "SELECT id FROM tickets WHERE id = $1", []int{15},
			`SELECT id FROM "tenant_acme".tickets WHERE id = $1`},
		{"at start", "tickets", []int{0}, `"tenant_acme".tickets`},
		{"join and cast", "SELECT t.id FROM tickets t JOIN notes n ON n.tid = t.id WHERE t.s = $1::ticket_status",
			[]int{17, 32, 72},
			`SELECT t.id FROM "tenant_acme".tickets t JOIN "tenant_acme".notes n ON n.tid = t.id WHERE t.s = $1::"tenant_acme".ticket_status`},
		{"sequence literal", "SELECT nextval('ticket_seq')", []int{16}, `SELECT nextval('"tenant_acme".ticket_seq')`},
		{"quoted name", `SELECT 1 FROM "Tickets"`, []int{14}, `SELECT 1 FROM "tenant_acme"."Tickets"`},
		{"last byte", "DELETE FROM t", []int{12}, `DELETE FROM "tenant_acme".t`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tenancy.NewSQL(tt.text, tt.refs...)
			if got := c.SQL(s); got != tt.want {
				t.Errorf("SQL() = %s\nwant    %s", got, tt.want)
			}
			if s.Text() != tt.text {
				t.Errorf("Text() = %q, want %q", s.Text(), tt.text)
			}
		})
	}
	if got, want := c.Table("tickets"), (pgx.Identifier{"tenant_acme", "tickets"}); got.Sanitize() != want.Sanitize() {
		t.Errorf("Table() = %v, want %v", got, want)
	}
	if c.Tenant() != acme {
		t.Errorf("Tenant() = %v, want %v", c.Tenant(), acme)
	}
}

func TestNewSQLPanics(t *testing.T) {
	tests := []struct {
		name string
		text string
		refs []int
	}{
		{"negative", "SELECT 1 FROM t", []int{-1}},
		{"past end", "SELECT 1 FROM t", []int{15}},
		{"descending", "SELECT 1 FROM a, b", []int{17, 14}},
		{"duplicate", "SELECT 1 FROM a", []int{14, 14}},
		{"on a space", "SELECT 1 FROM t", []int{13}},
		{"mid name", "SELECT 1 FROM tickets", []int{16}},
		{"already qualified", "SELECT 1 FROM public.t", []int{21}},
		{"on a digit", "SELECT 1", []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSQL(%q, %v) did not panic", tt.text, tt.refs)
				}
			}()
			tenancy.NewSQL(tt.text, tt.refs...)
		})
	}
}

func TestNewSQLCopiesRefs(t *testing.T) {
	refs := []int{14}
	s := tenancy.NewSQL("SELECT 1 FROM t", refs...)
	refs[0] = 0
	c := tenancy.Bind(panicDB{}, tenanttest.NewTenant(t, "a", "s"))
	if got, want := c.SQL(s), `SELECT 1 FROM "s".t`; got != want {
		t.Errorf("SQL() after changing refs = %q, want %q", got, want)
	}
}

func TestConnAllocations(t *testing.T) {
	c := tenancy.Bind(panicDB{}, tenanttest.NewTenant(t, "acme", "tenant_acme"))
	ctx := context.Background()
	threeRefs := tenancy.NewSQL("SELECT a.id FROM a JOIN b ON b.id = a.id JOIN c ON c.id = b.id", 17, 24, 46)
	noRefs := tenancy.NewSQL("SELECT 1")
	var zero tenancy.Conn
	var sink string
	tests := []struct {
		name string
		max  float64
		f    func()
	}{
		{"SQL with refs", 1, func() { sink = c.SQL(threeRefs) }},
		{"SQL without refs", 0, func() { sink = c.SQL(noRefs) }},
		{"unbound SQL", 0, func() { sink = zero.SQL(threeRefs) }},
		{"unbound Exec", 0, func() { _, _ = zero.Exec(ctx, sink) }},
		{"unbound Query", 0, func() { _, _ = zero.Query(ctx, sink) }},
		{"unbound QueryRow", 0, func() { _ = zero.QueryRow(ctx, sink).Scan() }},
		{"unbound SendBatch", 0, func() { _ = zero.SendBatch(ctx, nil).Close() }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.f); got > tt.max {
			t.Errorf("%s: %v allocations, want at most %v", tt.name, got, tt.max)
		}
	}
	_ = sink
}

func BenchmarkConnSQL(b *testing.B) {
	c := tenancy.Bind(panicDB{}, tenanttest.NewTenant(b, "acme", "tenant_acme"))
	for _, refs := range []int{1, 3} {
		text := "SELECT a.id FROM a JOIN b ON b.id = a.id JOIN c ON c.id = b.id"
		offs := []int{17, 24, 46}[:refs]
		s := tenancy.NewSQL(text, offs...)
		b.Run(fmt.Sprintf("refs=%d", refs), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.SQL(s)
			}
		})
	}
}
