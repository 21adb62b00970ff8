// Package tenancy stands for tenantc's runtime, which is exempt.
package tenancy

import (
	"context"

	"github.com/jackc/pgx/v5"
)

func run(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, "SELECT id FROM tickets")
}
