package tenancy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUnknownServer is returned by every call through a [Conn] from
// [Fleet.Bind] for a tenant that the registry places on a server the
// Fleet was not opened with, before anything is sent. Test with errors.Is.
var ErrUnknownServer = errors.New("tenancy: tenant is on a server the fleet does not have")

// ErrTenantMoved is wrapped by the error of a call through a [Conn] from
// [Fleet.Bind] (or of a transaction it began) that failed because the
// tenant's schema is no longer on the server the Conn was bound to: the
// tenant was moved (`tenantc tenant move`) after it was looked up. The
// Fleet has already dropped the stale placement from its registry, so
// look the tenant up again, bind and retry the call — or the whole
// transaction, which the server has aborted; the Fleet retries nothing
// itself. The error also wraps the server's own (SQLSTATE 42P01 or
// 3F000). Test with errors.Is.
var ErrTenantMoved = errors.New("tenancy: tenant moved to another server; look it up again and retry")

// RegistryChannel is the PostgreSQL notification channel on which
// `tenantc tenant move` announces, on the control server, the id of a
// tenant whose registry row changed. A [Fleet] opened [WithListen] drops
// that tenant's cached placement when the notification arrives.
const RegistryChannel = "tenantc_registry"

// movedWait bounds how long a call that found its tenant's schema gone
// waits for the registry to name the new server: a move renames the
// source schema, then updates the registry row in a second transaction
// on the control server, a few milliseconds later.
const movedWait = 2 * time.Second

// Server is one PostgreSQL server of a [Fleet]: its name, as in
// tenantc.yaml's servers and the registry's server column, and the
// configuration of its pool.
type Server struct {
	Name   string
	Config *pgxpool.Config
}

// Fleet is the connection pool of an application whose tenants live on
// several PostgreSQL servers: one [Pool] per server, and a [Registry] on
// the control server (the first) that says where each tenant lives.
//
//	fleet, err := tenancy.NewFleet(ctx, []tenancy.Server{
//		{Name: "main", Config: mainCfg}, // control: registry, shared writes
//		{Name: "eu", Config: euCfg},
//	})
//	t, err := fleet.Registry().Lookup(ctx, "acme") // t.Server() == "eu"
//	q := db.NewTenant(fleet.Bind(t))               // runs on eu's Pool
//	shared := db.New(fleet)                        // runs on main
//
// A tenant's calls go to its server's Pool, with that Pool's affinity and
// statement cache. Shared statements — the Fleet's own Exec, Query,
// Begin, … and so db.New(fleet) — run on the control server. [Bind],
// [ConnFromContext] and tenanthttp.Middleware work on a Fleet as on a Pool.
//
// The placement travels in the [Tenant], cached by the Registry for its
// TTL; after a tenant changes server, [Fleet.Invalidate] makes the next
// lookup in this process read the new placement. A Fleet fails safe when
// a tenant moved under a cached placement: the move renames the tenant's
// schema on the old server, so a statement bound there fails, and the
// Fleet then re-reads the registry and returns an error wrapping
// [ErrTenantMoved] (retry after a new lookup). [WithListen] drops moved
// tenants from the cache as soon as the move announces them.
type Fleet struct {
	names   []string // in the order given, control first
	pools   map[string]*Pool
	control *Pool
	reg     *Registry
	// stop ends the listener of WithListen, and done is closed when it
	// has returned.
	stop func()
	done chan struct{}
}

// FleetOption configures a [Fleet].
type FleetOption func(*fleetOptions)

type fleetOptions struct {
	pool   []PoolOption
	reg    []Option
	listen bool
}

// WithListen makes the Fleet keep a connection to the control server that
// LISTENs on [RegistryChannel] and drops each announced tenant's cached
// placement, so that this process follows a `tenantc tenant move` at
// once instead of at its first failed call or when the TTL ends. The
// connection is opened with the control server's configuration, outside
// its Pool, and opened again after a failure (the cache is then emptied,
// since announcements may have been missed); [Fleet.Close] closes it. It
// needs a session of its own: through PgBouncer in transaction mode,
// point it at the server directly or leave it off.
func WithListen() FleetOption { return func(o *fleetOptions) { o.listen = true } }

// WithPoolOptions sets the options of every server's [Pool].
func WithPoolOptions(opts ...PoolOption) FleetOption {
	return func(o *fleetOptions) { o.pool = append(o.pool, opts...) }
}

// WithRegistryOptions sets the options of the Fleet's [Registry] (the
// table, TTL, logger); [WithPlacement] is always added.
func WithRegistryOptions(opts ...Option) FleetOption {
	return func(o *fleetOptions) { o.reg = append(o.reg, opts...) }
}

// NewFleet opens a [Pool] on each of servers, the first being the control
// server, which holds the registry. Server names must be unique and not
// empty. Opening fails as a whole, naming the server, when one pool cannot
// be opened; a server that goes down later fails only its tenants' calls.
func NewFleet(ctx context.Context, servers []Server, opts ...FleetOption) (*Fleet, error) {
	if len(servers) == 0 {
		return nil, errors.New("tenancy: new fleet: no servers")
	}
	var o fleetOptions
	for _, opt := range opts {
		opt(&o)
	}
	f := &Fleet{pools: make(map[string]*Pool, len(servers))}
	for _, s := range servers {
		if s.Name == "" {
			f.Close()
			return nil, errors.New("tenancy: new fleet: a server has no name")
		}
		if _, dup := f.pools[s.Name]; dup {
			f.Close()
			return nil, fmt.Errorf("tenancy: new fleet: server %q given twice", s.Name)
		}
		p, err := NewPool(ctx, s.Config, o.pool...)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("tenancy: new fleet: server %q: %w", s.Name, err)
		}
		f.names = append(f.names, s.Name)
		f.pools[s.Name] = p
	}
	f.control = f.pools[f.names[0]]
	f.reg = NewRegistry(f.control, append(o.reg[:len(o.reg):len(o.reg)], WithPlacement(f.names[0]))...)
	if o.listen {
		ctx, cancel := context.WithCancel(context.Background())
		f.stop, f.done = cancel, make(chan struct{})
		go f.listen(ctx, f.control.Config().ConnConfig)
	}
	return f, nil
}

// listen is the loop of [WithListen]: it listens on the control server
// until ctx ends, reconnecting after a failure.
func (f *Fleet) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(f.done)
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		if f.listenOnce(ctx, cfg) {
			delay = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// listenOnce opens one listening connection and invalidates announced
// tenants until it fails; it reports whether it listened at all.
func (f *Fleet) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) bool {
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return false
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{RegistryChannel}.Sanitize()); err != nil {
		return false
	}
	// Announcements made while no connection listened are lost.
	f.reg.InvalidateAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		if n.Payload == "" {
			f.reg.InvalidateAll()
		} else {
			f.reg.Invalidate(n.Payload)
		}
	}
}

// Registry returns the Fleet's registry, on the control server, which
// reads each tenant's placement.
func (f *Fleet) Registry() *Registry { return f.reg }

// Invalidate drops id's cached placement, so that this process's next
// lookup reads the registry: call it after the tenant changed server.
// Conns bound before keep their server.
func (f *Fleet) Invalidate(id string) { f.reg.Invalidate(id) }

// Servers returns the server names, the control server first.
func (f *Fleet) Servers() []string { return append([]string(nil), f.names...) }

// Pool returns the Pool of the server called name.
func (f *Fleet) Pool(name string) (*Pool, bool) {
	p, ok := f.pools[name]
	return p, ok
}

// Control returns the control server's Pool.
func (f *Fleet) Control() *Pool { return f.control }

// Bind returns a [Conn] that runs t's statements on the Pool of t's
// server ([Tenant.Server]; the control server for a tenant without one).
// With the zero Tenant it returns the unbound zero Conn. For a server the
// Fleet does not have, every call of the Conn fails with an error that
// names it and wraps [ErrUnknownServer]. A call that fails because t's
// schema has left the server (SQLSTATE 42P01 or 3F000, and the schema is
// gone) re-reads t's placement and, when t is now on another server,
// returns an error wrapping [ErrTenantMoved].
func (f *Fleet) Bind(t Tenant) Conn {
	if t.IsZero() {
		return Conn{}
	}
	p, ok := f.pools[f.serverOf(t)]
	if !ok {
		return Conn{db: errDB{fmt.Errorf("tenancy: tenant %q is on server %q: %w", t.id, t.server, ErrUnknownServer)}, t: t}
	}
	return Conn{db: fleetDB{f: f, c: p.Bind(t)}, t: t}
}

// serverOf is the name of t's server: the control server for a tenant
// without one.
func (f *Fleet) serverOf(t Tenant) string {
	if t.server == "" {
		return f.names[0]
	}
	return t.server
}

// moved turns err, the error of a statement of t bound to t's server, into
// one wrapping ErrTenantMoved when t's schema is gone from that server
// and the registry now places t elsewhere. A move renames the schema
// before it updates the registry row, so a statement that failed in
// between waits for the update (movedWait at most). Any other error, or
// a schema still there (a table missing for another reason), is returned
// as it is.
func (f *Fleet) moved(ctx context.Context, t Tenant, err error) error {
	var pgErr *pgconn.PgError
	if err == nil || !errors.As(err, &pgErr) || (pgErr.Code != "42P01" && pgErr.Code != "3F000") || errors.Is(err, ErrTenantMoved) {
		return err
	}
	was := f.serverOf(t)
	deadline := time.Now().Add(movedWait)
	for delay, first := 5*time.Millisecond, true; ; delay, first = min(2*delay, 100*time.Millisecond), false {
		f.reg.Invalidate(t.id)
		now, lerr := f.reg.Lookup(ctx, t.id)
		if lerr != nil {
			return err
		}
		if f.serverOf(now) != was {
			return fmt.Errorf("tenancy: tenant %q moved from server %q to %q: %w: %w", t.id, was, f.serverOf(now), ErrTenantMoved, err)
		}
		if first {
			var gone bool
			if qerr := f.pools[was].QueryRow(ctx, "SELECT to_regnamespace($1) IS NULL", pgx.Identifier{t.schema}.Sanitize()).Scan(&gone); qerr != nil || !gone {
				return err
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
	}
}

// Exec runs a shared statement on the control server.
func (f *Fleet) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	return f.control.Exec(ctx, sql, arguments...)
}

// Query runs a shared statement on the control server.
func (f *Fleet) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return f.control.Query(ctx, sql, args...)
}

// QueryRow runs a shared statement on the control server.
func (f *Fleet) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return f.control.QueryRow(ctx, sql, args...)
}

// CopyFrom copies rows into a shared table on the control server.
func (f *Fleet) CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	return f.control.CopyFrom(ctx, tableName, columnNames, rowSrc)
}

// SendBatch sends b to the control server.
func (f *Fleet) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return f.control.SendBatch(ctx, b)
}

// Begin starts a transaction on the control server. For a tenant's
// transaction use [Conn.Begin] on a Conn from [Fleet.Bind].
func (f *Fleet) Begin(ctx context.Context) (pgx.Tx, error) { return f.control.Begin(ctx) }

// Acquire takes a connection of the control server.
func (f *Fleet) Acquire(ctx context.Context) (*pgxpool.Conn, error) { return f.control.Acquire(ctx) }

// Config returns the control server's pool configuration.
func (f *Fleet) Config() *pgxpool.Config { return f.control.Config() }

// Ping checks every server, and names the first that does not answer.
func (f *Fleet) Ping(ctx context.Context) error {
	for _, name := range f.names {
		if err := f.pools[name].Ping(ctx); err != nil {
			return fmt.Errorf("tenancy: server %q: %w", name, err)
		}
	}
	return nil
}

// Close closes every server's Pool, and the listening connection of
// [WithListen].
func (f *Fleet) Close() {
	if f.stop != nil {
		f.stop()
		<-f.done
	}
	for _, p := range f.pools {
		p.Close()
	}
}

// fleetDB is the database of a Conn from [Fleet.Bind]: the tenant's Conn
// on its server's Pool, with errors passed through [Fleet.moved].
type fleetDB struct {
	f *Fleet
	c Conn
}

func (d fleetDB) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	tag, err := d.c.Exec(ctx, sql, arguments...)
	return tag, d.f.moved(ctx, d.c.t, err)
}

func (d fleetDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := d.c.Query(ctx, sql, args...)
	if err != nil {
		err = d.f.moved(ctx, d.c.t, err)
		return errRows{err}, err
	}
	return &fleetRows{Rows: rows, ctx: ctx, d: d}, nil
}

func (d fleetDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return fleetRow{row: d.c.QueryRow(ctx, sql, args...), ctx: ctx, d: d}
}

func (d fleetDB) CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	n, err := d.c.CopyFrom(ctx, tableName, columnNames, rowSrc)
	return n, d.f.moved(ctx, d.c.t, err)
}

func (d fleetDB) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return &fleetBatch{BatchResults: d.c.SendBatch(ctx, b), ctx: ctx, d: d}
}

func (d fleetDB) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := d.c.Begin(ctx)
	if err != nil {
		return nil, d.f.moved(ctx, d.c.t, err)
	}
	return &fleetTx{Tx: tx, d: d}, nil
}

// fleetRows passes the error of the rows through [Fleet.moved], once.
type fleetRows struct {
	pgx.Rows
	ctx     context.Context
	d       fleetDB
	checked bool
	err     error
}

func (r *fleetRows) Err() error {
	if !r.checked {
		if err := r.Rows.Err(); err != nil {
			r.checked = true
			r.err = r.d.f.moved(r.ctx, r.d.c.t, err)
		}
		return r.err
	}
	return r.err
}

type fleetRow struct {
	row pgx.Row
	ctx context.Context
	d   fleetDB
}

func (r fleetRow) Scan(dest ...any) error {
	return r.d.f.moved(r.ctx, r.d.c.t, r.row.Scan(dest...))
}

type fleetBatch struct {
	pgx.BatchResults
	ctx context.Context
	d   fleetDB
}

func (b *fleetBatch) Exec() (pgconn.CommandTag, error) {
	tag, err := b.BatchResults.Exec()
	return tag, b.d.f.moved(b.ctx, b.d.c.t, err)
}

func (b *fleetBatch) Query() (pgx.Rows, error) {
	rows, err := b.BatchResults.Query()
	return rows, b.d.f.moved(b.ctx, b.d.c.t, err)
}

func (b *fleetBatch) QueryRow() pgx.Row {
	return fleetRow{row: b.BatchResults.QueryRow(), ctx: b.ctx, d: b.d}
}

func (b *fleetBatch) Close() error { return b.d.f.moved(b.ctx, b.d.c.t, b.BatchResults.Close()) }

// fleetTx is a transaction of a Conn from [Fleet.Bind]: a statement that
// fails because the tenant moved wraps [ErrTenantMoved], and the
// transaction is aborted, to be retried whole by the caller.
type fleetTx struct {
	pgx.Tx
	d fleetDB
}

func (tx *fleetTx) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	tag, err := tx.Tx.Exec(ctx, sql, arguments...)
	return tag, tx.d.f.moved(ctx, tx.d.c.t, err)
}

func (tx *fleetTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := tx.Tx.Query(ctx, sql, args...)
	if err != nil {
		return rows, tx.d.f.moved(ctx, tx.d.c.t, err)
	}
	return &fleetRows{Rows: rows, ctx: ctx, d: tx.d}, nil
}

func (tx *fleetTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return fleetRow{row: tx.Tx.QueryRow(ctx, sql, args...), ctx: ctx, d: tx.d}
}

// errDB is the database of a Conn that cannot run: every call returns err.
type errDB struct{ err error }

func (e errDB) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, e.err
}
func (e errDB) Query(context.Context, string, ...any) (pgx.Rows, error) { return errRows(e), e.err }
func (e errDB) QueryRow(context.Context, string, ...any) pgx.Row        { return errRows(e) }
func (e errDB) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, e.err
}
func (e errDB) SendBatch(context.Context, *pgx.Batch) pgx.BatchResults { return errBatch(e) }
func (e errDB) Begin(context.Context) (pgx.Tx, error)                  { return nil, e.err }

var (
	_ DBTX = (*Fleet)(nil)
	_ DBTX = errDB{}
	_ DBTX = fleetDB{}
)
