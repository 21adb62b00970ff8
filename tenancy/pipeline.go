package tenancy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pipelined calls. A QueryRow, Query or Exec call of a Pool (a tenant's or
// a shared statement, outside a transaction) that finds its connection
// busy queues for it (see slots). The call that gets the connection next
// takes with it the calls queued behind it whose statements the connection
// keeps prepared, and sends them all at once in a pipeline: one round
// trip, and no idle backend between them (BENCHMARKS.md, P2).
//
// Each call keeps the semantics it has alone:
//   - each statement is followed by its own Sync, so it runs in its own
//     implicit transaction, and an error in one does not touch another;
//   - each caller reads its own result in turn: in its Row's Scan, in its
//     Rows until they are closed, or in Exec; the connection passes from
//     one to the next as pgx's QueryRow and Query hold it until Scan and
//     Close, so that the connection's type map, which decodes the rows
//     and is not safe for concurrent use, is used by one goroutine at a
//     time.
//
// A statement, once sent, runs to its end: the pipeline is sent under no
// caller's context, since its callers' contexts end at different times.
// A caller whose context ends while it waits for its turn still reads its
// result; a caller whose context ends before its statement is sent is not
// sent.
//
// A call queued for a tenant's home waits for it at most HomeWait, then
// takes another connection; in a pipeline it waits for the calls before
// it. So a statement whose result took longer than HomeWait to come in a
// pipeline is marked slow on its connection, and no call is sent behind
// it again; nor is a slow statement sent behind another.

// maxPipeline bounds the calls sent in one pipeline.
const maxPipeline = 16

// pipeArgs describes a call that can run in a pipeline; ok is false for
// any other.
type pipeArgs struct {
	ok   bool
	ctx  context.Context
	sql  string
	args []any
}

// pipelinable reports whether a call with args can run in a pipeline: not
// when its arguments start with a pgx option, which asks for a way of
// running it of its own.
func pipelinable(args []any) bool {
	if len(args) > 0 {
		switch args[0].(type) {
		case pgx.QueryExecMode, pgx.QueryRewriter, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
			return false
		}
	}
	return true
}

// pipeCall is a queued call that can run in a pipeline.
type pipeCall struct {
	pipeArgs
	// sd is its prepared statement on the connection that sends it.
	sd *pgconn.StatementDescription
	// sent says whether it was sent; err is why not (its context ended,
	// or its arguments did not encode).
	sent bool
	err  error
}

// pipeline is calls sent together on one connection, read in turn.
type pipeline struct {
	p     *Pool
	c     *pgxpool.Conn
	s     *shard
	pl    *pgconn.Pipeline
	sc    *stmtCache
	calls []*pipeCall
	// waiters[i] is the queued call of calls[i+1], granted its turn when
	// calls[i] is done.
	waiters []*slotWaiter
	// turn is the index of the call reading its result.
	turn int
	// err is a failure of the pipeline as a whole (the connection).
	err error
}

// lead sends the leader's call, on c, with the calls queued for c's shard
// whose statements c keeps prepared, in a pipeline, the leader's turn
// first; it returns nil when there are none, and the leader's call runs
// alone.
func (p *Pool) lead(c *pgxpool.Conn, s *shard, a pipeArgs) *pipeline {
	conn := c.Conn()
	sc, _ := conn.PgConn().CustomData()[cacheKey].(*stmtCache)
	if sc == nil {
		return nil
	}
	pl := &pipeline{p: p, c: c, s: s, sc: sc}
	sd := sc.sd(a.sql)
	if sd == nil {
		return nil
	}
	ws := s.slots.takePiped(maxPipeline-1, func(pc *pipeCall) bool {
		pc.sd = sc.pipeHit(pc.sql, &s.counters)
		return pc.sd != nil
	})
	if len(ws) == 0 {
		return nil
	}
	pl.calls, pl.waiters = make([]*pipeCall, 0, len(ws)+1), ws
	pl.calls = append(pl.calls, &pipeCall{pipeArgs: a, sd: sd})
	for _, w := range ws {
		pl.calls = append(pl.calls, w.call)
	}
	s.pipelined.Add(int64(len(pl.calls)))
	pl.send()
	return pl
}

// send sends every call whose context is still live, each with its Sync.
func (pl *pipeline) send() {
	conn := pl.c.Conn()
	pl.pl = conn.PgConn().StartPipeline(context.Background())
	var eqb pgx.ExtendedQueryBuilder
	for _, pc := range pl.calls {
		if err := pc.ctx.Err(); err != nil {
			pc.err = err
			continue
		}
		if err := eqb.Build(conn.TypeMap(), pc.sd, pc.args); err != nil {
			pc.err = err
			continue
		}
		if t := pl.p.tracer; t != nil {
			pc.ctx = t.TraceQueryStart(pc.ctx, conn, pgx.TraceQueryStartData{SQL: pc.sql, Args: pc.args})
		}
		// The pipeline keeps the result formats to decode the rows: they
		// must outlive the builder's next use.
		pl.pl.SendQueryStatement(pc.sd, eqb.ParamValues, eqb.ParamFormats, slices.Clone(eqb.ResultFormats))
		pl.pl.SendPipelineSync()
		pc.sent = true
	}
	if err := pl.pl.Flush(); err != nil {
		pl.err = err
	}
}

// row is the row of the call whose turn it is.
func (pl *pipeline) row() pgx.Row { return &pipeRow{pl: pl, i: pl.turn} }

// rows is the rows of the call whose turn it is.
func (pl *pipeline) rows() (pgx.Rows, error) {
	pc := pl.calls[pl.turn]
	if !pc.sent {
		pl.done()
		return errRows{pc.err}, pc.err
	}
	r := &pipeRows{pl: pl, pc: pc}
	rr, err := pl.result()
	if err != nil {
		r.err = err
		r.finish()
		return r, nil
	}
	r.Rows = pgx.RowsFromResultReader(pl.c.Conn().TypeMap(), rr)
	return r, nil
}

// exec reads the result of the Exec call whose turn it is.
func (pl *pipeline) exec() (pgconn.CommandTag, error) {
	pc := pl.calls[pl.turn]
	if !pc.sent {
		pl.done()
		return pgconn.CommandTag{}, pc.err
	}
	var tag pgconn.CommandTag
	rr, err := pl.result()
	if err == nil {
		tag, err = rr.Close()
	}
	pl.end(pc, tag, err)
	pl.done()
	if err != nil {
		err = pl.p.failed(pl.c.Conn(), pc.sql, err)
	}
	return tag, err
}

// result reads the next result of the pipeline, that of the call whose
// turn it is, marking its statement slow when it took longer than
// HomeWait to come.
func (pl *pipeline) result() (*pgconn.ResultReader, error) {
	if pl.err != nil {
		return nil, pl.err
	}
	start := time.Now()
	res, err := pl.pl.GetResults()
	if time.Since(start) > pl.p.homeWait {
		pl.sc.markSlow(pl.calls[pl.turn].sql)
	}
	if err != nil {
		pl.fail(err)
		return nil, err
	}
	rr, ok := res.(*pgconn.ResultReader)
	if !ok {
		err := fmt.Errorf("tenancy: pipeline: unexpected result %T", res)
		pl.fail(err)
		return nil, err
	}
	return rr, nil
}

// end tells the tracer that pc ended, and reads the Sync after it.
func (pl *pipeline) end(pc *pipeCall, tag pgconn.CommandTag, err error) {
	if t := pl.p.tracer; t != nil {
		t.TraceQueryEnd(pc.ctx, pl.c.Conn(), pgx.TraceQueryEndData{CommandTag: tag, Err: err})
	}
	pl.sync()
}

// pipeRows are a Query call's rows in a pipeline: when they are closed
// (or read to their end), the connection passes on.
type pipeRows struct {
	pgx.Rows
	pl     *pipeline
	pc     *pipeCall
	err    error
	closed bool
}

func (r *pipeRows) Next() bool {
	if r.Rows == nil || r.closed {
		return false
	}
	if r.Rows.Next() {
		return true
	}
	r.finish()
	return false
}

func (r *pipeRows) Close() { r.finish() }

func (r *pipeRows) Err() error {
	if r.err != nil {
		return r.err
	}
	if r.Rows == nil {
		return nil
	}
	return r.Rows.Err()
}

func (r *pipeRows) CommandTag() pgconn.CommandTag {
	if r.Rows == nil {
		return pgconn.CommandTag{}
	}
	return r.Rows.CommandTag()
}

func (r *pipeRows) FieldDescriptions() []pgconn.FieldDescription {
	if r.Rows == nil {
		return nil
	}
	return r.Rows.FieldDescriptions()
}

func (r *pipeRows) Scan(dest ...any) error {
	if r.Rows == nil {
		return r.err
	}
	return r.Rows.Scan(dest...)
}

func (r *pipeRows) Values() ([]any, error) {
	if r.Rows == nil {
		return nil, r.err
	}
	return r.Rows.Values()
}

func (r *pipeRows) RawValues() [][]byte {
	if r.Rows == nil {
		return nil
	}
	return r.Rows.RawValues()
}

func (r *pipeRows) Conn() *pgx.Conn { return r.pl.c.Conn() }

// finish closes the rows once, and passes the connection on.
func (r *pipeRows) finish() {
	if r.closed {
		return
	}
	r.closed = true
	var tag pgconn.CommandTag
	if r.Rows != nil {
		r.Rows.Close()
		tag = r.Rows.CommandTag()
		if err := r.Rows.Err(); err != nil {
			r.err = err
		}
	}
	pl := r.pl
	pl.end(r.pc, tag, r.err)
	if r.err != nil {
		r.err = pl.p.failed(pl.c.Conn(), r.pc.sql, r.err)
	}
	pl.done()
}

// pipeRow is a call's row in a pipeline: its Scan reads the result, then
// passes the connection on.
type pipeRow struct {
	pl *pipeline
	i  int
}

func (r *pipeRow) Scan(dest ...any) error {
	pl := r.pl
	pc := pl.calls[r.i]
	err := pl.read(pc, dest)
	pl.done()
	return err
}

// read reads pc's result into dest, as pgx's QueryRow would.
func (pl *pipeline) read(pc *pipeCall, dest []any) error {
	if !pc.sent {
		return pc.err
	}
	conn := pl.c.Conn()
	err := pl.scan(conn, dest)
	pl.end(pc, pgconn.CommandTag{}, err)
	if err != nil {
		err = pl.p.failed(conn, pc.sql, err)
	}
	return err
}

// scan reads the next result of the pipeline into dest.
func (pl *pipeline) scan(conn *pgx.Conn, dest []any) error {
	rr, err := pl.result()
	if err != nil {
		return err
	}
	rows := pgx.RowsFromResultReader(conn.TypeMap(), rr)
	defer rows.Close()
	for _, d := range dest {
		if _, ok := d.(*pgtype.DriverBytes); ok {
			return errors.New("cannot scan into *pgtype.DriverBytes from QueryRow")
		}
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// sync reads the Sync that ends a sent call.
func (pl *pipeline) sync() {
	for pl.err == nil {
		res, err := pl.pl.GetResults()
		if err != nil {
			pl.fail(err)
			continue
		}
		if _, ok := res.(*pgconn.PipelineSync); ok || res == nil {
			return
		}
		if rr, ok := res.(*pgconn.ResultReader); ok {
			// A result a failed Scan left (DriverBytes): drop it.
			_, _ = rr.Close()
		}
	}
}

// fail records err when it is a failure of the connection rather than of
// one statement.
func (pl *pipeline) fail(err error) {
	if _, ok := errors.AsType[*pgconn.PgError](err); !ok {
		pl.err = err
	}
}

// done passes the turn to the next call, or, after the last, ends the
// pipeline and gives the connection back.
func (pl *pipeline) done() {
	pl.turn++
	if pl.turn < len(pl.calls) {
		pl.s.busy.Add(-1)
		pl.waiters[pl.turn-1].ready <- grant{turn: pl}
		return
	}
	if err := pl.pl.Close(); err != nil && pl.err == nil {
		pl.err = err
	}
	release(pl.c, pl.s)
}
