package a

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func result(_ pgconn.CommandTag, err error) error { return err }

func ignoreOne(ctx context.Context, conn *pgx.Conn) error {
	//tenantc:ignore the nightly purge empties every tenant's tickets on purpose
	return errors.Join(
		result(conn.Exec(ctx, "DELETE FROM tickets")),
		result(conn.Exec(ctx, "DELETE FROM open_tickets")), // want `view "open_tickets" is tenant-scoped`
	)
}

func ignoreFinding(ctx context.Context, conn *pgx.Conn) error {
	// The one argument with a finding is covered, wherever it is in the
	// statement.
	//tenantc:ignore the purge empties every tenant's tickets on purpose
	err := errors.Join(
		result(conn.Exec(ctx, "SELECT id FROM plans")),
		result(conn.Exec(ctx, "DELETE FROM tickets")),
	)
	// An ignore does not reach past the statement below it.
	//tenantc:ignore only the shared query below
	conn.Exec(ctx, "SELECT id FROM plans")
	conn.Exec(ctx, "DELETE FROM tickets") // want `table "tickets" is tenant-scoped`
	return err
}
