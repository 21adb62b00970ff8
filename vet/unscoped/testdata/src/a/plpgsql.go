package a

import (
	"context"

	"github.com/jackc/pgx/v5"
)

func doBlocks(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, `DO $$ BEGIN DELETE FROM tickets; END $$`)                                                  // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `DO $body$ BEGIN EXECUTE 'DELETE FROM open_tickets'; END $body$`)                           // want `view "open_tickets" is tenant-scoped`
	conn.Exec(ctx, `DO $$ BEGIN EXECUTE format('DELETE FROM tickets WHERE id = %L', 1); END $$`)               // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `DO $$ BEGIN PERFORM set_config('search_path', 'tenant_1', false); END $$`)                 // want `changes search_path`
	conn.Exec(ctx, `DO $$ DECLARE n int; BEGIN IF EXISTS (SELECT 1 FROM tickets) THEN n := 1; END IF; END $$`) // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `DO LANGUAGE plpgsql 'BEGIN DELETE FROM tickets; END'`)                                     // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `DO $$ DECLARE t text := 'plans'; BEGIN EXECUTE 'SELECT count(*) FROM ' || t; END $$`)      // want `dynamic SQL: EXECUTE runs a string built at run time`
	conn.Exec(ctx, `DO $x$ BEGIN EXECUTE format('TRUNCATE %I', 'tickets'); END $x$`)                           // want `table "tickets" is tenant-scoped`
	conn.Exec(ctx, `DO $x$ BEGIN EXECUTE format('TRUNCATE %I.tickets', 'tenant_1'); END $x$`)                  // want `tenant table "tickets" must not be schema-qualified`

	// Shared tables and text that only mentions a tenant table stay quiet.
	conn.Exec(ctx, `DO $x$ BEGIN EXECUTE format('TRUNCATE %I', 'plans'); END $x$`)
	conn.Exec(ctx, `DO $$ BEGIN EXECUTE format('SELECT %L::text', 'tickets'); END $$`)
	conn.Exec(ctx, `DO $$ BEGIN DELETE FROM plans WHERE id = 0; EXECUTE 'SELECT 1'; END $$`)
	conn.Exec(ctx, `DO $$ BEGIN RAISE NOTICE 'tickets'; END $$`)
	conn.Exec(ctx, `INSERT INTO plans (id, name) VALUES (1, 'x') ON CONFLICT DO NOTHING`)
}
