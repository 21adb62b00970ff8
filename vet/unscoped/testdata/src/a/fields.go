package a

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type repo struct {
	pool    *pgxpool.Pool
	listSQL string
	table   string
}

func newRepo(pool *pgxpool.Pool) *repo {
	return &repo{pool: pool, listSQL: "SELECT id, title FROM tickets"}
}

func (r *repo) list(ctx context.Context) {
	r.pool.Query(ctx, r.listSQL) // want `table "tickets" is tenant-scoped`
}

var statements = map[string]string{
	"purge": "DELETE FROM tickets",
	"plans": "SELECT id FROM plans",
}

var steps = []string{"SELECT id FROM plans", "SELECT id FROM open_tickets"}

func indexed(ctx context.Context, conn *pgx.Conn, name string) {
	conn.Exec(ctx, statements["purge"]) // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, statements["plans"])
	conn.Exec(ctx, statements[name]) // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, steps[0])
	conn.Exec(ctx, steps[1]) // want `view "open_tickets" is tenant-scoped`
	for _, s := range steps {
		conn.Exec(ctx, s) // want `view "open_tickets" is tenant-scoped`
	}
	conn.Exec(ctx, "SELECT id FROM "+pgx.Identifier{"tickets"}.Sanitize()) // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, "SELECT id FROM "+pgx.Identifier{"plans"}.Sanitize())
}

var mixed = map[any]string{1: "SELECT id FROM plans", "purge": "DELETE FROM tickets"}

func mixedKeys(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, mixed["purge"]) // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, mixed[1])
}
