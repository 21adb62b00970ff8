// Package pgconn is a stub of github.com/jackc/pgx/v5/pgconn.
package pgconn

import (
	"context"
	"io"
)

type CommandTag struct{}
type MultiResultReader struct{}
type ResultReader struct{}
type StatementDescription struct{}

type PgConn struct{}

func (c *PgConn) Exec(ctx context.Context, sql string) *MultiResultReader { return nil }
func (c *PgConn) ExecParams(ctx context.Context, sql string, paramValues [][]byte, paramOIDs []uint32, paramFormats []int16, resultFormats []int16) *ResultReader {
	return nil
}
func (c *PgConn) Prepare(ctx context.Context, name, sql string, paramOIDs []uint32) (*StatementDescription, error) {
	return nil, nil
}
func (c *PgConn) CopyFrom(ctx context.Context, r io.Reader, sql string) (CommandTag, error) {
	return CommandTag{}, nil
}
func (c *PgConn) CopyTo(ctx context.Context, w io.Writer, sql string) (CommandTag, error) {
	return CommandTag{}, nil
}
func (c *PgConn) ExecBatch(ctx context.Context, batch *Batch) *MultiResultReader { return nil }

type Batch struct{}

func (b *Batch) ExecParams(sql string, paramValues [][]byte, paramOIDs []uint32, paramFormats []int16, resultFormats []int16) {
}
func (b *Batch) ExecPrepared(stmtName string, paramValues [][]byte, paramFormats []int16, resultFormats []int16) {
}
