package migratedev

import (
	"io/fs"
	"log/slog"

	"github.com/tenantc/tenantc/migrate"
)

// Each operation takes its own option type, as in package migrate, so
// that an option passed to an operation it does not concern does not
// compile. An option several operations take implements each of their
// types.

// DiffOption configures [Diff].
type DiffOption interface {
	setter
	diffOption()
}

// LintOption configures [Lint].
type LintOption interface {
	setter
	lintOption()
}

// DriftOption configures [Drift].
type DriftOption interface {
	setter
	driftOption()
}

// Option is an option that every operation takes: [WithLogger] and
// [WithDevURL].
type Option func(*options)

func (f Option) set(o *options) { f(o) }
func (Option) diffOption()      {}
func (Option) lintOption()      {}
func (Option) driftOption()     {}

// ReadOption is an option of the operations that only read the migration
// directories, [Lint] and [Drift]: [WithMigrationsFS]. [Diff] writes them
// on disk.
type ReadOption func(*options)

func (f ReadOption) set(o *options) { f(o) }
func (ReadOption) lintOption()      {}
func (ReadOption) driftOption()     {}

type diffOnly func(*options)

func (f diffOnly) set(o *options) { f(o) }
func (diffOnly) diffOption()      {}

type lintOnly func(*options)

func (f lintOnly) set(o *options) { f(o) }
func (lintOnly) lintOption()      {}

type driftOnly func(*options)

func (f driftOnly) set(o *options) { f(o) }
func (driftOnly) driftOption()     {}

type setter interface{ set(*options) }

type options struct {
	devURL           string
	renames          []rename
	allowDestructive bool
	version          string
	log              *slog.Logger
	tenants          []string
	fsys             fs.FS
	latest           int
	pool             migrate.DB      // Lint's parameter
	servers          migrate.Servers // LintServers' parameter
	err              error
}

func newOptions[O setter](opts []O) *options {
	o := &options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt.set(o)
	}
	return o
}

// WithLogger sets the logger for debug output; the default discards it.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithDevURL sets the dev database that states are replayed on, overriding
// the config's migrations.dev_url. The server must let tenantc create and
// drop databases.
func WithDevURL(url string) Option { return func(o *options) { o.devURL = url } }

// WithTenants limits [Drift] to the given tenant ids.
func WithTenants(ids ...string) DriftOption {
	return driftOnly(func(o *options) { o.tenants = append(o.tenants, ids...) })
}

// WithMigrationsFS makes [Lint] and [Drift] read the migration
// directories from fsys (holding shared/ and tenant/) instead of
// migrations.dir on disk, as [migrate.WithMigrationsFS] does for apply.
func WithMigrationsFS(fsys fs.FS) ReadOption { return func(o *options) { o.fsys = fsys } }
