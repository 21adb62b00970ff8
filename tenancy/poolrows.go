package tenancy

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// poolRows are the rows of a query on a [Pool]: they give the connection
// back when closed or read to the end, as pgxpool's do.
type poolRows struct {
	rows pgx.Rows
	p    *Pool
	c    *pgxpool.Conn
	s    *shard
	sql  string
	err  error
}

func newPoolRows(p *Pool, rows pgx.Rows, c *pgxpool.Conn, s *shard, sql string) *poolRows {
	sl := slabOf(c.Conn())
	r := &sl.rows[0]
	sl.rows = sl.rows[1:]
	*r = poolRows{rows: rows, p: p, c: c, s: s, sql: sql}
	return r
}

func newPoolRow(p *Pool, row pgx.Row, c *pgxpool.Conn, s *shard, sql string) *poolRow {
	sl := slabOf(c.Conn())
	r := &sl.row[0]
	sl.row = sl.row[1:]
	*r = poolRow{row: row, p: p, c: c, s: s, sql: sql}
	return r
}

// slab hands out a connection's result wrappers from arrays allocated
// slabSize at a time, as pgxpool does, so that a call allocates one
// wrapper every slabSize calls. Each element is used once: a caller may
// keep its rows after the connection has gone to another caller.
type slab struct {
	rows []poolRows
	row  []poolRow
}

const (
	slabKey  = "tenantc.tenancy.slab"
	slabSize = 64
)

// slabOf returns conn's slab, refilled when a kind runs out. The
// connection is held by the caller, so nothing else uses the slab.
func slabOf(conn *pgx.Conn) *slab {
	m := conn.PgConn().CustomData()
	sl, _ := m[slabKey].(*slab)
	if sl == nil {
		sl = &slab{}
		m[slabKey] = sl
	}
	if len(sl.rows) == 0 {
		sl.rows = make([]poolRows, slabSize)
	}
	if len(sl.row) == 0 {
		sl.row = make([]poolRow, slabSize)
	}
	return sl
}

func (r *poolRows) Close() {
	r.rows.Close()
	r.done()
}

// done gives the connection back once, keeping the rows' error.
func (r *poolRows) done() {
	if r.c == nil {
		return
	}
	if err := r.rows.Err(); err != nil {
		r.err = r.p.failed(r.c.Conn(), r.sql, err)
	}
	release(r.c, r.s)
	r.c = nil
}

func (r *poolRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

func (r *poolRows) CommandTag() pgconn.CommandTag { return r.rows.CommandTag() }

func (r *poolRows) FieldDescriptions() []pgconn.FieldDescription {
	return r.rows.FieldDescriptions()
}

func (r *poolRows) Next() bool {
	if r.rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *poolRows) Scan(dest ...any) error { return r.rows.Scan(dest...) }

func (r *poolRows) Values() ([]any, error) { return r.rows.Values() }

func (r *poolRows) RawValues() [][]byte { return r.rows.RawValues() }

func (r *poolRows) Conn() *pgx.Conn { return r.rows.Conn() }

// poolRow is the row of a QueryRow on a [Pool].
type poolRow struct {
	row pgx.Row
	p   *Pool
	c   *pgxpool.Conn
	s   *shard
	sql string
}

func (r *poolRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if r.c == nil {
		return err
	}
	if err != nil && err != pgx.ErrNoRows {
		err = r.p.failed(r.c.Conn(), r.sql, err)
	}
	release(r.c, r.s)
	r.c = nil
	return err
}

// errRows are the rows and row of a call that failed before it reached
// the server.
type errRows struct{ err error }

func (e errRows) Close()                                       {}
func (e errRows) Err() error                                   { return e.err }
func (e errRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (e errRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (e errRows) Next() bool                                   { return false }
func (e errRows) Scan(...any) error                            { return e.err }
func (e errRows) Values() ([]any, error)                       { return nil, e.err }
func (e errRows) RawValues() [][]byte                          { return nil }
func (e errRows) Conn() *pgx.Conn                              { return nil }

// errBatch is the result of a batch that could not be sent.
type errBatch struct{ err error }

func (e errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, e.err }
func (e errBatch) Query() (pgx.Rows, error)         { return errRows(e), e.err }
func (e errBatch) QueryRow() pgx.Row                { return errRows(e) }
func (e errBatch) Close() error                     { return e.err }

// poolBatch gives the connection back when the batch is closed.
type poolBatch struct {
	pgx.BatchResults
	c *pgxpool.Conn
	s *shard
}

func (b *poolBatch) Close() error {
	err := b.BatchResults.Close()
	if b.c != nil {
		release(b.c, b.s)
		b.c = nil
	}
	return err
}

// poolTx is a transaction on one connection of a [Pool]: its statements
// use that connection's prepared statements, as the Pool's do, and the
// connection goes back to the pool at Commit or Rollback.
type poolTx struct {
	pgx.Tx
	p *Pool
	c *pgxpool.Conn
	s *shard
}

func (tx *poolTx) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	return tx.p.execOn(ctx, tx.Tx.Conn(), tx.s, sql, arguments)
}

func (tx *poolTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := tx.prepare(ctx, sql, args); err != nil {
		return errRows{err}, err
	}
	rows, err := tx.Tx.Query(ctx, sql, args...)
	if err != nil {
		err = tx.p.failed(tx.Tx.Conn(), sql, err)
	}
	return rows, err
}

func (tx *poolTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := tx.prepare(ctx, sql, args); err != nil {
		return errRows{err}
	}
	return tx.Tx.QueryRow(ctx, sql, args...)
}

func (tx *poolTx) prepare(ctx context.Context, sql string, args []any) error {
	conn := tx.Tx.Conn()
	if conn == nil {
		return pgx.ErrTxClosed
	}
	return tx.p.prepare(ctx, conn, tx.s, sql, args)
}

func (tx *poolTx) Commit(ctx context.Context) error {
	err := tx.Tx.Commit(ctx)
	tx.done()
	return err
}

func (tx *poolTx) Rollback(ctx context.Context) error {
	err := tx.Tx.Rollback(ctx)
	tx.done()
	return err
}

func (tx *poolTx) done() {
	if tx.c != nil {
		release(tx.c, tx.s)
		tx.c = nil
	}
}

var (
	_ pgx.Rows         = (*poolRows)(nil)
	_ pgx.Row          = (*poolRow)(nil)
	_ pgx.Rows         = errRows{}
	_ pgx.BatchResults = errBatch{}
	_ pgx.Tx           = (*poolTx)(nil)
)
