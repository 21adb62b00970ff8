package a

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/tenantc/tenantc/tenancy"
)

var purgeClosed = tenancy.MustParseSQL(`DELETE FROM {tickets} WHERE status = 'closed'::{ticket_status}`)

var forgotMark = tenancy.MustParseSQL(`DELETE FROM tickets`) // want `table "tickets" is tenant-scoped but not marked; write \{tickets\}`

func tenancyConn(ctx context.Context, c tenancy.Conn) {
	c.Exec(ctx, "DELETE FROM tickets")                   // want `unscoped query: table "tickets" is tenant-scoped; use the generated TenantQueries, or tenancy.ParseSQL`
	c.Query(ctx, "SELECT id FROM tickets")               // want `table "tickets" is tenant-scoped`
	c.QueryRow(ctx, "SELECT count(*) FROM open_tickets") // want `view "open_tickets" is tenant-scoped`
	c.CopyFrom(ctx, pgx.Identifier{"tickets"}, nil, nil) // want `table "tickets" is tenant-scoped`
	c.Exec(ctx, `SELECT id FROM "tenant_1".tickets`)     // want `tenant table "tickets" must not be schema-qualified`
	b := &pgx.Batch{}
	b.Queue("DELETE FROM tickets") // want `table "tickets" is tenant-scoped`
	c.SendBatch(ctx, b)

	// The safe ways stay quiet.
	c.Exec(ctx, c.SQL(purgeClosed))
	s := c.SQL(purgeClosed)
	c.Exec(ctx, s)
	c.Exec(ctx, c.SQL(tenancy.MustParseSQL("UPDATE {tickets} SET title = $1")), "x")
	c.CopyFrom(ctx, c.Table("tickets"), nil, nil)
	b.Queue(c.SQL(purgeClosed))
	c.Exec(ctx, "SELECT id FROM plans")
	tenancy.ParseSQL(`SELECT t.id, '{1}'::int[], 'tickets' FROM {tickets} t JOIN plans p ON p.id = t.plan_id WHERE t.title = $1`)
	tenancy.ParseSQL(`SELECT id FROM {"Patients"} /* {tickets} */`)

	tenancy.ParseSQL("SELECT 1 FROM {tickets}, open_tickets") // want `view "open_tickets" is tenant-scoped but not marked`
	tenancy.ParseSQL(`SELECT id FROM "Patients"`)             // want `table "Patients" is tenant-scoped but not marked; write \{"Patients"\}`
	tenancy.ParseSQL(`SELECT nextval('invoice_seq')`)         // want `sequence "invoice_seq" is tenant-scoped and named in a string literal`
}
