package a

import (
	"context"

	"github.com/jackc/pgx/v5"
)

func tokens(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, `SELECT E'\'' AS q, id FROM tickets`)                             // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `UPDATE pg_settings SET setting = $1 WHERE name = 'search_path'`) // want `changes search_path`
	conn.Exec(ctx, `SELECT E'it\'s' AS q, id FROM plans`)
	conn.Exec(ctx, `UPDATE pg_settings SET setting = 'off' WHERE name = 'enable_seqscan'`)
	conn.Exec(ctx, `SELECT 'search_path' AS setting, id FROM plans`)
}
