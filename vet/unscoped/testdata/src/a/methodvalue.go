package a

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

type execer struct {
	exec func(context.Context, string, ...any) (pgconn.CommandTag, error)
}

var pkgExec = (*pgxpool.Pool).Exec

func methodValues(ctx context.Context, pool *pgxpool.Pool, conn *pgx.Conn) {
	q := pool.Query
	q(ctx, "SELECT id FROM tickets") // want `table "tickets" is tenant-scoped`
	exec := conn.Exec
	exec(ctx, "SELECT id FROM plans")
	(*pgxpool.Pool).Exec(pool, ctx, "DELETE FROM tickets")  // want `table "tickets" is tenant-scoped`
	(*pgx.Conn).QueryRow(conn, ctx, "SELECT id FROM plans") // shared, and ctx is not the SQL
	pkgExec(pool, ctx, "DELETE FROM tickets")               // want `table "tickets" is tenant-scoped`
	e := execer{exec: pool.Exec}
	e.exec(ctx, "DELETE FROM tickets") // want `table "tickets" is tenant-scoped`
	run := shell{}.Exec
	run(ctx, "rm -rf tickets") // not a database method
}
