package a

import (
	"context"
	"database/sql"
)

func databaseSQL(ctx context.Context, db *sql.DB) {
	db.Exec("DELETE FROM tickets")                               // want `table "tickets" is tenant-scoped`
	db.ExecContext(ctx, "DELETE FROM tickets")                   // want `table "tickets" is tenant-scoped`
	db.Query("SELECT id FROM tickets")                           // want `table "tickets" is tenant-scoped`
	db.QueryContext(ctx, "SELECT id FROM tickets")               // want `table "tickets" is tenant-scoped`
	db.QueryRow("SELECT id FROM tickets")                        // want `table "tickets" is tenant-scoped`
	db.QueryRowContext(ctx, "SELECT id FROM tickets")            // want `table "tickets" is tenant-scoped`
	db.Exec("SELECT id FROM plans")                              // shared
	stmt, _ := db.Prepare("SELECT id FROM tickets")              // want `table "tickets" is tenant-scoped`
	stmt.Exec()                                                  // the SQL is checked where it is prepared
	stmt2, _ := db.PrepareContext(ctx, "SELECT id FROM tickets") // want `table "tickets" is tenant-scoped`
	stmt2.QueryContext(ctx)

	tx, _ := db.BeginTx(ctx, nil)
	tx.Exec("DELETE FROM tickets")                    // want `table "tickets" is tenant-scoped`
	tx.ExecContext(ctx, "DELETE FROM tickets")        // want `table "tickets" is tenant-scoped`
	tx.Query("SELECT id FROM tickets")                // want `table "tickets" is tenant-scoped`
	tx.QueryContext(ctx, "SELECT id FROM tickets")    // want `table "tickets" is tenant-scoped`
	tx.QueryRow("SELECT id FROM tickets")             // want `table "tickets" is tenant-scoped`
	tx.QueryRowContext(ctx, "SELECT id FROM tickets") // want `table "tickets" is tenant-scoped`
	tx.Prepare("SELECT id FROM tickets")              // want `table "tickets" is tenant-scoped`
	tx.PrepareContext(ctx, "SELECT id FROM tickets")  // want `table "tickets" is tenant-scoped`
	tx.StmtContext(ctx, stmt).ExecContext(ctx)

	conn, _ := db.Conn(ctx)
	conn.ExecContext(ctx, "DELETE FROM tickets")        // want `table "tickets" is tenant-scoped`
	conn.QueryContext(ctx, "SELECT id FROM tickets")    // want `table "tickets" is tenant-scoped`
	conn.QueryRowContext(ctx, "SELECT id FROM tickets") // want `table "tickets" is tenant-scoped`
	conn.PrepareContext(ctx, "SELECT id FROM tickets")  // want `table "tickets" is tenant-scoped`
}
