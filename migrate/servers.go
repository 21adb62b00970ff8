package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/tenancy"
)

// Server is one PostgreSQL server of a fleet: its name, as in
// tenantc.yaml's servers and the registry's server column, and a pool on
// it.
type Server struct {
	Name string
	DB   DB
}

// Servers are the PostgreSQL servers of a fleet, in tenantc.yaml's order:
// the first is the control server, which holds the registry. Each server
// has the shared schema and its own revisions table, recording its shared
// versions and the versions of the tenants it holds; the registry's server
// column says which server holds a tenant (NULL: the control server).
//
//	fleet := migrate.Servers{{Name: "main", DB: mainPool}, {Name: "eu", DB: euPool}}
//	res, err := fleet.Apply(ctx, cfg)
//	info, err := fleet.CreateTenant(ctx, cfg, "acme") // on the server with fewest tenants
type Servers []Server

// ErrServersFailed is wrapped by the error of an operation over [Servers]
// when a server could not be reached or migrated; the error names each such
// server, and its tenants are reported as failed. The other servers are
// done. Test with errors.Is.
var ErrServersFailed = errors.New("migrate: servers failed")

// ErrUnknownServer is returned when [WithServer] names a server that is
// not one of the [Servers], and reported for a tenant whose registry row
// names one. Test with errors.Is.
var ErrUnknownServer = errors.New("migrate: no such server")

// ServerResult is one server's part of a [Result] of [Servers.Apply].
type ServerResult struct {
	Name   string       `json:"name"`
	Shared SharedResult `json:"shared"`
	// Error says why the server could not be migrated; its tenants fail.
	Error string `json:"error,omitempty"`
}

// ServerStatus is one server's part of a [StatusReport] of
// [Servers.Status].
type ServerStatus struct {
	Name   string       `json:"name"`
	Shared SharedStatus `json:"shared"`
	// Error says why the server could not be read.
	Error string `json:"error,omitempty"`
}

type createOnly func(*options)

func (f createOnly) set(o *options) { f(o) }
func (createOnly) createOption()    {}

// WithServer makes [Servers.CreateTenant] place the tenant on the server
// called name instead of the one with the fewest tenants.
func WithServer(name string) CreateOption { return createOnly(func(o *options) { o.server = name }) }

// check refuses an empty fleet, a server without a name and a name given
// twice.
func (s Servers) check() error {
	if len(s) == 0 {
		return errors.New("migrate: no servers")
	}
	seen := map[string]bool{}
	for _, srv := range s {
		switch {
		case srv.Name == "":
			return errors.New("migrate: a server has no name")
		case seen[srv.Name]:
			return fmt.Errorf("migrate: server %q given twice", srv.Name)
		}
		seen[srv.Name] = true
	}
	return nil
}

func (s Servers) index(name string) int {
	return slices.IndexFunc(s, func(srv Server) bool { return srv.Name == name })
}

// placement is a registry row: a tenant and its server.
type placement struct {
	id, schema, server string
	created            time.Time
}

// hasServerColumn reports whether the registry table has the server
// column that [Servers.Apply] adds.
func hasServerColumn(ctx context.Context, db querier, reg string) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_attribute
WHERE attrelid = $1::regclass AND attname = 'server' AND NOT attisdropped)`, reg).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check registry table: %w", err)
	}
	return ok, nil
}

// addServerColumn is the registry's migration to several servers: a
// nullable server column, NULL meaning the control server, so that the
// rows of a registry from before keep their tenants where they are.
func addServerColumn(ctx context.Context, db DB, cfg *config.Config) error {
	reg := pgx.Identifier{cfg.SharedSchema, cfg.Registry.Table}.Sanitize()
	ok, err := hasServerColumn(ctx, db, reg)
	if err != nil || ok {
		return err
	}
	if _, err := db.Exec(ctx, "ALTER TABLE "+reg+" ADD COLUMN IF NOT EXISTS server text"); err != nil {
		return fmt.Errorf("add server column to registry table %s: %w", reg, err)
	}
	return nil
}

// readPlacement reads the registry rows (those of only, when given) with
// each tenant's server, control for a row without one.
func readPlacement(ctx context.Context, db querier, cfg *config.Config, control string, only []string) ([]placement, error) {
	ok, err := exists(ctx, db, cfg.SharedSchema, cfg.Registry.Table)
	if err != nil {
		return nil, err
	}
	if !ok {
		if len(only) > 0 {
			return nil, fmt.Errorf("tenant %q is not in the registry", only[0])
		}
		return nil, nil
	}
	reg := pgx.Identifier{cfg.SharedSchema, cfg.Registry.Table}.Sanitize()
	hasServer, err := hasServerColumn(ctx, db, reg)
	if err != nil {
		return nil, err
	}
	server := "$1::text"
	if hasServer {
		server = "coalesce(server, $1)"
	}
	q := "SELECT id, schema_name, " + server + ", created_at FROM " + reg
	args := []any{control}
	if len(only) > 0 {
		q += " WHERE id = ANY($2)"
		args = append(args, only)
	}
	rows, err := db.Query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("read registry: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (placement, error) {
		var p placement
		err := r.Scan(&p.id, &p.schema, &p.server, &p.created)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read registry: %w", err)
	}
	for _, id := range only {
		if !slices.ContainsFunc(ps, func(p placement) bool { return p.id == id }) {
			return nil, fmt.Errorf("tenant %q is not in the registry", id)
		}
	}
	return ps, nil
}

// placedRevisions reads the applied versions of the tenants ps from the
// revisions table of the server holding them, in one query.
func placedRevisions(ctx context.Context, db querier, cfg *config.Config, ps []placement) ([]tenantRow, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	ids, schemas := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		ids[i], schemas[i] = p.id, p.schema
	}
	revs, err := exists(ctx, db, cfg.SharedSchema, RevisionsTable)
	if err != nil {
		return nil, err
	}
	bookkeeping := `to_regclass(quote_ident(t.schema_name) || '.` + RevisionsTable + `') IS NOT NULL`
	from := ` FROM unnest($1::text[], $2::text[]) AS t(id, schema_name)`
	q := `SELECT t.id, t.schema_name, '{}'::text[], NULL::text, ` + bookkeeping + from + ` ORDER BY t.id`
	if revs {
		q = `SELECT t.id, t.schema_name,
	coalesce(array_agg(r.version ORDER BY r.version) FILTER (WHERE r.version IS NOT NULL AND r.error IS NULL), '{}'),
	(array_agg(r.error ORDER BY r.version DESC) FILTER (WHERE r.error IS NOT NULL))[1],
	` + bookkeeping + from + ` LEFT JOIN ` + pgx.Identifier{cfg.SharedSchema, RevisionsTable}.Sanitize() + ` r ON r.tenant_id = t.id
GROUP BY t.id, t.schema_name ORDER BY t.id`
	}
	rows, err := db.Query(ctx, q, ids, schemas)
	if err != nil {
		return nil, fmt.Errorf("read tenant revisions: %w", err)
	}
	return scanTenants(rows, cfg)
}

// serialProgress makes o's progress func safe to call from the servers'
// goroutines at once: events still arrive one at a time.
func serialProgress(o *options) {
	if o.progress == nil {
		return
	}
	var mu sync.Mutex
	f := o.progress
	o.progress = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		f(e)
	}
}

// Apply brings every server of the fleet up to date: the shared schema on
// every server, then each tenant on the server the registry places it on,
// the servers in parallel (each with [WithParallel] tenants at once, by
// default its pool's size less one).
//
// It takes the migration lock of every server, in order, the control
// server first. A server that cannot be reached, locked or have its shared
// migrations applied is reported in [Result.Servers], its tenants fail
// with an error naming it, and the other servers are migrated; the error
// then wraps [ErrServersFailed] (and [ErrTenantsFailed]). When the control
// server fails nothing else runs, since the registry lives there. Run it
// again once the server is back: it converges, as [Apply] does.
// [WithAtomic] is refused: a transaction spans one server.
func (s Servers) Apply(ctx context.Context, cfg *config.Config, opts ...ApplyOption) (*Result, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	if o.atomic {
		return nil, errors.New("migrate: an atomic apply runs on one server, not across servers")
	}
	sharedFiles, tenantFiles, err := migrationFiles(cfg, o)
	if err != nil {
		return nil, err
	}
	serialProgress(o)
	newResult := func() *Result {
		return &Result{Shared: SharedResult{Schema: cfg.SharedSchema, Applied: []string{}, Pending: []string{}}, Tenants: []TenantResult{}}
	}
	res := newResult()
	appliers := make([]*applier, len(s))
	results := make([]*Result, len(s))
	failed := make([]error, len(s))
	for i, srv := range s {
		appliers[i] = &applier{pool: srv.DB, cfg: cfg, o: o, tenantFiles: tenantFiles}
		results[i] = newResult()
	}
	if !o.dryRun {
		// In order, control first, as Servers.CreateTenant takes them:
		// two runs never wait on each other in a cycle.
		for i, a := range appliers {
			if n := a.pool.Config().MaxConns; n < 2 {
				failed[i] = fmt.Errorf("apply needs a pool of at least 2 connections, not %d", n)
				continue
			}
			unlock, err := a.lock(ctx)
			if err != nil {
				failed[i] = err
				continue
			}
			defer unlock()
		}
	}
	// Replicas run the shared files without their row-only statements:
	// the rows come from the control server by replication.
	forReplicas := replicaFiles(sharedFiles)
	var wg sync.WaitGroup
	for i, a := range appliers {
		if failed[i] != nil {
			continue
		}
		wg.Go(func() {
			if !o.dryRun {
				if failed[i] = a.setup(ctx); failed[i] != nil {
					return
				}
			}
			files := sharedFiles
			if i > 0 {
				files = forReplicas
			}
			if failed[i] = a.applyShared(ctx, results[i], files); failed[i] != nil || o.dryRun {
				return
			}
			// Every server has the registry table, which is shared
			// data: the replicas' copy is replicated.
			if failed[i] = a.ensureRegistry(ctx); failed[i] == nil {
				failed[i] = addServerColumn(ctx, a.pool, cfg)
			}
		})
	}
	wg.Wait()
	res.Shared = results[0].Shared
	if failed[0] == nil && !o.dryRun && len(s) > 1 {
		failed[0] = publish(ctx, s[0].DB, cfg)
	}
	if failed[0] != nil {
		res.Servers = serverResults(s, results, failed)
		return res, fmt.Errorf("control server %q: %w: %w", s[0].Name, ErrServersFailed, failed[0])
	}
	if !o.dryRun {
		// One replica after the other: a replication slot being created
		// on the control server waits for the transactions in progress
		// there, such as another replica's slot creation, to end, and
		// then for PostgreSQL's next snapshot of them (up to 15 s).
		for i := range s[1:] {
			if failed[i+1] == nil {
				failed[i+1] = subscribe(ctx, s[0], s[i+1], cfg)
			}
		}
	}
	ps, err := readPlacement(ctx, s[0].DB, cfg, s[0].Name, o.tenants)
	if err != nil {
		return res, fmt.Errorf("control server %q: %w", s[0].Name, err)
	}
	byServer := map[string][]placement{}
	for _, p := range ps {
		byServer[p.server] = append(byServer[p.server], p)
	}
	for name, list := range byServer {
		if s.index(name) < 0 {
			failTenants(res, list, fmt.Errorf("server %q: %w", name, ErrUnknownServer))
		}
	}
	for i, a := range appliers {
		list := byServer[s[i].Name]
		if failed[i] != nil {
			failTenants(results[i], list, fmt.Errorf("server %q: %w", s[i].Name, failed[i]))
			continue
		}
		wg.Go(func() {
			rows, err := placedRevisions(ctx, a.pool, cfg, list)
			if err != nil {
				failed[i] = err
				failTenants(results[i], list, fmt.Errorf("server %q: %w", s[i].Name, err))
				return
			}
			failed[i] = a.applyTenants(ctx, results[i], rows)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Servers = serverResults(s, results, failed)
	for i, r := range results {
		for _, t := range r.Tenants {
			if t.Server == "" {
				t.Server = s[i].Name
			}
			res.Tenants = append(res.Tenants, t)
		}
		res.Total += r.Total
		res.Failed += r.Failed
	}
	slices.SortFunc(res.Tenants, func(a, b TenantResult) int { return strings.Compare(a.ID, b.ID) })
	if o.dryRun {
		pending := [][]string{}
		for _, t := range res.Tenants {
			pending = append(pending, t.Pending)
		}
		res.Plan = &Plan{Shared: planned(sharedFiles, res.Shared.Pending), Tenant: planned(tenantFiles, pending...)}
	}
	return res, s.errors(failed, res)
}

// failTenants reports each tenant of ps as failed with err, in res.
func failTenants(res *Result, ps []placement, err error) {
	for _, p := range ps {
		res.Tenants = append(res.Tenants, TenantResult{ID: p.id, Schema: p.schema, Server: p.server,
			Applied: []string{}, Pending: []string{}, Error: err.Error()})
		res.Total++
		res.Failed++
	}
}

func serverResults(s Servers, results []*Result, failed []error) []ServerResult {
	out := make([]ServerResult, len(s))
	for i, srv := range s {
		out[i] = ServerResult{Name: srv.Name, Shared: results[i].Shared}
		if failed[i] != nil {
			out[i].Error = failed[i].Error()
		}
	}
	return out
}

// errors is the error of a run with the given per-server failures.
func (s Servers) errors(failed []error, res *Result) error {
	var errs []error
	for i, err := range failed {
		if err != nil {
			errs = append(errs, fmt.Errorf("server %q: %w", s[i].Name, err))
		}
	}
	if len(errs) > 0 {
		errs[0] = fmt.Errorf("%w: %w", ErrServersFailed, errs[0])
	}
	if res.Failed > 0 {
		errs = append(errs, fmt.Errorf("%d of %d tenants failed: %w", res.Failed, len(res.Tenants), ErrTenantsFailed))
	}
	return errors.Join(errs...)
}

// Status reads where the shared schema of every server and every tenant
// (or those of [WithTenants]) stand: two queries per server. A server
// that cannot be read is reported in [StatusReport.Servers] and its
// tenants count as pending and failed, their error naming it; the error
// then wraps [ErrServersFailed].
func (s Servers) Status(ctx context.Context, cfg *config.Config, opts ...StatusOption) (*StatusReport, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	sharedFiles, tenantFiles, err := migrationFiles(cfg, o)
	if err != nil {
		return nil, err
	}
	ps, err := readPlacement(ctx, s[0].DB, cfg, s[0].Name, o.tenants)
	if err != nil {
		return nil, fmt.Errorf("control server %q: %w", s[0].Name, err)
	}
	byServer := map[string][]placement{}
	for _, p := range ps {
		byServer[p.server] = append(byServer[p.server], p)
	}
	servers := make([]ServerStatus, len(s))
	rows := make([][]tenantRow, len(s))
	failed := make([]error, len(s))
	var wg sync.WaitGroup
	for i, srv := range s {
		wg.Go(func() {
			servers[i].Name = srv.Name
			applied, err := sharedApplied(ctx, srv.DB, cfg.SharedSchema)
			if err != nil {
				failed[i] = err
				return
			}
			servers[i].Shared.Pending = len(pendingFiles(sharedFiles, applied))
			for _, f := range sharedFiles {
				if applied[f.Version] {
					servers[i].Shared.Version = f.Version
				}
			}
			servers[i].Shared.Applied = sortedVersions(applied)
			rows[i], failed[i] = placedRevisions(ctx, srv.DB, cfg, byServer[srv.Name])
		})
	}
	wg.Wait()
	rep := &StatusReport{Tenants: []TenantStatus{}, Shared: servers[0].Shared, Servers: servers}
	for i, srv := range s {
		if failed[i] != nil {
			servers[i].Error = failed[i].Error()
			rows[i] = nil
			for _, p := range byServer[srv.Name] {
				rep.addFailed(p, fmt.Errorf("server %q: %w", srv.Name, failed[i]))
			}
		}
		for _, t := range rows[i] {
			rep.add(t, srv.Name, tenantFiles)
		}
	}
	for name, list := range byServer {
		if s.index(name) < 0 {
			for _, p := range list {
				rep.addFailed(p, fmt.Errorf("server %q: %w", name, ErrUnknownServer))
			}
		}
	}
	slices.SortFunc(rep.Tenants, func(a, b TenantStatus) int { return strings.Compare(a.ID, b.ID) })
	var errs []error
	for i, err := range failed {
		if err != nil {
			errs = append(errs, fmt.Errorf("server %q: %w", s[i].Name, err))
		}
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("%w: %w", ErrServersFailed, errors.Join(errs...))
	}
	return rep, nil
}

// addFailed reports tenant p, whose state could not be read, as pending
// and failed with err.
func (rep *StatusReport) addFailed(p placement, err error) {
	e := err.Error()
	rep.Tenants = append(rep.Tenants, TenantStatus{ID: p.id, Schema: p.schema, Server: p.server, Error: &e})
	rep.Summary.Tenants++
	rep.Summary.Pending++
	rep.Summary.Failed++
}

// ListTenants returns the registered tenants by id, each with its server
// and the latest tenant version applied on that server. A tenant whose
// server cannot be read is listed without a version, and the error wraps
// [ErrServersFailed].
func (s Servers) ListTenants(ctx context.Context, cfg *config.Config, opts ...ListOption) ([]TenantInfo, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	newOptions(opts)
	ps, err := readPlacement(ctx, s[0].DB, cfg, s[0].Name, nil)
	if err != nil {
		return nil, fmt.Errorf("control server %q: %w", s[0].Name, err)
	}
	out := make([]TenantInfo, len(ps))
	at := map[string][]int{}
	for i, p := range ps {
		out[i] = TenantInfo{ID: p.id, Schema: p.schema, Server: p.server, CreatedAt: p.created}
		at[p.server] = append(at[p.server], i)
	}
	var errs []error
	for _, srv := range s {
		idx := at[srv.Name]
		if len(idx) == 0 {
			continue
		}
		ok, err := exists(ctx, srv.DB, cfg.SharedSchema, RevisionsTable)
		if err != nil || !ok {
			if err != nil {
				errs = append(errs, fmt.Errorf("server %q: %w", srv.Name, err))
			}
			continue
		}
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = out[i].ID
		}
		rows, err := srv.DB.Query(ctx, `SELECT tenant_id, max(version) FROM `+pgx.Identifier{cfg.SharedSchema, RevisionsTable}.Sanitize()+`
WHERE tenant_id = ANY($1) AND error IS NULL GROUP BY tenant_id`, ids)
		if err != nil {
			errs = append(errs, fmt.Errorf("server %q: list tenants: %w", srv.Name, err))
			continue
		}
		vs := map[string]string{}
		var id, v string
		_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error {
			vs[id] = v
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("server %q: list tenants: %w", srv.Name, err))
			continue
		}
		for _, i := range idx {
			out[i].Version = vs[out[i].ID]
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%w: %w", ErrServersFailed, errors.Join(errs...))
	}
	return out, nil
}

// CreateTenant provisions tenant id on one server of the fleet: the
// server of [WithServer], or else the one with the fewest tenants (the
// first in order on a tie). The schema is built and its versions recorded
// in one transaction on that server, as [CreateTenant] does on one
// server; the registry row, with the server's name, is inserted in a
// transaction on the control server, committed after the first. Should
// that commit fail, the new schema is dropped again, so that a retry
// starts afresh.
//
// It refuses with [ErrPendingMigrations] when the chosen server's or the
// control server's shared schema, or a tenant on any server, is behind the
// latest version, with [ErrServersFailed] while a server cannot be read
// (the fleet's versions cannot be checked), and with [ErrUnknownServer]
// for a WithServer that names no server of s.
func (s Servers) CreateTenant(ctx context.Context, cfg *config.Config, id string, opts ...CreateOption) (TenantInfo, error) {
	if err := s.check(); err != nil {
		return TenantInfo{}, err
	}
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return TenantInfo{}, err
	}
	schemaName, err := p.schemaFor(id)
	if err != nil {
		return TenantInfo{}, err
	}
	target, err := s.place(ctx, cfg, p.o.server)
	if err != nil {
		return TenantInfo{}, fmt.Errorf("create tenant %q: %w", id, err)
	}
	values := map[string]any{}
	for k, v := range p.o.registryValues {
		values[k] = v
	}
	if _, set := values["server"]; set {
		return TenantInfo{}, fmt.Errorf("create tenant %q: registry value for column \"server\": not allowed (tenantc sets it)", id)
	}
	values["server"] = target.Name
	p.o.registryValues = values
	if err := s.checkTenants(ctx, cfg, p.tenantFiles); err != nil {
		return TenantInfo{}, fmt.Errorf("create tenant %q: %w", id, err)
	}
	// The registry lists tenants of every server, the revisions table of
	// one server only its own: the fleet's tenants were checked above.
	p.fleet = true
	if target.Name == s[0].Name {
		info, err := p.create(ctx, target.DB, id, schemaName)
		if err != nil {
			return TenantInfo{}, err
		}
		info.Server = target.Name
		return info, nil
	}
	info, err := p.createRemote(ctx, s[0].DB, target, id, schemaName)
	if err != nil {
		return TenantInfo{}, fmt.Errorf("create tenant %q on server %q: %w", id, target.Name, err)
	}
	p.o.log.Debug("tenant created", "tenant", id, "schema", schemaName, "server", target.Name, "version", info.Version)
	return info, nil
}

// place returns the server called name, or with name "", the server with
// the fewest tenants.
func (s Servers) place(ctx context.Context, cfg *config.Config, name string) (Server, error) {
	if name != "" {
		i := s.index(name)
		if i < 0 {
			return Server{}, fmt.Errorf("server %q: %w", name, ErrUnknownServer)
		}
		return s[i], nil
	}
	ps, err := readPlacement(ctx, s[0].DB, cfg, s[0].Name, nil)
	if err != nil {
		return Server{}, fmt.Errorf("control server %q: %w", s[0].Name, err)
	}
	count := map[string]int{}
	for _, p := range ps {
		count[p.server]++
	}
	best := s[0]
	for _, srv := range s[1:] {
		if count[srv.Name] < count[best.Name] {
			best = srv
		}
	}
	return best, nil
}

// checkTenants refuses, with [ErrPendingMigrations], when a tenant on any
// server has not recorded the latest tenant version, as [CreateTenant]
// does on one server.
func (s Servers) checkTenants(ctx context.Context, cfg *config.Config, tenantFiles []File) error {
	if len(tenantFiles) == 0 {
		return nil
	}
	rep, err := s.Status(ctx, cfg)
	if err != nil {
		return err
	}
	var behind []string
	for _, t := range rep.Tenants {
		if t.Pending > 0 && len(behind) < 4 {
			behind = append(behind, t.ID)
		}
	}
	if len(behind) == 0 {
		return nil
	}
	list := strings.Join(behind[:min(3, len(behind))], ", ")
	if len(behind) > 3 {
		list += " and more"
	}
	return fmt.Errorf("tenants %s are not at tenant version %s (run tenantc migrate apply): %w",
		list, tenantFiles[len(tenantFiles)-1].Version, ErrPendingMigrations)
}

// createRemote creates tenant id on target, a server other than the
// control server, and registers it on control.
func (p *provisioner) createRemote(ctx context.Context, control DB, target Server, id, schemaName string) (TenantInfo, error) {
	shared := p.cfg.SharedSchema
	remote := *p
	remote.remote = true
	if err := remote.checkShared(ctx, target.DB); err != nil {
		return TenantInfo{}, err
	}
	ddl, err := remote.baseline(ctx, target.DB)
	if err != nil {
		return TenantInfo{}, err
	}
	info := TenantInfo{ID: id, Schema: schemaName, Server: target.Name, Version: p.head()}
	// The control server first, as Servers.Apply takes its locks: the
	// registry row's locks serialize creates of one id fleet-wide.
	ctl, err := control.Begin(ctx)
	if err != nil {
		return TenantInfo{}, fmt.Errorf("control server: begin: %w", err)
	}
	defer ctl.Rollback(context.WithoutCancel(ctx))
	if err := lockProvision(ctx, ctl, shared, []string{id}, []string{schemaName}); err != nil {
		return TenantInfo{}, fmt.Errorf("control server: %w", err)
	}
	if err := p.checkShared(ctx, ctl); err != nil {
		return TenantInfo{}, fmt.Errorf("control server: %w", err)
	}
	if err := p.checkFree(ctx, ctl, id, schemaName); err != nil {
		return TenantInfo{}, err
	}
	if info.CreatedAt, err = p.insertRow(ctx, ctl, id, schemaName); err != nil {
		return TenantInfo{}, err
	}
	err = pgx.BeginFunc(ctx, target.DB, func(tx pgx.Tx) error {
		if err := lockProvision(ctx, tx, shared, []string{id}, []string{schemaName}); err != nil {
			return err
		}
		if err := remote.checkShared(ctx, tx); err != nil {
			return err
		}
		if err := remote.build(ctx, tx, id, schemaName, ddl); err != nil {
			return err
		}
		return remote.recordVersions(ctx, tx, id, info.Version)
	})
	if err != nil {
		return TenantInfo{}, err
	}
	if err := ctl.Commit(ctx); err != nil {
		// The schema without its registry row would block a retry.
		_ = pgx.BeginFunc(context.WithoutCancel(ctx), target.DB, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schemaName}.Sanitize()+" CASCADE"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DELETE FROM "+p.revs+" WHERE tenant_id = $1", id)
			return err
		})
		return TenantInfo{}, fmt.Errorf("control server: register: %w", err)
	}
	return info, nil
}

// DropTenant removes tenant id from the fleet: its schema and revision
// rows on its server, in one transaction, then its registry row on the
// control server, whose lock on the row is held throughout. Should the
// second commit fail, the registry row stays and a retry completes the
// drop. An id that is not registered is [ErrNoSuchTenant]; a tenant with
// an unfinished move ([Servers.MoveTenant]) is [ErrMoveUnfinished]:
// finish the move first.
func (s Servers) DropTenant(ctx context.Context, cfg *config.Config, id string, opts ...DropOption) error {
	if err := s.check(); err != nil {
		return err
	}
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return err
	}
	if err := tenancy.ValidateTenantID(id); err != nil {
		return fmt.Errorf("tenant id %q: %w", id, err)
	}
	server, err := p.dropRemote(ctx, s, id)
	if err != nil {
		return fmt.Errorf("drop tenant %q: %w", id, err)
	}
	p.o.log.Debug("tenant dropped", "tenant", id, "server", server)
	return nil
}

// dropRemote is [Servers.DropTenant] once the options are read; it
// returns the tenant's server.
func (p *provisioner) dropRemote(ctx context.Context, s Servers, id string) (string, error) {
	shared := p.cfg.SharedSchema
	ctl, err := s[0].DB.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("control server: begin: %w", err)
	}
	defer ctl.Rollback(context.WithoutCancel(ctx))
	if err := lockProvision(ctx, ctl, shared, []string{id}, nil); err != nil {
		return "", fmt.Errorf("control server: %w", err)
	}
	schemaName, err := p.lookup(ctx, ctl, id)
	if err != nil {
		return "", err
	}
	if err := checkNotMoving(ctx, ctl, shared, id); err != nil {
		return "", err
	}
	ps, err := readPlacement(ctx, ctl, p.cfg, s[0].Name, []string{id})
	if err != nil {
		return "", err
	}
	server := ps[0].server
	i := s.index(server)
	if i < 0 {
		return server, fmt.Errorf("server %q: %w", server, ErrUnknownServer)
	}
	if i == 0 {
		if err := p.dropSchema(ctx, ctl, id, schemaName); err != nil {
			return server, err
		}
	} else {
		err := pgx.BeginFunc(ctx, s[i].DB, func(tx pgx.Tx) error {
			if err := lockProvision(ctx, tx, shared, []string{id}, nil); err != nil {
				return err
			}
			return p.dropSchema(ctx, tx, id, schemaName)
		})
		if err != nil {
			return server, fmt.Errorf("server %q: %w", server, err)
		}
	}
	if _, err := ctl.Exec(ctx, "DELETE FROM "+p.reg+" WHERE id = $1", id); err != nil {
		return server, fmt.Errorf("delete registry row: %w", err)
	}
	if err := ctl.Commit(ctx); err != nil {
		return server, fmt.Errorf("control server: commit: %w", err)
	}
	return server, nil
}
