package a

import (
	"context"
	"embed"
	"io/fs"

	"github.com/jackc/pgx/v5"
)

//go:embed purge.sql plans.sql
var sqlFS embed.FS

func embeddedFS(ctx context.Context, conn *pgx.Conn) {
	purge, _ := sqlFS.ReadFile("purge.sql")
	conn.Exec(ctx, string(purge)) // want `table "tickets" is tenant-scoped`
	plans, _ := fs.ReadFile(sqlFS, "plans.sql")
	conn.Exec(ctx, string(plans))

	// A prepared statement's name: its SQL is checked where it is prepared.
	conn.Prepare(ctx, "list_plans", "SELECT id FROM plans")
	conn.Exec(ctx, "list_plans")
	conn.Prepare(ctx, "purge", "DELETE FROM tickets") // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, "purge")
}
