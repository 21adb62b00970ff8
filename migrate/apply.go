package migrate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
)

// ErrTenantsFailed is wrapped by the error [Apply] returns when at least
// one tenant failed; the [Result] says which. Test with errors.Is.
var ErrTenantsFailed = errors.New("migrate: tenants failed")

// ErrLocked means another migrator held the advisory lock for longer than
// the lock timeout. Test with errors.Is.
var ErrLocked = errors.New("migrate: another tenantc migrate holds the migration lock")

// ErrTooManyTenants means an atomic apply was asked for more tenants than
// its limit. Test with errors.Is.
var ErrTooManyTenants = errors.New("migrate: too many tenants for an atomic apply")

// RevisionsTable is the shared table recording applied versions.
const RevisionsTable = "tenantc_revisions"

// Event is a progress report from [Apply]: one of [SharedStarted],
// [SharedDone], [TenantsPlanned], [TenantStarted], [TenantDone] and
// [TenantFailed]. Events are delivered one at a time, never concurrently.
type Event interface{ event() }

// SharedStarted is sent before pending shared migrations run.
type SharedStarted struct {
	Schema  string
	Pending []string
}

// SharedDone is sent when the shared schema is up to date.
type SharedDone struct {
	Schema   string
	Applied  []string
	Duration time.Duration
}

// TenantsPlanned is sent once the pending tenants are known.
type TenantsPlanned struct {
	Total   int // tenants in scope
	Pending int // tenants with pending migrations
}

// TenantStarted is sent when a tenant's migrations begin.
type TenantStarted struct {
	ID, Schema string
	Pending    []string
}

// TenantDone is sent when a tenant's migrations committed.
type TenantDone struct {
	ID, Schema string
	Applied    []string
	Duration   time.Duration
}

// TenantFailed is sent when a tenant's migrations failed; its failure is
// recorded in the revisions table.
type TenantFailed struct {
	ID, Schema string
	Version    string
	Err        error
}

func (SharedStarted) event()  {}
func (SharedDone) event()     {}
func (TenantsPlanned) event() {}
func (TenantStarted) event()  {}
func (TenantDone) event()     {}
func (TenantFailed) event()   {}

// WithProgress sets the func that receives [Apply]'s events.
func WithProgress(f func(Event)) ApplyOption { return applyOnly(func(o *options) { o.progress = f }) }

// WithParallel sets how many tenants are migrated at once; the default is
// the pool's size less the connection holding the lock.
func WithParallel(n int) ApplyOption { return applyOnly(func(o *options) { o.parallel = n }) }

// WithTenants limits [Apply] and [Status] to the tenants with
// these ids; an id not in the registry is an error.
func WithTenants(ids ...string) FleetOption {
	return func(o *options) { o.tenants = append(o.tenants, ids...) }
}

// WithFailFast stops starting tenants after the first failure.
func WithFailFast(b bool) ApplyOption { return applyOnly(func(o *options) { o.failFast = b }) }

// WithDryRun makes [Apply] report the pending versions per schema, and in
// [Result.Plan] the statements they hold, without changing anything.
func WithDryRun(b bool) ApplyOption { return applyOnly(func(o *options) { o.dryRun = b }) }

// WithAtomic applies every tenant in one transaction: all or none. It is
// refused above limit tenants (0 keeps the default, 100), because each
// schema's locks stay held until the commit and max_locks_per_transaction
// runs out on large fleets.
func WithAtomic(b bool, limit int) ApplyOption {
	return applyOnly(func(o *options) {
		o.atomic = b
		if limit > 0 {
			o.atomicLimit = limit
		}
	})
}

// WithLockTimeout bounds the wait for the migration lock; 0 waits for as
// long as ctx allows.
func WithLockTimeout(d time.Duration) ApplyOption {
	return applyOnly(func(o *options) { o.lockTimeout = d })
}

// Result is what [Apply] did (or, in a dry run, would do).
type Result struct {
	Shared SharedResult `json:"shared"`
	// Tenants are the tenants that had pending migrations, by id.
	Tenants []TenantResult `json:"tenants"`
	// Total is the number of tenants in scope, Failed how many failed.
	Total  int `json:"total"`
	Failed int `json:"failed"`
	// Plan is set by a dry run: the statements of every pending file,
	// which SharedResult.Pending and TenantResult.Pending name by version.
	Plan *Plan `json:"plan,omitempty"`
	// Servers are the servers of [Servers.Apply], control first, each
	// with its shared schema's result; Shared is the control server's.
	Servers []ServerResult `json:"servers,omitempty"`
}

// Plan is what a dry run of [Apply] would execute: the pending files of
// each side with their statements, in version order. A tenant file runs
// in every tenant whose Pending lists its version.
type Plan struct {
	Shared []PlannedFile `json:"shared"`
	Tenant []PlannedFile `json:"tenant"`
}

// PlannedFile is a pending migration file and its statements.
type PlannedFile struct {
	Version    string   `json:"version"`
	Name       string   `json:"name"`
	Statements []string `json:"statements"`
}

// planned returns the files of files whose version is in any of vs.
func planned(files []File, vs ...[]string) []PlannedFile {
	want := map[string]bool{}
	for _, l := range vs {
		for _, v := range l {
			want[v] = true
		}
	}
	out := []PlannedFile{}
	for _, f := range files {
		if want[f.Version] {
			out = append(out, PlannedFile{Version: f.Version, Name: f.Name, Statements: f.Stmts})
		}
	}
	return out
}

// SharedResult is the shared schema's part of a [Result].
type SharedResult struct {
	Schema  string   `json:"schema"`
	Applied []string `json:"applied"`
	Pending []string `json:"pending"`
}

// TenantResult is one tenant's part of a [Result].
type TenantResult struct {
	ID     string `json:"id"`
	Schema string `json:"schema"`
	// Server is the tenant's server, in a result of [Servers.Apply].
	Server  string   `json:"server,omitempty"`
	Applied []string `json:"applied"`
	// Pending are the versions not applied: all of them in a dry run,
	// the failed one and those after it on failure.
	Pending []string `json:"pending"`
	Error   string   `json:"error,omitempty"`
}

// Apply brings the shared schema and then every tenant schema of the
// registry up to date with the migration directories of cfg.
//
// It takes a PostgreSQL advisory lock first, so concurrent migrators run
// one after the other. Pending work is found with one query over the
// revisions table. Each tenant runs in its own transaction with a
// transaction-local search_path (tenant schema, then the shared schema);
// a tenant that fails is rolled back, its error is recorded, and the
// others go on unless [WithFailFast] is set. The error wraps
// [ErrTenantsFailed] when any tenant failed.
func Apply(ctx context.Context, pool DB, cfg *config.Config, opts ...ApplyOption) (*Result, error) {
	o := newOptions(opts)
	sharedFiles, tenantFiles, err := migrationFiles(cfg, o)
	if err != nil {
		return nil, err
	}
	if pool.Config().MaxConns < 2 {
		// One connection holds the lock for the whole run.
		return nil, fmt.Errorf("apply needs a pool of at least 2 connections, not %d", pool.Config().MaxConns)
	}
	a := &applier{pool: pool, cfg: cfg, o: o, tenantFiles: tenantFiles}
	res := &Result{Shared: SharedResult{Schema: cfg.SharedSchema, Applied: []string{}, Pending: []string{}}, Tenants: []TenantResult{}}

	if !o.dryRun {
		unlock, err := a.lock(ctx)
		if err != nil {
			return nil, err
		}
		defer unlock()
		o.log.Debug("migration lock taken", "shared_schema", cfg.SharedSchema)
		if err := a.setup(ctx); err != nil {
			return nil, err
		}
	}
	// Shared schema first: tenant migrations may reference shared objects.
	if err := a.applyShared(ctx, res, sharedFiles); err != nil {
		return res, err
	}
	if !o.dryRun {
		if err := a.ensureRegistry(ctx); err != nil {
			return res, err
		}
	}
	tenants, err := a.tenants(ctx)
	if err != nil {
		return res, err
	}
	err = a.applyTenants(ctx, res, tenants)
	if o.dryRun {
		pending := [][]string{}
		for _, t := range res.Tenants {
			pending = append(pending, t.Pending)
		}
		res.Plan = &Plan{Shared: planned(sharedFiles, res.Shared.Pending), Tenant: planned(tenantFiles, pending...)}
	}
	if err != nil {
		return res, err
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("%d of %d tenants failed: %w", res.Failed, len(res.Tenants), ErrTenantsFailed)
	}
	return res, nil
}

// applyShared applies the pending shared files (in a dry run, only lists
// them) and records the outcome in res.Shared.
func (a *applier) applyShared(ctx context.Context, res *Result, sharedFiles []File) error {
	cfg := a.cfg
	applied, err := a.sharedApplied(ctx)
	if err != nil {
		return err
	}
	pending := pendingFiles(sharedFiles, applied)
	res.Shared.Pending = versions(pending)
	if !a.o.dryRun && len(pending) > 0 {
		start := time.Now()
		a.emit(SharedStarted{Schema: cfg.SharedSchema, Pending: versions(pending)})
		done, err := a.run(ctx, "", cfg.SharedSchema, []string{cfg.SharedSchema}, pending)
		res.Shared.Applied = done
		res.Shared.Pending = versions(pending[len(done):])
		if err != nil {
			return fmt.Errorf("apply shared migrations to schema %q: %w", cfg.SharedSchema, err)
		}
		a.emit(SharedDone{Schema: cfg.SharedSchema, Applied: done, Duration: time.Since(start)})
	}
	return nil
}

// applyTenants migrates the tenants that have pending files (in a dry
// run, only lists them), adding each to res.Tenants and counting the
// failures in res.Failed. The error is one that stopped the run, such as
// a cancelled ctx, not a tenant's failure.
func (a *applier) applyTenants(ctx context.Context, res *Result, tenants []tenantRow) error {
	o := a.o
	res.Total += len(tenants)
	var work []*tenantWork
	for _, t := range tenants {
		if p := pendingFiles(a.tenantFiles, t.applied); len(p) > 0 {
			work = append(work, &tenantWork{row: t, pending: p})
		}
	}
	o.log.Debug("tenants planned", "total", len(tenants), "pending", len(work), "files", len(a.tenantFiles))
	a.emit(TenantsPlanned{Total: len(tenants), Pending: len(work)})
	var err error
	switch {
	case o.dryRun:
	case o.atomic:
		err = a.atomic(ctx, work)
	default:
		err = a.parallel(ctx, work)
	}
	for _, w := range work {
		tr := TenantResult{ID: w.row.id, Schema: w.row.schema, Applied: w.applied, Pending: versions(w.pending[len(w.applied):])}
		if tr.Applied == nil {
			tr.Applied = []string{}
		}
		if w.err != nil {
			tr.Error = w.err.Error()
			res.Failed++
		}
		res.Tenants = append(res.Tenants, tr)
	}
	return err
}

type applier struct {
	pool        DB
	cfg         *config.Config
	o           *options
	tenantFiles []File
	mu          sync.Mutex // serializes progress events
}

func (a *applier) emit(e Event) {
	if a.o.progress == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.o.progress(e)
}

func (a *applier) ident(name string) string {
	return pgx.Identifier{a.cfg.SharedSchema, name}.Sanitize()
}

// lockKey is the advisory lock key: fixed per shared schema, so two apps
// sharing a database with different shared schemas do not wait on each
// other.
func lockKey(shared string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tenantc migrate\x00" + shared))
	return int64(h.Sum64())
}

// lock takes the session-level advisory lock on a dedicated connection,
// held until the returned func runs (or the process dies, which releases
// it with the session).
//
// A waiting migrator polls pg_try_advisory_lock and holds no connection
// between attempts: several Apply calls in one process share its pool, and
// waiters that each held a connection in pg_advisory_lock could leave the
// lock holder none for its tenant workers.
// maxStale bounds how many dropped connections lock skips: each leaves the
// pool when released, so a pool yields a live one within its size.
const maxStale = 64

func (a *applier) lock(ctx context.Context) (func(), error) {
	key := lockKey(a.cfg.SharedSchema)
	var deadline time.Time
	if a.o.lockTimeout > 0 {
		deadline = time.Now().Add(a.o.lockTimeout)
	}
	delay := 10 * time.Millisecond
	stale := 0
	for {
		conn, err := a.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("acquire lock connection: %w", err)
		}
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
			dead := conn.Conn().IsClosed()
			conn.Release()
			// A connection the server dropped (a restart since the pool
			// opened it) is gone from the pool now; a session that died
			// holds no lock, so try again on a fresh one.
			if dead && stale < maxStale {
				stale++
				continue
			}
			return nil, fmt.Errorf("take migration lock: %w", err)
		}
		if ok {
			return func() {
				if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key); err != nil {
					// Closing the session releases the lock.
					conn.Conn().Close(context.WithoutCancel(ctx))
				}
				conn.Release()
			}, nil
		}
		conn.Release()
		wait := delay
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return nil, fmt.Errorf("wait %s for the migration lock: %w", a.o.lockTimeout, ErrLocked)
			}
			wait = min(wait, left)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the migration lock: %w", ctx.Err())
		case <-time.After(wait):
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// setup creates the shared schema and the revisions table.
func (a *applier) setup(ctx context.Context) error {
	_, err := a.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{a.cfg.SharedSchema}.Sanitize())
	if err != nil {
		return fmt.Errorf("create shared schema %q: %w", a.cfg.SharedSchema, err)
	}
	_, err = a.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+a.ident(RevisionsTable)+` (
	tenant_id text NOT NULL,
	version text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(),
	error text,
	PRIMARY KEY (tenant_id, version)
)`)
	if err != nil {
		return fmt.Errorf("create revisions table: %w", err)
	}
	return nil
}

// ensureRegistry creates the registry table unless the shared migrations
// did (the annotated schema may declare it with more columns), and checks
// the columns tenantc reads.
func (a *applier) ensureRegistry(ctx context.Context) error {
	_, err := a.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+a.ident(a.cfg.Registry.Table)+` (
	id text PRIMARY KEY,
	schema_name text UNIQUE NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
)`)
	if err != nil {
		return fmt.Errorf("create registry table: %w", err)
	}
	var n int
	err = a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_attribute
WHERE attrelid = $1::regclass AND attname IN ('id', 'schema_name') AND NOT attisdropped`, a.ident(a.cfg.Registry.Table)).Scan(&n)
	if err != nil {
		return fmt.Errorf("check registry table: %w", err)
	}
	if n != 2 {
		return fmt.Errorf("registry table %s needs the columns id and schema_name", a.ident(a.cfg.Registry.Table))
	}
	return nil
}

// exists reports whether a shared table exists (for dry runs and status
// on a database that was never migrated).
func exists(ctx context.Context, db querier, shared, table string) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{shared, table}.Sanitize()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up table %s.%s: %w", shared, table, err)
	}
	return ok, nil
}

// querier is what the read-only queries need of a pool or connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (a *applier) sharedApplied(ctx context.Context) (map[string]bool, error) {
	return sharedApplied(ctx, a.pool, a.cfg.SharedSchema)
}

func sharedApplied(ctx context.Context, db querier, shared string) (map[string]bool, error) {
	ok, err := exists(ctx, db, shared, RevisionsTable)
	if err != nil || !ok {
		return map[string]bool{}, err
	}
	rows, err := db.Query(ctx, "SELECT version FROM "+pgx.Identifier{shared, RevisionsTable}.Sanitize()+" WHERE tenant_id = '' AND error IS NULL")
	if err != nil {
		return nil, fmt.Errorf("read shared revisions: %w", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read shared revisions: %w", err)
	}
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m, nil
}

// tenantRow is a registry row with its revision state.
type tenantRow struct {
	id, schema string
	applied    map[string]bool
	lastError  string // of the latest failed version still failing
	version    string // latest applied
}

func (a *applier) tenants(ctx context.Context) ([]tenantRow, error) {
	return readTenants(ctx, a.pool, a.cfg, a.o.tenants)
}

// readTenants reads the registry and every tenant's applied versions in
// one query, so a no-op run over a large fleet costs one round trip
// instead of one inspection per schema.
func readTenants(ctx context.Context, db querier, cfg *config.Config, only []string) ([]tenantRow, error) {
	shared := cfg.SharedSchema
	ok, err := exists(ctx, db, shared, cfg.Registry.Table)
	if err != nil || !ok {
		if len(only) > 0 && err == nil {
			return nil, fmt.Errorf("tenant %q is not in the registry", only[0])
		}
		return nil, err
	}
	revs, err := exists(ctx, db, shared, RevisionsTable)
	if err != nil {
		return nil, err
	}
	reg := pgx.Identifier{shared, cfg.Registry.Table}.Sanitize()
	// bookkeeping: the schema holds tenantc's own revisions table, so it
	// is a shared schema (of this or another configuration), not a tenant's.
	bookkeeping := `to_regclass(quote_ident(t.schema_name) || '.` + RevisionsTable + `') IS NOT NULL`
	q := `SELECT t.id, t.schema_name, '{}'::text[], NULL::text, ` + bookkeeping + ` FROM ` + reg + ` t`
	if revs {
		q = `SELECT t.id, t.schema_name,
	coalesce(array_agg(r.version ORDER BY r.version) FILTER (WHERE r.version IS NOT NULL AND r.error IS NULL), '{}'),
	(array_agg(r.error ORDER BY r.version DESC) FILTER (WHERE r.error IS NOT NULL))[1],
	` + bookkeeping + `
FROM ` + reg + ` t LEFT JOIN ` + pgx.Identifier{shared, RevisionsTable}.Sanitize() + ` r ON r.tenant_id = t.id`
	}
	args := []any{}
	if len(only) > 0 {
		q += ` WHERE t.id = ANY($1)`
		args = append(args, only)
	}
	if revs {
		q += ` GROUP BY t.id, t.schema_name`
	}
	q += ` ORDER BY t.id`
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read tenant revisions: %w", err)
	}
	out, err := scanTenants(rows, cfg)
	if err != nil {
		return nil, err
	}
	for _, id := range only {
		if !slices.ContainsFunc(out, func(t tenantRow) bool { return t.id == id }) {
			return nil, fmt.Errorf("tenant %q is not in the registry", id)
		}
	}
	return out, nil
}

// scanTenants reads rows of (id, schema_name, applied versions, last
// error, whether the schema holds tenantc's bookkeeping), checking each
// schema before anything runs in it.
func scanTenants(rows pgx.Rows, cfg *config.Config) ([]tenantRow, error) {
	defer rows.Close()
	var out []tenantRow
	for rows.Next() {
		var (
			t       tenantRow
			applied []string
			lastErr *string
			shared  bool
		)
		if err := rows.Scan(&t.id, &t.schema, &applied, &lastErr, &shared); err != nil {
			return nil, fmt.Errorf("read tenant revisions: %w", err)
		}
		t.applied = make(map[string]bool, len(applied))
		for _, v := range applied {
			t.applied[v] = true
		}
		if len(applied) > 0 {
			t.version = applied[len(applied)-1]
		}
		if lastErr != nil {
			t.lastError = *lastErr
		}
		if err := checkRegistrySchema(cfg, t.id, t.schema); err != nil {
			return nil, err
		}
		if shared {
			return nil, sharedSchemaError(t.id, t.schema)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tenant revisions: %w", err)
	}
	return out, nil
}

func pendingFiles(files []File, applied map[string]bool) []File {
	var out []File
	for _, f := range files {
		if !applied[f.Version] {
			out = append(out, f)
		}
	}
	return out
}

func versions(fs []File) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Version)
	}
	return out
}

type tenantWork struct {
	row     tenantRow
	pending []File
	applied []string
	err     error
}

func (a *applier) parallel(ctx context.Context, work []*tenantWork) error {
	n := a.o.parallel
	if n <= 0 {
		n = max(1, int(a.pool.Config().MaxConns)-1)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	var (
		mu     sync.Mutex
		failed bool
	)
	for _, w := range work {
		mu.Lock()
		stop := failed && a.o.failFast
		mu.Unlock()
		if stop || gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			// g.Go waits for a free slot, so check again once started.
			mu.Lock()
			stop := failed && a.o.failFast
			mu.Unlock()
			if stop {
				return nil
			}
			start := time.Now()
			a.emit(TenantStarted{ID: w.row.id, Schema: w.row.schema, Pending: versions(w.pending)})
			w.applied, w.err = a.run(gctx, w.row.id, w.row.schema, []string{w.row.schema, a.cfg.SharedSchema}, w.pending)
			if w.err != nil {
				if gctx.Err() != nil {
					// Cancelled, not failed: nothing to record.
					return gctx.Err()
				}
				mu.Lock()
				failed = true
				mu.Unlock()
				a.emit(TenantFailed{ID: w.row.id, Schema: w.row.schema, Version: w.pending[len(w.applied)].Version, Err: w.err})
				return nil
			}
			a.emit(TenantDone{ID: w.row.id, Schema: w.row.schema, Applied: w.applied, Duration: time.Since(start)})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// run applies files to one schema: consecutive transactional files in one
// transaction, each "txmode none" file statement by statement. It returns
// the versions committed. A failure is recorded in the revisions table
// outside the aborted transaction.
func (a *applier) run(ctx context.Context, tenant, schemaName string, path []string, files []File) ([]string, error) {
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	var done []string
	for i := 0; i < len(files); {
		j := i + 1
		if !files[i].NoTx {
			for j < len(files) && !files[j].NoTx {
				j++
			}
		}
		var failedAt int
		if files[i].NoTx {
			failedAt, err = a.runNoTx(ctx, conn, tenant, schemaName, path, files[i])
		} else {
			failedAt, err = a.runTx(ctx, conn, tenant, schemaName, path, files[i:j])
			failedAt += i
		}
		if err != nil {
			if ctx.Err() == nil {
				a.recordFailure(ctx, conn, tenant, files[failedAt].Version, err)
			}
			return done, err
		}
		done = append(done, versions(files[i:j])...)
		i = j
	}
	return done, nil
}

// enter points the search path at path within the current transaction
// (local = true) or session, failing when the schema does not exist:
// otherwise PostgreSQL would skip it and create the tenant's tables in the
// next schema of the path.
func enter(ctx context.Context, conn *pgxpool.Conn, schemaName string, path []string, local bool) error {
	_, err := conn.Exec(ctx, "SELECT set_config('search_path', $1, $2), $3::text::regnamespace",
		inspect.SearchPath(path...), local, pgx.Identifier{schemaName}.Sanitize())
	if err != nil {
		return fmt.Errorf("enter schema %q: %w", schemaName, err)
	}
	return nil
}

// runTx applies files in one transaction; on error it returns the index of
// the file that failed.
func (a *applier) runTx(ctx context.Context, conn *pgxpool.Conn, tenant, schemaName string, path []string, files []File) (int, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := enter(ctx, conn, schemaName, path, true); err != nil {
		return 0, err
	}
	for i, f := range files {
		if err := execFile(ctx, tx, f); err != nil {
			return i, err
		}
	}
	if err := a.recordApplied(ctx, tx, tenant, versions(files)); err != nil {
		return len(files) - 1, err
	}
	if err := tx.Commit(ctx); err != nil {
		return len(files) - 1, fmt.Errorf("commit: %w", err)
	}
	return 0, nil
}

// runNoTx runs a "txmode none" file statement by statement with a
// session search_path, reset afterwards; a connection whose reset fails is
// closed so the setting cannot reach the pool's next user.
func (a *applier) runNoTx(ctx context.Context, conn *pgxpool.Conn, tenant, schemaName string, path []string, f File) (int, error) {
	if err := enter(ctx, conn, schemaName, path, false); err != nil {
		return 0, err
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "RESET search_path"); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if err := execFile(ctx, conn, f); err != nil {
		return 0, err
	}
	if err := a.recordApplied(ctx, conn, tenant, []string{f.Version}); err != nil {
		return 0, err
	}
	return 0, nil
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func execFile(ctx context.Context, db execer, f File) error {
	for i, s := range f.Stmts {
		// No arguments: pgx sends the simple protocol, one round trip,
		// and nothing is prepared or cached for one-off DDL.
		if _, err := db.Exec(ctx, s); err != nil {
			return &StmtError{File: f.Name, Index: i, Stmt: s, Err: err}
		}
	}
	return nil
}

// StmtError is a migration statement that failed.
type StmtError struct {
	File  string
	Index int // 0-based statement index in the file
	Stmt  string
	Err   error
}

// Error keeps PostgreSQL's DETAIL and HINT, which pgconn's message drops
// and which often say what to fix ("Key (title)=(x) is duplicated.").
func (e *StmtError) Error() string {
	msg := fmt.Sprintf("%s: statement %d: %v", e.File, e.Index+1, e.Err)
	var pgErr *pgconn.PgError
	if errors.As(e.Err, &pgErr) {
		if pgErr.Detail != "" {
			msg += " DETAIL: " + pgErr.Detail
		}
		if pgErr.Hint != "" {
			msg += " HINT: " + pgErr.Hint
		}
	}
	return msg
}

func (e *StmtError) Unwrap() error { return e.Err }

func (a *applier) recordApplied(ctx context.Context, db execer, tenant string, vs []string) error {
	_, err := db.Exec(ctx, `INSERT INTO `+a.ident(RevisionsTable)+` (tenant_id, version, applied_at, error)
SELECT $1, v, now(), NULL FROM unnest($2::text[]) AS v
ON CONFLICT (tenant_id, version) DO UPDATE SET applied_at = excluded.applied_at, error = NULL`, tenant, vs)
	if err != nil {
		return fmt.Errorf("record revisions: %w", err)
	}
	return nil
}

// recordFailure writes the error on its own connection state, after the
// transaction rolled back; a failure to record is not fatal because the
// version stays pending either way.
func (a *applier) recordFailure(ctx context.Context, conn *pgxpool.Conn, tenant, version string, cause error) {
	_, _ = conn.Exec(ctx, `INSERT INTO `+a.ident(RevisionsTable)+` (tenant_id, version, applied_at, error)
VALUES ($1, $2, now(), $3)
ON CONFLICT (tenant_id, version) DO UPDATE SET applied_at = excluded.applied_at, error = excluded.error`,
		tenant, version, cause.Error())
}

// atomic applies every pending tenant in one transaction.
func (a *applier) atomic(ctx context.Context, work []*tenantWork) error {
	if len(work) > a.o.atomicLimit {
		return fmt.Errorf("%d tenants pending, limit %d: %w", len(work), a.o.atomicLimit, ErrTooManyTenants)
	}
	for _, w := range work {
		for _, f := range w.pending {
			if f.NoTx {
				return fmt.Errorf("atomic apply: %s runs outside a transaction (atlas:txmode none)", f.Name)
			}
		}
	}
	if len(work) == 0 {
		return nil
	}
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var failed *tenantWork
	var failedAt int
	for _, w := range work {
		// Reset per tenant: a tenant that fails before its first file
		// (its schema is missing) must not be blamed on the previous
		// tenant's last index.
		failedAt = 0
		a.emit(TenantStarted{ID: w.row.id, Schema: w.row.schema, Pending: versions(w.pending)})
		err = enter(ctx, conn, w.row.schema, []string{w.row.schema, a.cfg.SharedSchema}, true)
		for i, f := range w.pending {
			if err != nil {
				break
			}
			failedAt = i
			err = execFile(ctx, tx, f)
		}
		if err == nil {
			err = a.recordApplied(ctx, tx, w.row.id, versions(w.pending))
		}
		if err != nil {
			failed, w.err = w, err
			break
		}
	}
	if failed == nil {
		if err = tx.Commit(ctx); err == nil {
			for _, w := range work {
				w.applied = versions(w.pending)
				a.emit(TenantDone{ID: w.row.id, Schema: w.row.schema, Applied: w.applied})
			}
			return nil
		}
		return fmt.Errorf("atomic apply: commit: %w", err)
	}
	tx.Rollback(ctx)
	if ctx.Err() == nil {
		a.recordFailure(ctx, conn, failed.row.id, failed.pending[failedAt].Version, failed.err)
	}
	a.emit(TenantFailed{ID: failed.row.id, Schema: failed.row.schema, Version: failed.pending[failedAt].Version, Err: failed.err})
	return nil
}
