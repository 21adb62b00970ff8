package a

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

type chain struct{ sql string }

func (c *chain) grow() {
	c.sql = c.sql + " AND " + c.sql
	c.sql = c.sql + " OR " + c.sql
	c.sql = c.sql + " OR " + c.sql
}

func nest(n int) string {
	if n == 0 {
		return "SELECT id FROM tickets"
	}
	return nest(n-1) + nest(n-2) + nest(n-3)
}

func writeNested(b *strings.Builder, n int) {
	b.WriteString("x")
	writeNested(b, n-1)
	writeNested(b, n-2)
}

// Code that leads back to itself ends in holes, quickly.
func recursion(ctx context.Context, conn *pgx.Conn, c *chain) {
	c.sql = "SELECT id FROM plans WHERE true"
	conn.Exec(ctx, c.sql)
	conn.Exec(ctx, nest(3)) // want `table "tickets" is tenant-scoped` `dynamic SQL: tenantc cannot see the text`
	var b strings.Builder
	writeNested(&b, 3)
	conn.Exec(ctx, b.String())
}
