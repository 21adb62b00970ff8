package a

import (
	"context"
	"strings"
	"text/template"

	"github.com/jackc/pgx/v5"
)

func branches(ctx context.Context, conn *pgx.Conn, comments bool, n int) {
	q := "SELECT id FROM "
	if comments {
		q += "plans"
	} else {
		q += "tickets"
	}
	conn.Exec(ctx, q) // want `table "tickets" is tenant-scoped`

	q2 := "SELECT id FROM tickets"
	if comments {
		q2 = "SELECT id FROM plans"
	}
	conn.Exec(ctx, q2) // want `table "tickets" is tenant-scoped`

	q3 := "SELECT id FROM plans"
	switch n {
	case 1:
		q3 = "SELECT id FROM open_tickets"
	case 2:
		q3 = "SELECT 2"
	}
	conn.Exec(ctx, q3) // want `view "open_tickets" is tenant-scoped`

	for _, t := range []string{"plans", "tickets"} {
		conn.Exec(ctx, "SELECT id FROM "+t) // want `table "tickets" is tenant-scoped`
	}

	q5 := "SELECT id FROM plans"
	for i := 0; i < n; i++ {
		if i == 3 {
			q5 = "SELECT id FROM tickets"
		}
	}
	conn.Exec(ctx, q5) // want `table "tickets" is tenant-scoped`

	// A path that returns does not reach the call after it.
	q4 := "SELECT id FROM plans"
	if comments {
		q4 = "DELETE FROM tickets"
		conn.Exec(ctx, q4) // want `table "tickets" is tenant-scoped`
		return
	}
	conn.Exec(ctx, q4) // shared on every path that gets here
	q4 = "SELECT id, name FROM plans"
	conn.Exec(ctx, q4)

	// In straight-line code the last assignment wins.
	q6 := "DELETE FROM tickets"
	q6 = "DELETE FROM plans"
	conn.Exec(ctx, q6)
	defer func() { q6 = "DELETE FROM tickets" }()
}

func writeFrom(b *strings.Builder, table string) {
	b.WriteString(" FROM ")
	b.WriteString(table)
}

func builders(ctx context.Context, conn *pgx.Conn, tmpl *template.Template, data any, comments bool) {
	var b strings.Builder
	b.WriteString("SELECT id")
	writeFrom(&b, "tickets")
	conn.Exec(ctx, b.String()) // want `table "tickets" is tenant-scoped`

	var ok strings.Builder
	ok.WriteString("SELECT id")
	writeFrom(&ok, "plans")
	conn.Exec(ctx, ok.String())

	var bb strings.Builder
	bb.WriteString("SELECT id FROM ")
	if comments {
		bb.WriteString("plans")
	} else {
		bb.WriteString("tickets")
	}
	conn.Exec(ctx, bb.String()) // want `table "tickets" is tenant-scoped`

	var t strings.Builder
	t.WriteString("SELECT id FROM ")
	tmpl.Execute(&t, data)
	conn.Exec(ctx, t.String()) // want `dynamic SQL: a table name is built at run time`

	var all strings.Builder
	tmpl.Execute(&all, data)
	conn.Exec(ctx, all.String()) // want `dynamic SQL: tenantc cannot see the text`
}

func copyBranches(ctx context.Context, conn *pgx.Conn, tenantRows bool) {
	table := "plans"
	if tenantRows {
		table = "tickets"
	}
	conn.CopyFrom(ctx, pgx.Identifier{table}, nil, nil) // want `table "tickets" is tenant-scoped`
	conn.CopyFrom(ctx, pgx.Identifier{"plans"}, nil, nil)
}
