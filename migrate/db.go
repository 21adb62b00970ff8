package migrate

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the connection pool that migrations and tenant provisioning run
// on: the *tenancy.Pool an application opens, or a *pgxpool.Pool.
type DB interface {
	Acquire(ctx context.Context) (*pgxpool.Conn, error)
	Begin(ctx context.Context) (pgx.Tx, error)
	Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	// Config is the pool's configuration; its MaxConns bounds apply's
	// parallelism.
	Config() *pgxpool.Config
	Ping(ctx context.Context) error
}

var _ DB = (*pgxpool.Pool)(nil)
