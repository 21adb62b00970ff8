package a

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tenantc/tenantc/tenancy"
)

// Code an application runs every day that must stay quiet.
func quiet(ctx context.Context, pool *pgxpool.Pool, tx pgx.Tx, c tenancy.Conn, schemaName string, ids []int64) {
	tx.Exec(ctx, "SET LOCAL statement_timeout = 5000")
	tx.Exec(ctx, "RESET statement_timeout")
	pool.Exec(ctx, "LISTEN plan_changes")
	pool.Exec(ctx, "SELECT pg_advisory_lock($1)", 42)
	pool.Exec(ctx, "DO $$ BEGIN PERFORM pg_sleep(0); END $$")
	pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schemaName}.Sanitize())
	pool.Exec(ctx, "INSERT INTO plans (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name", 1, "x")
	pool.Exec(ctx, "SELECT id FROM plans WHERE name LIKE '%tickets%'")
	pool.Exec(ctx, `SELECT id FROM plans WHERE name = 'tickets'`)
	pool.Exec(ctx, `SELECT id AS tickets FROM plans`)
	pool.Exec(ctx, `SELECT 1 -- FROM tickets`)

	// Built shared SQL, on every path.
	q := "SELECT id, name FROM plans"
	if len(ids) > 0 {
		q += " WHERE id = ANY($1)"
	}
	switch len(ids) {
	case 0:
		q += " ORDER BY id"
	default:
		q += " ORDER BY name"
	}
	pool.Query(ctx, q, ids)

	var b strings.Builder
	b.WriteString("SELECT id FROM plans")
	for i := range ids {
		fmt.Fprintf(&b, " OR id = $%d", i+1)
	}
	pool.Query(ctx, b.String())

	cols := []string{"id", "name"}
	pool.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM plans")

	// Tenant SQL the runtime qualifies.
	tq := tenancy.MustParseSQL(`SELECT count(*) FROM {tickets} WHERE title <> ''`)
	c.QueryRow(ctx, c.SQL(tq))
	rows, _ := c.Query(ctx, c.SQL(tq))
	rows.Close()
	batch := &pgx.Batch{}
	batch.Queue(c.SQL(tq))
	c.SendBatch(ctx, batch)
}
