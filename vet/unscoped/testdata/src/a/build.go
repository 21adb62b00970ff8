package a

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

func concatenation(ctx context.Context, conn *pgx.Conn, order string) {
	conn.Exec(ctx, "SELECT id FROM "+"tickets") // want `table "tickets" is tenant-scoped`
	q := "SELECT id, title FROM tickets"
	q += " WHERE id = $1"
	conn.Query(ctx, q, 1) // want `table "tickets" is tenant-scoped`
	q2 := "SELECT id FROM plans ORDER BY " + order
	conn.Query(ctx, q2) // shared, the column is dynamic: fine
	conn.Query(ctx,     // the finding is at the argument, not the call
		"SELECT id FROM tickets") // want `table "tickets" is tenant-scoped`
}

func sprintf(ctx context.Context, conn *pgx.Conn, table, col string, limit int) {
	conn.Exec(ctx, fmt.Sprintf("SELECT %s FROM tickets LIMIT %d", col, limit)) // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, fmt.Sprintf("SELECT id FROM %s", "open_tickets"))           // want `view "open_tickets" is tenant-scoped`
	conn.Exec(ctx, fmt.Sprintf("SELECT id FROM %s", table))                    // want `dynamic SQL: a table name is built at run time`
	conn.Exec(ctx, "SELECT id FROM "+table)                                    // want `dynamic SQL: a table name is built at run time`
}

func builder(ctx context.Context, conn *pgx.Conn, cond string) {
	var b strings.Builder
	b.WriteString("SELECT id ")
	b.WriteString("FROM tickets")
	if cond != "" {
		b.WriteString(" WHERE ")
		b.WriteString(cond)
	}
	conn.Exec(ctx, b.String()) // want `table "tickets" is tenant-scoped`

	sb := &strings.Builder{}
	fmt.Fprintf(sb, "DELETE FROM %s", "tickets")
	sb.WriteByte(' ')
	conn.Exec(ctx, sb.String()) // want `table "tickets" is tenant-scoped`

	var ok strings.Builder
	ok.WriteString("SELECT id FROM plans")
	conn.Exec(ctx, ok.String())
}

func opaque(ctx context.Context, conn *pgx.Conn, sql string) {
	conn.Exec(ctx, sql) // want `dynamic SQL: tenantc cannot see the text of this query`
}

func fragments(ctx context.Context, conn *pgx.Conn, where string) {
	// "ORDER BY x y" does not parse; the tokenizer still sees the table.
	conn.Exec(ctx, "SELECT id FROM tickets ORDER BY "+where+" "+where) // want `table "tickets" is tenant-scoped`
}

func suppressed(ctx context.Context, conn *pgx.Conn) {
	//tenantc:ignore the retention job deletes across all tenants on purpose
	conn.Exec(ctx, "DELETE FROM tickets")
	conn.Exec(ctx, "DELETE FROM tickets") //tenantc:ignore same line works too

	//tenantc:ignore covers the whole statement
	conn.Exec(ctx,
		"DELETE FROM tickets")

	// A bare ignore is reported and suppresses nothing.
	/* want `tenantc:ignore needs a reason` */ //tenantc:ignore
	conn.Exec(ctx, "DELETE FROM tickets")      // want `table "tickets" is tenant-scoped`
}
