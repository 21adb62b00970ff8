// Package pgconn is a stub of github.com/jackc/pgx/v5/pgconn.
package pgconn

import "context"

type MultiResultReader struct{}
type ResultReader struct{}

type PgConn struct{}

func (c *PgConn) Exec(ctx context.Context, sql string) *MultiResultReader { return nil }
func (c *PgConn) ExecParams(ctx context.Context, sql string, paramValues [][]byte, paramOIDs []uint32, paramFormats []int16, resultFormats []int16) *ResultReader {
	return nil
}
