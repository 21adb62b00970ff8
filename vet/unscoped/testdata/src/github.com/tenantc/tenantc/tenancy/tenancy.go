// Package tenancy stands for tenantc's runtime, which is exempt.
package tenancy

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func run(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(ctx, "SELECT id FROM tickets")
}

type DBTX interface {
	Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

type Tenant struct{}

type Conn struct{ db DBTX }

func Bind(db DBTX, t Tenant) Conn { return Conn{db: db} }

func (c Conn) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	return c.db.Exec(ctx, sql, arguments...)
}
func (c Conn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.db.Query(ctx, sql, args...)
}
func (c Conn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.db.QueryRow(ctx, sql, args...)
}
func (c Conn) CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	return c.db.CopyFrom(ctx, tableName, columnNames, rowSrc)
}
func (c Conn) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return c.db.SendBatch(ctx, b)
}
func (c Conn) SQL(s *SQL) string                { return s.text }
func (c Conn) Table(name string) pgx.Identifier { return pgx.Identifier{"tenant", name} }

type SQL struct{ text string }

func NewSQL(text string, refs ...int) *SQL { return &SQL{text: text} }
func ParseSQL(text string) (*SQL, error)   { return &SQL{text: text}, nil }
func MustParseSQL(text string) *SQL        { return &SQL{text: text} }
