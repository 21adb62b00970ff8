package a

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed purge.sql
var purgeSQL string

//go:embed plans.sql
var plansSQL []byte

var copyTable = pgx.Identifier{"tickets"}

func selectFrom(table string) string { return "SELECT id FROM " + table }

func folded(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, strings.Join([]string{"SELECT id", "FROM tickets"}, " "))       // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, strings.TrimSpace("  DELETE FROM tickets "))                    // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, strings.ReplaceAll("SELECT id FROM TABLE", "TABLE", "tickets")) // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, strings.Replace("SELECT id FROM X", "X", "open_tickets", 1))    // want `view "open_tickets" is tenant-scoped`
	conn.Exec(ctx, fmt.Sprint("SELECT id FROM ", "tickets"))                       // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, string([]byte("DELETE FROM tickets")))                          // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, purgeSQL)                                                       // want `table "tickets" is tenant-scoped`
	conn.CopyFrom(ctx, copyTable, nil, nil)                                        // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, selectFrom("tickets"))                                          // want `table "tickets" is tenant-scoped`
	var buf bytes.Buffer
	buf.WriteString("DELETE FROM ")
	buf.Write([]byte("tickets"))
	conn.Exec(ctx, buf.String()) // want `table "tickets" is tenant-scoped`

	// Shared SQL folds too, and stays quiet.
	conn.Exec(ctx, strings.Join([]string{"SELECT id", "FROM plans"}, " "))
	conn.Exec(ctx, strings.ToLower("SELECT ID FROM PLANS"))
	conn.Exec(ctx, string(plansSQL))
	conn.Exec(ctx, selectFrom("plans"))
	conn.Exec(ctx, fmt.Sprint("SELECT id FROM plans LIMIT ", 10))
}

func namedResult(shared bool) (q string) {
	q = "SELECT id FROM tickets"
	if shared {
		q = "SELECT id FROM plans"
	}
	return
}

func useNamed(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, namedResult(false)) // want `table "tickets" is tenant-scoped`
}
