package a

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tenantc/tenantc/tenancy"
)

// DBTX is the interface sqlc and tenantc generate.
type DBTX interface {
	Exec(context.Context, string, ...interface{}) (pgconn.CommandTag, error)
	Query(context.Context, string, ...interface{}) (pgx.Rows, error)
	QueryRow(context.Context, string, ...interface{}) pgx.Row
}

// querier is an application's own interface.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// audited embeds one of those.
type audited interface {
	DBTX
	Audit()
}

// sqlDBTX is sqlc's database/sql interface.
type sqlDBTX interface {
	ExecContext(context.Context, string, ...interface{}) (sql.Result, error)
}

func interfaces(ctx context.Context, db DBTX, q querier, a audited, tdb tenancy.DBTX, pool *pgxpool.Pool, sdb sqlDBTX) {
	db.Exec(ctx, "DELETE FROM tickets")                    // want `table "tickets" is tenant-scoped`
	db.Query(ctx, "SELECT id FROM open_tickets")           // want `view "open_tickets" is tenant-scoped`
	q.Exec(ctx, "DELETE FROM tickets")                     // want `table "tickets" is tenant-scoped`
	a.QueryRow(ctx, "SELECT id FROM tickets")              // want `table "tickets" is tenant-scoped`
	tdb.CopyFrom(ctx, pgx.Identifier{"tickets"}, nil, nil) // want `table "tickets" is tenant-scoped`
	DBTX(pool).Exec(ctx, "DELETE FROM tickets")            // want `table "tickets" is tenant-scoped`
	sdb.ExecContext(ctx, "DELETE FROM tickets")            // want `table "tickets" is tenant-scoped`
	db.Exec(ctx, "SELECT id FROM plans")                   // shared
	db.Query(ctx, "SELECT id FROM "+table(ctx))            // want `dynamic SQL: a table name is built at run time`
	var s store
	s.Exec(ctx, "DELETE FROM tickets") // want `table "tickets" is tenant-scoped`
}

func table(ctx context.Context) string { return ctx.Value("table").(string) }

func generic[T DBTX](ctx context.Context, db T) {
	db.Exec(ctx, "DELETE FROM tickets") // want `table "tickets" is tenant-scoped`
}

// store wraps a pool with pgx's method set.
type store struct{ pool *pgxpool.Pool }

func (s *store) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.pool.Exec(ctx, sql, args...) // want `dynamic SQL: tenantc cannot see the text`
}

// Methods named like pgx's that do not send SQL stay quiet.
type shell struct{}

func (shell) Exec(ctx context.Context, cmd string, args ...any) error { return nil }

type cache interface {
	Query(ctx context.Context, key string) ([]byte, error)
}

func notSQL(ctx context.Context, sh shell, c cache) {
	sh.Exec(ctx, "rm -rf tickets")
	c.Query(ctx, "tickets")
	c.Query(ctx, table(ctx))
}
