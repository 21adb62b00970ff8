// Package tenanttest gives tests of a tenantc application a migrated,
// throwaway PostgreSQL database with tenants in it, in three lines:
//
//	func TestMain(m *testing.M) { tenanttest.Main(m) } // stops the server at exit
//
//	func TestOrders(t *testing.T) {
//		env := tenanttest.New(t, tenanttest.WithTenants("acme", "globex"))
//		q := db.NewTenant(env.Conn("acme"))
//		...
//	}
//
// [New] starts one PostgreSQL server per test binary on first use (from
// the server binaries installed on the machine; initdb into a temporary
// directory, durability off, loopback only), or uses the server at
// $TENANTC_TEST_DATABASE_URL, a postgres:// URL of a role that may create
// databases. Each Env gets its own database, dropped when the test ends,
// with the shared and tenant migrations applied ([migrate.Apply]) and the
// requested tenants created ([migrate.CreateTenant]). Without PostgreSQL the
// test is skipped, or fails when CI=true.
package tenanttest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/tenancy"
)

// setupTimeout bounds migrating a fresh database and creating its tenants.
const setupTimeout = 2 * time.Minute

// Main runs the tests of m and then stops the server that [New] started,
// removing its directory. Use it as the whole body of TestMain.
func Main(m *testing.M) { pgtest.Main(m) }

// Env is a migrated database of one test, with its tenants.
type Env struct {
	// URL is a postgres:// URL of the database, for a second pool or a
	// child process.
	URL string
	// Pool is a [tenancy.Pool] on the database, as an application opens
	// it, closed when the test ends.
	Pool *tenancy.Pool
	// Config is the tenantc configuration the database was migrated with.
	Config *config.Config
	// Registry reads the database's tenant registry; [Env.CreateTenant]
	// and [Env.DropTenant] invalidate it.
	Registry *tenancy.Registry

	tb          testing.TB
	migrateOpts []migrate.Option
}

// Option configures [New].
type Option func(*options)

type options struct {
	cfg         *config.Config
	cfgFile     string
	tenants     []string
	migrateOpts []migrate.Option
	pool        []func(*pgxpool.Config)
	poolOpts    []tenancy.PoolOption
}

// WithConfig migrates with cfg, for example one built in code. Without it
// or [WithConfigFile], New loads the nearest tenantc.yaml, looking in the
// test's working directory (its package directory) and then its parents.
func WithConfig(cfg *config.Config) Option { return func(o *options) { o.cfg = cfg } }

// WithConfigFile loads the configuration from path.
func WithConfigFile(path string) Option { return func(o *options) { o.cfgFile = path } }

// WithTenants creates tenants with the given ids, in order.
func WithTenants(ids ...string) Option {
	return func(o *options) { o.tenants = append(o.tenants, ids...) }
}

// WithTenantCount creates n tenants named t1 … tn.
func WithTenantCount(n int) Option {
	return func(o *options) {
		for i := 1; i <= n; i++ {
			o.tenants = append(o.tenants, fmt.Sprintf("t%d", i))
		}
	}
}

// WithMigrationsFS applies the migrations in fsys (holding shared/ and
// tenant/, as [migrate.WithMigrationsFS] reads them), for an app that embeds
// its migrations.
func WithMigrationsFS(fsys fs.FS) Option {
	return WithMigrateOptions(migrate.WithMigrationsFS(fsys))
}

// WithMigrateOptions passes opts to every [migrate.Apply] and
// [migrate.CreateTenant] call of the Env.
func WithMigrateOptions(opts ...migrate.Option) Option {
	return func(o *options) { o.migrateOpts = append(o.migrateOpts, opts...) }
}

// WithPoolConfig adjusts the configuration of [Env.Pool] before it
// connects, for example to set an exec mode or a tracer.
func WithPoolConfig(f func(*pgxpool.Config)) Option {
	return func(o *options) { o.pool = append(o.pool, f) }
}

// WithPoolOptions opens [Env.Pool] with opts, for example
// [tenancy.WithPlanMemory].
func WithPoolOptions(opts ...tenancy.PoolOption) Option {
	return func(o *options) { o.poolOpts = append(o.poolOpts, opts...) }
}

// New creates a fresh database, applies the migrations, creates the tenants
// of [WithTenants] and returns the Env. Everything is dropped when tb's
// test ends. Any failure fails tb.
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg := o.cfg
	if cfg == nil {
		var err error
		if cfg, err = loadConfig(o.cfgFile); err != nil {
			tb.Fatalf("tenanttest: %v", err)
		}
	}
	url := pgtest.NewDatabase(tb)
	pool := connect(tb, url, o)
	env := &Env{
		URL:         url,
		Pool:        pool,
		Config:      cfg,
		Registry:    tenancy.NewRegistry(pool, tenancy.WithTable(cfg.SharedSchema, cfg.Registry.Table)),
		tb:          tb,
		migrateOpts: o.migrateOpts,
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := migrate.Apply(ctx, pool, cfg, each[migrate.ApplyOption](o.migrateOpts)...); err != nil {
		tb.Fatalf("tenanttest: apply migrations: %v", err)
	}
	for _, id := range o.tenants {
		env.CreateTenant(id)
	}
	return env
}

// connect opens the Env's pool, closed when tb's test ends.
func connect(tb testing.TB, url string, o options) *tenancy.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatalf("tenanttest: parse %s: %v", url, err)
	}
	for _, f := range o.pool {
		f(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	pool, err := tenancy.NewPool(ctx, cfg, o.poolOpts...)
	if err != nil {
		tb.Fatalf("tenanttest: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// loadConfig loads path, or the nearest tenantc.yaml when path is empty.
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("find tenantc.yaml: %w", err)
	}
	for {
		p := filepath.Join(dir, "tenantc.yaml")
		cfg, err := config.Load(p)
		if !errors.Is(err, config.ErrNotFound) {
			return cfg, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no tenantc.yaml in the test's directory or its parents (use WithConfig or WithConfigFile)")
		}
		dir = parent
	}
}

// CreateTenant creates tenant id with [migrate.CreateTenant] (the Env's
// migrate options first, then opts) and returns it as the registry reads it.
func (e *Env) CreateTenant(id string, opts ...migrate.CreateOption) tenancy.Tenant {
	e.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	all := append(each[migrate.CreateOption](e.migrateOpts), opts...)
	if _, err := migrate.CreateTenant(ctx, e.Pool, e.Config, id, all...); err != nil {
		e.tb.Fatalf("tenanttest: %v", err)
	}
	e.Registry.Invalidate(id)
	return e.Tenant(id)
}

// DropTenant drops tenant id with [migrate.DropTenant].
func (e *Env) DropTenant(id string) {
	e.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := migrate.DropTenant(ctx, e.Pool, e.Config, id, each[migrate.DropOption](e.migrateOpts)...); err != nil {
		e.tb.Fatalf("tenanttest: %v", err)
	}
	e.Registry.Invalidate(id)
}

// Tenant returns tenant id from the registry; it fails the test when there
// is none.
func (e *Env) Tenant(id string) tenancy.Tenant {
	e.tb.Helper()
	t, err := e.Registry.Lookup(context.Background(), id)
	if err != nil {
		e.tb.Fatalf("tenanttest: %v", err)
	}
	return t
}

// Conn returns [Env.Pool] bound to tenant id, for the generated
// NewTenant.
func (e *Env) Conn(id string) tenancy.Conn {
	e.tb.Helper()
	return e.Pool.Bind(e.Tenant(id))
}

// Context returns a context carrying tenant id, as tenanthttp.Middleware
// gives handlers, for code that reads the tenant with
// [tenancy.FromContext] or [tenancy.ConnFromContext].
func (e *Env) Context(id string) context.Context {
	e.tb.Helper()
	return tenancy.NewContext(context.Background(), e.Tenant(id))
}

// each is opts as the option type of one migrate operation: every
// [migrate.Option] implements every operation's option type.
func each[O any](opts []migrate.Option) []O {
	out := make([]O, 0, len(opts))
	for _, o := range opts {
		out = append(out, any(o).(O))
	}
	return out
}
