package a

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"b"
)

func pgxConn(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, "DELETE FROM tickets WHERE id = $1", 1)                // want `unscoped query: table "tickets" is tenant-scoped; use the generated TenantQueries, or tenancy.ParseSQL`
	conn.Query(ctx, "SELECT id FROM tickets")                             // want `table "tickets" is tenant-scoped`
	conn.QueryRow(ctx, "SELECT id FROM tickets WHERE id = $1", 1)         // want `table "tickets" is tenant-scoped`
	conn.Prepare(ctx, "get", "SELECT title FROM tickets WHERE id = $1")   // want `table "tickets" is tenant-scoped`
	conn.CopyFrom(ctx, pgx.Identifier{"tickets"}, []string{"title"}, nil) // want `table "tickets" is tenant-scoped`
	conn.CopyFrom(ctx, pgx.Identifier{"plans"}, []string{"name"}, nil)    // shared
	conn.CopyFrom(ctx, pgx.Identifier{"Tickets"}, []string{"title"}, nil) // pgx quotes: "Tickets" is not tickets
	conn.CopyFrom(ctx, pgx.Identifier{"Patients"}, []string{"id"}, nil)   // want `table "Patients" is tenant-scoped`
	conn.CopyFrom(ctx, pgx.Identifier{"tenant_1", "tickets"}, nil, nil)   // want `tenant table "tickets" must not be schema-qualified`
	ident := pgx.Identifier{"tickets"}
	conn.CopyFrom(ctx, ident, []string{"title"}, nil) // want `table "tickets" is tenant-scoped`

	b := &pgx.Batch{}
	b.Queue("UPDATE tickets SET title = $1", "x") // want `table "tickets" is tenant-scoped`
	b.Queue("SELECT id FROM plans")
	conn.SendBatch(ctx, b)

	conn.Exec(ctx, "SELECT id, name FROM plans") // shared table: no finding
	conn.Exec(ctx, "SELECT 1 FROM audit_log")    // not in the catalog: no finding
}

func pgxTx(ctx context.Context, conn *pgx.Conn) {
	tx, _ := conn.Begin(ctx)
	tx.Exec(ctx, "INSERT INTO tickets (title) VALUES ($1)", "x")        // want `table "tickets" is tenant-scoped`
	tx.Query(ctx, "SELECT id FROM open_tickets")                        // want `view "open_tickets" is tenant-scoped`
	tx.QueryRow(ctx, "SELECT nextval('invoice_seq')")                   // want `sequence "invoice_seq" is tenant-scoped`
	tx.Prepare(ctx, "count", "SELECT ticket_count()")                   // want `function "ticket_count" is tenant-scoped`
	tx.CopyFrom(ctx, pgx.Identifier{"tickets"}, []string{"title"}, nil) // want `table "tickets" is tenant-scoped`
	tx.Exec(ctx, "SELECT $1::ticket_status", "open")                    // want `enum "ticket_status" is tenant-scoped`
	tx.Commit(ctx)
}

func pgxPool(ctx context.Context, pool *pgxpool.Pool) {
	pool.Exec(ctx, "DELETE FROM tickets")                                 // want `table "tickets" is tenant-scoped`
	pool.Query(ctx, b.ListTickets)                                        // want `table "tickets" is tenant-scoped`
	pool.QueryRow(ctx, countOpen)                                         // want `view "open_tickets" is tenant-scoped`
	pool.QueryRow(ctx, listPlans)                                         // shared
	pool.Exec(ctx, deleteTickets, 1)                                      // want `table "tickets" is tenant-scoped`
	pool.Exec(ctx, listPlansVar)                                          // a package variable of shared SQL
	pool.CopyFrom(ctx, pgx.Identifier{"tickets"}, []string{"title"}, nil) // want `table "tickets" is tenant-scoped`
	c, _ := pool.Acquire(ctx)
	c.Exec(ctx, "SELECT id FROM tickets") // want `table "tickets" is tenant-scoped`
	c.Release()
	tx, _ := pool.Begin(ctx)
	tx.Exec(ctx, "SELECT id FROM tickets") // want `table "tickets" is tenant-scoped`
}

func pgConn(ctx context.Context, pc *pgconn.PgConn) {
	pc.Exec(ctx, "SELECT id FROM tickets")                           // want `table "tickets" is tenant-scoped`
	pc.ExecParams(ctx, "SELECT id FROM tickets", nil, nil, nil, nil) // want `table "tickets" is tenant-scoped`
}

func quoting(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, `SELECT id FROM "Tickets"`)  // quoted: not the tickets table
	conn.Exec(ctx, `SELECT id FROM TICKETS`)    // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `SELECT id FROM Patients`)   // folds to patients: not "Patients"
	conn.Exec(ctx, `SELECT id FROM "Patients"`) // want `table "Patients" is tenant-scoped`
}

func ctes(ctx context.Context, conn *pgx.Conn) {
	// The WITH query shadows the tenant table.
	conn.Exec(ctx, `WITH tickets AS (SELECT id FROM plans) SELECT id FROM tickets`)
	// Inside its own definition, tickets is still the table.
	conn.Exec(ctx, `WITH t AS (SELECT id FROM tickets) SELECT id FROM t`) // want `table "tickets" is tenant-scoped`
}

func searchPath(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, "SET search_path TO tenant_1")                      // want `changes search_path`
	conn.Exec(ctx, "SELECT set_config('search_path', $1, false)", "t") // want `changes search_path`
	conn.Exec(ctx, "SET SCHEMA 'tenant_1'")                            // want `changes search_path`
	conn.Exec(ctx, "RESET ALL")                                        // want `changes search_path`
	conn.Exec(ctx, "SELECT 'tickets'::regclass")                       // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `SELECT id FROM "tenant_1".tickets`)                // want `tenant table "tickets" must not be schema-qualified`
}
