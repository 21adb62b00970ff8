package tenancy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnbound is returned by every method of a [Conn] that is not bound to a
// tenant — the zero Conn, or one from [Bind] with the zero [Tenant] or a nil
// database — before anything is sent to the database. Test with errors.Is.
var ErrUnbound = errors.New("tenancy: connection is not bound to a tenant")

// DBTX is what a [Conn] runs statements on. *pgxpool.Pool, *pgx.Conn and
// pgx.Tx satisfy it, and so does Conn itself.
type DBTX interface {
	Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Conn is a [DBTX] bound to one [Tenant]. Generated tenant queries run only
// on a Conn: they build their statement text with [Conn.SQL] and pass it to
// the methods below, which hand it to the underlying DBTX unchanged.
//
// The zero Conn is unbound: every method returns [ErrUnbound] without
// touching the database. Conn is a small value; copy it freely.
type Conn struct {
	db DBTX
	t  Tenant
	// mode, when set, is the exec mode of tenant statements (see
	// [Conn.WithExecMode]).
	mode pgx.QueryExecMode
	// pool, when set, is the Pool c came from ([Pool.Bind]): calls are
	// routed to t's connections.
	pool *Pool
}

// Bind returns a Conn that runs statements for t on db. With the zero Tenant
// or a nil db it returns the unbound zero Conn.
//
// On a *[Pool], Bind is [Pool.Bind]; on a *[Fleet], [Fleet.Bind]. On a
// plain *pgxpool.Pool it is the unoptimised path: every tenant statement
// is prepared by its text on each connection, which past a few hundred
// tenants thrashes pgx's statement cache (BENCHMARKS.md measures
// 0.16–0.22× the one-tenant rate at 10,000 tenants). Use it for a *pgx.Conn or a pgx.Tx, or open a [Pool].
func Bind(db DBTX, t Tenant) Conn {
	if p, ok := db.(*Pool); ok && p != nil {
		return p.Bind(t)
	}
	if f, ok := db.(*Fleet); ok && f != nil {
		return f.Bind(t)
	}
	if db == nil || t.IsZero() {
		return Conn{}
	}
	return Conn{db: db, t: t}
}

// Tenant returns the tenant c is bound to, or the zero Tenant.
func (c Conn) Tenant() Tenant { return c.t }

// Exec runs sql on the bound database, or returns [ErrUnbound].
func (c Conn) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	if c.db == nil {
		return pgconn.CommandTag{}, ErrUnbound
	}
	if c.pool != nil {
		return c.pool.exec(ctx, c.t, sql, c.withMode(sql, arguments))
	}
	return c.db.Exec(ctx, sql, c.withMode(sql, arguments)...)
}

// Query runs sql on the bound database. When c is unbound it returns
// [ErrUnbound] and empty rows whose Err is ErrUnbound, so a deferred Close is
// safe.
func (c Conn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if c.db == nil {
		return unboundRows, ErrUnbound
	}
	if c.pool != nil {
		return c.pool.query(ctx, c.t, sql, c.withMode(sql, args))
	}
	return c.db.Query(ctx, sql, c.withMode(sql, args)...)
}

// QueryRow runs sql on the bound database. When c is unbound the returned
// row's Scan returns [ErrUnbound].
func (c Conn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if c.db == nil {
		return unboundRows
	}
	if c.pool != nil {
		return c.pool.queryRow(ctx, c.t, sql, c.withMode(sql, args))
	}
	return c.db.QueryRow(ctx, sql, c.withMode(sql, args)...)
}

// CopyFrom copies rows into tableName (see [Conn.Table]) on the bound
// database, or returns [ErrUnbound].
func (c Conn) CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	if c.db == nil {
		return 0, ErrUnbound
	}
	if c.pool != nil {
		return c.pool.copyFrom(ctx, c.t, tableName, columnNames, rowSrc)
	}
	return c.db.CopyFrom(ctx, tableName, columnNames, rowSrc)
}

// SendBatch sends b to the bound database. When c is unbound nothing is sent
// and every method of the returned results, Close included, returns
// [ErrUnbound]; callbacks queued on b are not called.
func (c Conn) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if c.db == nil {
		return unboundBatch
	}
	if c.pool != nil {
		return c.pool.sendBatch(ctx, c.t, b)
	}
	return c.db.SendBatch(ctx, b)
}

// Begin starts a transaction for c's tenant: on a Conn from [Pool.Bind], on
// one of the tenant's connections, with the Pool's prepared statements; on
// a Conn bound to another database, with that database's Begin (a
// *pgxpool.Pool, *pgx.Conn or pgx.Tx, which starts a savepoint). Bind the
// transaction with [Conn.WithTx] (the generated TenantQueries.WithTx does):
//
//	tx, err := c.Begin(ctx)
//	...
//	defer tx.Rollback(ctx)
//	qtx := db.NewTenant(c).WithTx(tx)
func (c Conn) Begin(ctx context.Context) (pgx.Tx, error) {
	if c.db == nil {
		return nil, ErrUnbound
	}
	if c.pool != nil {
		return c.pool.begin(ctx, c.t, pgx.TxOptions{})
	}
	b, ok := c.db.(interface {
		Begin(context.Context) (pgx.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("tenancy: begin: %T cannot start a transaction", c.db)
	}
	return b.Begin(ctx)
}

// WithTx returns a copy of c that runs on tx, for the same tenant and with
// the same exec mode ([Conn.WithExecMode]). A transaction from
// [Conn.Begin] on a Pool's Conn also keeps the Pool's prepared statements.
// With a nil tx, or on an unbound Conn, it returns the unbound zero Conn.
func (c Conn) WithTx(tx pgx.Tx) Conn {
	if c.db == nil || tx == nil {
		return Conn{}
	}
	return Conn{db: tx, t: c.t, mode: c.mode}
}

// SQL returns the text of s for c's tenant: the quoted schema name and a dot
// inserted at each tenant reference. It returns "" when c is unbound; the
// method that runs the text then returns [ErrUnbound].
//
// It allocates once (nothing for a statement without tenant references):
// the tenant's quoted prefix is computed when the Tenant is made.
func (c Conn) SQL(s *SQL) string {
	if c.db == nil {
		return ""
	}
	if len(s.refs) == 0 {
		return s.text
	}
	p := c.t.prefix
	var b strings.Builder
	b.Grow(len(s.text) + len(s.refs)*len(p))
	last := 0
	for _, r := range s.refs {
		b.WriteString(s.text[last:r])
		b.WriteString(p)
		last = r
	}
	b.WriteString(s.text[last:])
	return b.String()
}

// Table returns the qualified name of the tenant table name, for
// [Conn.CopyFrom]; nil when c is unbound.
func (c Conn) Table(name string) pgx.Identifier {
	if c.db == nil {
		return nil
	}
	return pgx.Identifier{c.t.schema, name}
}

// unboundRows and unboundBatch are the results of a call on an unbound
// Conn: the failed-call results of the Pool, made once, so that returning
// them allocates nothing.
var (
	unboundRows  pgx.Rows         = errRows{ErrUnbound}
	unboundBatch pgx.BatchResults = errBatch{ErrUnbound}
)

var _ DBTX = Conn{}
