package tenancy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestParseSQL(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // for tenant_a
	}{
		{"table", "DELETE FROM {tickets} WHERE id = $1", `DELETE FROM "tenant_a".tickets WHERE id = $1`},
		{"quoted", `SELECT id FROM {"Patients"}`, `SELECT id FROM "tenant_a"."Patients"`},
		{"type and function", "SELECT $1::{ticket_status}, {ticket_count}()", `SELECT $1::"tenant_a".ticket_status, "tenant_a".ticket_count()`},
		{"shared stays", "SELECT p.id FROM plans p JOIN {tickets} t ON t.plan_id = p.id", `SELECT p.id FROM plans p JOIN "tenant_a".tickets t ON t.plan_id = p.id`},
		{"braces in literals", `SELECT '{1,2}'::int[], E'\'{x}', "{y}", $$ {z} $$, $q$ {w} $q$ /* {c} */ FROM {tickets} -- {d}`,
			`SELECT '{1,2}'::int[], E'\'{x}', "{y}", $$ {z} $$, $q$ {w} $q$ /* {c} */ FROM "tenant_a".tickets -- {d}`},
		{"no marks", "SELECT 1", "SELECT 1"},
	}
	pool := pgtest.Connect(t, pgtest.New(t).URL)
	c := tenancy.Bind(pool, tenanttest.NewTenant(t, "a", "tenant_a"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tenancy.ParseSQL(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.SQL(s); got != tt.want {
				t.Errorf("SQL = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseSQLErrors(t *testing.T) {
	for _, text := range []string{
		"SELECT 1 FROM {tickets",
		"SELECT 1 FROM { tickets }",
		"SELECT 1 FROM {}",
		"SELECT 1 FROM {a.b}",
		"SELECT 1 FROM public.{tickets}",
		"SELECT 1 FROM x{tickets}",
		"SELECT 1 FROM tickets}",
		`SELECT 1 FROM {""}`,
	} {
		if _, err := tenancy.ParseSQL(text); !errors.Is(err, tenancy.ErrMarkedSQL) {
			t.Errorf("ParseSQL(%q) = %v, want ErrMarkedSQL", text, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParseSQL did not panic on a malformed mark")
		}
	}()
	tenancy.MustParseSQL("SELECT {")
}

// TestParseSQLOnDatabase runs a marked one-off statement for two tenants
// under every exec mode: each reaches its own schema only.
func TestParseSQLOnDatabase(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool,
		`CREATE SCHEMA tenant_a`, `CREATE SCHEMA tenant_b`,
		`CREATE TABLE tenant_a.tickets (id int PRIMARY KEY, closed bool NOT NULL)`,
		`CREATE TABLE tenant_b.tickets (id int PRIMARY KEY, closed bool NOT NULL)`,
	)
	insert := tenancy.MustParseSQL(`INSERT INTO {tickets} (id, closed) VALUES ($1, $2)`)
	purge := tenancy.MustParseSQL(`DELETE FROM {tickets} WHERE closed`)
	count := tenancy.MustParseSQL(`SELECT count(*) FROM {tickets}`)
	ctx := context.Background()
	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		pool := pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode))
		pgtest.MustExec(t, pool, "TRUNCATE tenant_a.tickets, tenant_b.tickets")
		a := tenancy.Bind(pool, tenanttest.NewTenant(t, "a", "tenant_a"))
		b := tenancy.Bind(pool, tenanttest.NewTenant(t, "b", "tenant_b"))
		for _, c := range []tenancy.Conn{a, b} {
			for id, closed := range []bool{true, false, true} {
				if _, err := c.Exec(ctx, c.SQL(insert), id, closed); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := a.Exec(ctx, a.SQL(purge)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			c    tenancy.Conn
			want int
		}{{a, 1}, {b, 3}} {
			var n int
			if err := tc.c.QueryRow(ctx, tc.c.SQL(count)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Errorf("tenant %s: %d tickets, want %d", tc.c.Tenant().ID(), n, tc.want)
			}
		}
		var unbound tenancy.Conn
		if _, err := unbound.Exec(ctx, unbound.SQL(purge)); !errors.Is(err, tenancy.ErrUnbound) {
			t.Errorf("unbound Exec: %v, want ErrUnbound", err)
		}
	})
}
