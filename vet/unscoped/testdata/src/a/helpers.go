package a

import (
	"context"

	"github.com/georgysavva/scany/v2/pgxscan"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jmoiron/sqlx"
)

func helpers(ctx context.Context, pool *pgxpool.Pool, db *sqlx.DB) {
	var ids []int64
	pgxscan.Select(ctx, pool, &ids, "SELECT id FROM tickets")         // want `table "tickets" is tenant-scoped`
	pgxscan.Get(ctx, pool, &ids, "SELECT count(*) FROM open_tickets") // want `view "open_tickets" is tenant-scoped`
	pgxscan.Select(ctx, pool, &ids, "SELECT id FROM plans")
	db.Select(&ids, "SELECT id FROM tickets")               // want `table "tickets" is tenant-scoped`
	db.GetContext(ctx, &ids, "SELECT id FROM tickets")      // want `table "tickets" is tenant-scoped`
	db.MustExec("DELETE FROM tickets")                      // want `table "tickets" is tenant-scoped`
	db.NamedExec("DELETE FROM tickets WHERE id = :id", nil) // want `table "tickets" is tenant-scoped`
	sqlx.Select(db, &ids, "SELECT id FROM tickets")         // want `table "tickets" is tenant-scoped`
	db.Select(&ids, "SELECT id FROM plans")
	db.Select(&ids, db.Rebind("SELECT id FROM tickets WHERE id = ?")) // want `table "tickets" is tenant-scoped`
	db.Select(&ids, db.Rebind("SELECT id FROM plans WHERE id = ?"))
}
