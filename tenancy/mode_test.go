package tenancy_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

// argsDB records the arguments of the last call.
type argsDB struct {
	tenancy.DBTX
	args []any
}

func (d *argsDB) Exec(_ context.Context, _ string, args ...any) (pgconn.CommandTag, error) {
	d.args = args
	return pgconn.CommandTag{}, nil
}

func (d *argsDB) Query(_ context.Context, _ string, args ...any) (pgx.Rows, error) {
	d.args = args
	return nil, nil
}

func (d *argsDB) QueryRow(_ context.Context, _ string, args ...any) pgx.Row {
	d.args = args
	return nil
}

func TestConnWithExecMode(t *testing.T) {
	ctx := context.Background()
	tn := tenanttest.NewTenant(t, "acme", "tenant_acme")
	tenantSQL := tenancy.NewSQL("SELECT id FROM items WHERE id = $1", 15)
	const sharedSQL = "SELECT id FROM plans WHERE id = $1"
	calls := []struct {
		name string
		call func(c tenancy.Conn, sql string)
	}{
		{"Exec", func(c tenancy.Conn, sql string) { _, _ = c.Exec(ctx, sql, 7) }},
		{"Query", func(c tenancy.Conn, sql string) { _, _ = c.Query(ctx, sql, 7) }},
		{"QueryRow", func(c tenancy.Conn, sql string) { _ = c.QueryRow(ctx, sql, 7) }},
	}
	for _, call := range calls {
		t.Run(call.name, func(t *testing.T) {
			db := &argsDB{}
			c := tenancy.Bind(db, tn).WithExecMode(pgx.QueryExecModeExec)
			if c.ExecMode() != pgx.QueryExecModeExec {
				t.Errorf("ExecMode() = %v", c.ExecMode())
			}
			call.call(c, c.SQL(tenantSQL))
			if len(db.args) != 2 || db.args[0] != pgx.QueryExecModeExec || db.args[1] != 7 {
				t.Errorf("tenant statement args = %v, want [exec 7]", db.args)
			}
			call.call(c, sharedSQL)
			if len(db.args) != 1 || db.args[0] != 7 {
				t.Errorf("shared statement args = %v, want [7]", db.args)
			}
			call.call(tenancy.Bind(db, tn), c.SQL(tenantSQL))
			if len(db.args) != 1 {
				t.Errorf("args without a mode = %v, want [7]", db.args)
			}
		})
	}
	if got := (tenancy.Conn{}).WithExecMode(pgx.QueryExecModeExec); got != (tenancy.Conn{}) {
		t.Error("WithExecMode on the unbound Conn bound it")
	}
}

func TestConnWithExecModeQueries(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool,
		`CREATE SCHEMA tenant_acme`,
		`CREATE TABLE tenant_acme.items (id bigint PRIMARY KEY, note text NOT NULL)`,
		`INSERT INTO tenant_acme.items VALUES (1, 'acme')`)
	tn := tenanttest.NewTenant(t, "acme", "tenant_acme")
	s := tenancy.NewSQL("SELECT note FROM items WHERE id = $1", 17)
	for _, mode := range pgtest.ExecModes() {
		c := tenancy.Bind(db.Pool, tn).WithExecMode(mode)
		var note string
		if err := c.QueryRow(ctx, c.SQL(s), int64(1)).Scan(&note); err != nil || note != "acme" {
			t.Errorf("mode %s: got %q, %v", pgtest.ModeName(mode), note, err)
		}
	}
}
