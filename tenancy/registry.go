package tenancy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnknownTenant is returned by [Registry.Lookup] for an id that has no row
// in the registry table, including an id that is not valid at all (that
// error also matches [ErrInvalidTenantID]). tenanthttp.Middleware answers it
// with 404.
// Test with errors.Is.
var ErrUnknownTenant = errors.New("tenancy: unknown tenant")

// errLookupAborted is what callers sharing a registry query get when the
// caller running it panicked.
var errLookupAborted = errors.New("tenancy: tenant lookup aborted")

// Registry defaults: the contract's registry table and a cache lifetime short
// enough that a dropped tenant stops resolving within a minute on every
// process, without a query per request.
const (
	defaultRegistrySchema = "public"
	defaultRegistryTable  = "tenants"
	defaultTTL            = time.Minute
)

// Registry maps tenant ids to [Tenant] values by reading the shared tenants
// table (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL), and caches
// what it finds. It is safe for concurrent use.
type Registry struct {
	db    DBTX
	query string
	// control is the server of a row without one, with [WithPlacement];
	// "" when the registry reads no placement.
	control string
	table   string // quoted, for messages
	ttl     time.Duration
	now     func() time.Time

	mu       sync.Mutex
	cache    map[string]cacheEntry
	inflight map[string]*lookupCall
}

type cacheEntry struct {
	t       Tenant
	expires time.Time
}

// lookupCall is one registry query shared by concurrent lookups of the same
// id, so that a burst of requests for a tenant whose entry just expired
// costs one round trip.
type lookupCall struct {
	done chan struct{}
	t    Tenant
	err  error
	// stale is set (under Registry.mu) when Invalidate runs during the
	// query: its answer may predate the change, so it is not cached.
	stale bool
}

// Option configures a [Registry].
type Option func(*registryOptions)

type registryOptions struct {
	schema, table string
	control       string
	ttl           time.Duration
}

// WithTable reads tenants from schema.table instead of "public"."tenants".
// Both names are quoted, never interpolated raw.
func WithTable(schema, table string) Option {
	return func(o *registryOptions) { o.schema, o.table = schema, table }
}

// WithPlacement makes the registry read each tenant's server from the
// registry table's server column (which `tenantc migrate apply` adds when
// tenantc.yaml lists servers), so that [Tenant.Server] says where the
// tenant lives; a row whose server is NULL — registered before the fleet
// had several servers — is on control, the control server. A [Fleet]
// opens its registry with it.
func WithPlacement(control string) Option {
	return func(o *registryOptions) { o.control = control }
}

// WithTTL sets how long a looked-up tenant stays cached (default one minute).
// Zero or less disables the cache: every Lookup queries the table.
func WithTTL(d time.Duration) Option {
	return func(o *registryOptions) { o.ttl = d }
}

// NewRegistry returns a Registry reading the tenants table through db.
func NewRegistry(db DBTX, opts ...Option) *Registry {
	o := registryOptions{schema: defaultRegistrySchema, table: defaultRegistryTable, ttl: defaultTTL}
	for _, opt := range opts {
		opt(&o)
	}
	table := pgx.Identifier{o.schema, o.table}.Sanitize()
	query := "SELECT schema_name FROM " + table + " WHERE id = $1"
	if o.control != "" {
		query = "SELECT schema_name, coalesce(server, $2) FROM " + table + " WHERE id = $1"
	}
	return &Registry{
		db:       db,
		query:    query,
		control:  o.control,
		table:    table,
		ttl:      o.ttl,
		now:      time.Now,
		cache:    make(map[string]cacheEntry),
		inflight: make(map[string]*lookupCall),
	}
}

// Lookup returns the tenant with the given id.
//
// An id that fails [ValidateTenantID] is rejected without a query, with an
// error matching both [ErrUnknownTenant] and [ErrInvalidTenantID]; an id
// with no row gives [ErrUnknownTenant]. A schema_name in the table that
// fails [ValidateSchemaName] is an error too (matching
// [ErrInvalidSchemaName]), so a bad row can never reach SQL text. Found
// tenants are cached for the registry's TTL; concurrent lookups of one id
// share one query.
func (r *Registry) Lookup(ctx context.Context, id string) (Tenant, error) {
	if err := ValidateTenantID(id); err != nil {
		return Tenant{}, fmt.Errorf("tenancy: look up tenant: %w: %w", ErrUnknownTenant, err)
	}
	for {
		r.mu.Lock()
		if e, ok := r.cache[id]; ok {
			if r.now().Before(e.expires) {
				r.mu.Unlock()
				return e.t, nil
			}
			delete(r.cache, id)
		}
		c, shared := r.inflight[id]
		if !shared {
			c = &lookupCall{done: make(chan struct{})}
			r.inflight[id] = c
		}
		r.mu.Unlock()

		if !shared {
			r.load(ctx, id, c)
			return c.t, c.err
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			return Tenant{}, fmt.Errorf("tenancy: look up tenant %q: %w", id, context.Cause(ctx))
		}
		// The query ran under another caller's context; if that one was
		// cancelled, this caller is still live and tries again itself.
		if c.err != nil && ctx.Err() == nil &&
			(errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded)) {
			continue
		}
		return c.t, c.err
	}
}

// load runs the registry query for id, publishes the result to c and to the
// cache, and wakes the callers waiting on c.
func (r *Registry) load(ctx context.Context, id string, c *lookupCall) {
	// Deferred, so that waiters are released even if the DBTX panics.
	c.err = errLookupAborted
	defer func() {
		r.mu.Lock()
		if r.inflight[id] == c {
			delete(r.inflight, id)
		}
		if c.err == nil && r.ttl > 0 && !c.stale {
			r.cache[id] = cacheEntry{t: c.t, expires: r.now().Add(r.ttl)}
		}
		r.mu.Unlock()
		close(c.done)
	}()
	c.t, c.err = r.fetch(ctx, id)
}

// fetch reads id's row from the registry table.
func (r *Registry) fetch(ctx context.Context, id string) (Tenant, error) {
	var schema, server string
	var err error
	if r.control != "" {
		err = r.db.QueryRow(ctx, r.query, id, r.control).Scan(&schema, &server)
	} else {
		err = r.db.QueryRow(ctx, r.query, id).Scan(&schema)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, fmt.Errorf("tenancy: look up tenant %q: %w", id, ErrUnknownTenant)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") {
		// undefined_table, invalid_schema_name: a registry configured for
		// another table than the one migrations created.
		return Tenant{}, fmt.Errorf("tenancy: look up tenant %q: registry table %s does not exist "+
			"(NewRegistry reads \"public\".\"tenants\" unless given WithTable; the generated NewRegistry reads tenantc.yaml's): %w",
			id, r.table, err)
	}
	if errors.As(err, &pgErr) && pgErr.Code == "42703" && r.control != "" {
		// undefined_column: a registry from before the fleet had servers.
		return Tenant{}, fmt.Errorf("tenancy: look up tenant %q: registry table %s has no server column "+
			"(run tenantc migrate apply with servers in tenantc.yaml): %w", id, r.table, err)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenancy: look up tenant %q: %w", id, err)
	}
	t, err := newTenant(id, schema)
	if err != nil {
		return Tenant{}, fmt.Errorf("tenancy: look up tenant %q: registry row: %w", id, err)
	}
	t.server = server
	return t, nil
}

// Invalidate drops id from the cache, so that the next Lookup reads the
// table. Call it after changing or deleting the tenant's row; other
// processes see the change when their entry expires (the TTL).
//
// A tenant dropped while another process still has it cached is safe: its
// statements name its own, now missing, schema and fail (SQLSTATE 42P01 or
// 3F000, the message naming the schema); they never fall back to another
// schema, because the runtime does not use search_path. The one way a stale
// entry could reach other rows is a schema name given to a different tenant
// id within the TTL; the default name pattern (tenant_{id}) never does that,
// so keep an explicitly chosen schema name unique to its id.
func (r *Registry) Invalidate(id string) {
	r.mu.Lock()
	delete(r.cache, id)
	if c, ok := r.inflight[id]; ok {
		c.stale = true
		delete(r.inflight, id)
	}
	r.mu.Unlock()
}

// InvalidateAll empties the cache, so that every next Lookup reads the
// table: after a bulk change such as a restore, or when a process learns
// of drops it did not make itself.
func (r *Registry) InvalidateAll() {
	r.mu.Lock()
	clear(r.cache)
	for id, c := range r.inflight {
		c.stale = true
		delete(r.inflight, id)
	}
	r.mu.Unlock()
}
