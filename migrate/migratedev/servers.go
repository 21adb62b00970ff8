package migratedev

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
)

// DriftServers is [Drift] across the servers of a fleet: every tenant (or
// those of [WithTenants]) is inspected on its own server, and the shared
// schema on every server is compared with the state its applied shared
// version should have (tenantc's own tables — the registry, revisions
// and baselines — left out). The expected states are replayed once on
// the dev database, the servers then inspected in parallel.
//
// A server that cannot be read fails as in [migrate.Servers.Apply]: its
// [ServerDrift] and each of its tenants carry an error naming it, the
// other servers are checked, and the error wraps
// [migrate.ErrServersFailed].
func DriftServers(ctx context.Context, servers migrate.Servers, cfg *config.Config, opts ...DriftOption) (*DriftReport, error) {
	o := newOptions(opts)
	sharedFiles, tenantFiles, err := migdir.Read(cfg, o.fsys)
	if err != nil {
		return nil, err
	}
	st, stErr := servers.Status(ctx, cfg, migrate.WithMigrationsFS(o.fsys), migrate.WithTenants(o.tenants...))
	if st == nil {
		return nil, stErr
	}
	rep := &DriftReport{Tenants: []TenantDrift{}, Servers: make([]ServerDrift, len(servers))}
	byServer := map[string][]migrate.TenantStatus{}
	for _, t := range st.Tenants {
		byServer[t.Server] = append(byServer[t.Server], t)
	}
	failed := make([]error, len(servers))
	for i, srv := range servers {
		rep.Servers[i] = ServerDrift{Name: srv.Name, Differences: []string{}}
		if e := st.Servers[i].Error; e != "" {
			failed[i] = errors.New(e)
		}
	}

	// Replay every expected state first: the dev database is used by one
	// goroutine at a time.
	exp := newExpected(cfg, o, sharedFiles, tenantFiles)
	defer exp.close()
	for i := range servers {
		if failed[i] != nil {
			continue
		}
		rep.Servers[i].SharedVersion = st.Servers[i].Shared.Version
		if _, err := exp.sharedAt(ctx, st.Servers[i].Shared.Version); err != nil {
			return nil, err
		}
		for _, t := range byServer[servers[i].Name] {
			if _, err := exp.tenantAt(ctx, t.Version); err != nil {
				return nil, err
			}
		}
	}

	drifted := make([][]TenantDrift, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		if failed[i] != nil {
			continue
		}
		wg.Go(func() {
			diffs, err := driftShared(ctx, srv.DB, cfg, exp.shared[st.Servers[i].Shared.Version])
			if err != nil {
				failed[i] = err
				return
			}
			rep.Servers[i].Differences = diffs
			drifted[i], failed[i] = driftTenants(ctx, srv.DB, exp, byServer[srv.Name], srv.Name)
		})
	}
	wg.Wait()

	var errs []error
	for i, srv := range servers {
		if failed[i] == nil {
			rep.Checked += len(byServer[srv.Name])
			rep.Tenants = append(rep.Tenants, drifted[i]...)
			continue
		}
		rep.Servers[i].Error = failed[i].Error()
		errs = append(errs, fmt.Errorf("server %q: %w", srv.Name, failed[i]))
		for _, t := range byServer[srv.Name] {
			rep.Tenants = append(rep.Tenants, TenantDrift{ID: t.ID, Schema: t.Schema, Server: srv.Name, Version: t.Version,
				Differences: []string{}, Error: fmt.Sprintf("server %q: %v", srv.Name, failed[i])})
		}
	}
	for name, list := range byServer {
		if slices.ContainsFunc(servers, func(s migrate.Server) bool { return s.Name == name }) {
			continue
		}
		for _, t := range list {
			e := fmt.Sprintf("server %q: %v", name, migrate.ErrUnknownServer)
			if t.Error != nil {
				e = *t.Error
			}
			rep.Tenants = append(rep.Tenants, TenantDrift{ID: t.ID, Schema: t.Schema, Server: name, Version: t.Version, Differences: []string{}, Error: e})
		}
		errs = append(errs, fmt.Errorf("server %q: %w", name, migrate.ErrUnknownServer))
	}
	slices.SortFunc(rep.Tenants, func(a, b TenantDrift) int { return strings.Compare(a.ID, b.ID) })
	if len(errs) > 0 {
		return rep, fmt.Errorf("%w: %w", migrate.ErrServersFailed, errors.Join(errs...))
	}
	return rep, nil
}

// driftShared compares the shared schema on pool's server with want,
// leaving out the registry, revisions and baselines tables, which tenantc
// creates.
func driftShared(ctx context.Context, pool migrate.DB, cfg *config.Config, want *atlasschema.Schema) ([]string, error) {
	db := inspect.OpenSQL(pool)
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return nil, fmt.Errorf("open atlas driver: %w", err)
	}
	realm, err := drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: []string{cfg.SharedSchema}})
	if err != nil {
		return nil, fmt.Errorf("inspect shared schema: %w", err)
	}
	actual, ok := realm.Schema(cfg.SharedSchema)
	if !ok {
		if len(want.Tables)+len(want.Objects)+len(want.Views) == 0 {
			return []string{}, nil
		}
		return []string{fmt.Sprintf("- schema %q (missing)", cfg.SharedSchema)}, nil
	}
	own := func(t *atlasschema.Table) bool {
		return t.Name == migrate.RevisionsTable || t.Name == migrate.BaselinesTable || t.Name == cfg.Registry.Table
	}
	actual.Tables = slices.DeleteFunc(slices.Clone(actual.Tables), own)
	w := *want
	w.Tables = slices.DeleteFunc(slices.Clone(w.Tables), own)
	changes, err := drv.SchemaDiff(&w, actual)
	if err != nil {
		return nil, fmt.Errorf("diff shared schema: %w", err)
	}
	if d := inspect.Describe(changes); d != nil {
		return d, nil
	}
	return []string{}, nil
}

// LintServers is [Lint] across the servers of a fleet: a file is pending
// while any server lacks it, in its shared schema or in one of its
// tenants; the files are linted once, on the dev database, as [Lint]
// does. A server that cannot be read counts as lacking every file: the
// report is returned with an error naming it that wraps
// [migrate.ErrServersFailed].
func LintServers(ctx context.Context, servers migrate.Servers, cfg *config.Config, opts ...LintOption) (*LintReport, error) {
	o := newOptions(opts)
	o.servers = servers
	return lint(ctx, cfg, o)
}
