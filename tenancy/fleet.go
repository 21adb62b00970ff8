package tenancy

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUnknownServer is returned by every call through a [Conn] from
// [Fleet.Bind] for a tenant that the registry places on a server the
// Fleet was not opened with, before anything is sent. Test with errors.Is.
var ErrUnknownServer = errors.New("tenancy: tenant is on a server the fleet does not have")

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
// lookup in this process read the new placement.
type Fleet struct {
	names   []string // in the order given, control first
	pools   map[string]*Pool
	control *Pool
	reg     *Registry
}

// FleetOption configures a [Fleet].
type FleetOption func(*fleetOptions)

type fleetOptions struct {
	pool []PoolOption
	reg  []Option
}

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
	return f, nil
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
// names it and wraps [ErrUnknownServer].
func (f *Fleet) Bind(t Tenant) Conn {
	if t.IsZero() {
		return Conn{}
	}
	if t.server == "" {
		return f.control.Bind(t)
	}
	p, ok := f.pools[t.server]
	if !ok {
		return Conn{db: errDB{fmt.Errorf("tenancy: tenant %q is on server %q: %w", t.id, t.server, ErrUnknownServer)}, t: t}
	}
	return p.Bind(t)
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

// Close closes every server's Pool.
func (f *Fleet) Close() {
	for _, p := range f.pools {
		p.Close()
	}
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
)
