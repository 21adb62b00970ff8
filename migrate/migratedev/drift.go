package migratedev

import (
	"context"
	"fmt"
	"sync"

	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
)

// DriftReport lists the tenants whose schema differs from what their
// applied migrations should have produced.
type DriftReport struct {
	Checked int           `json:"checked"`
	Tenants []TenantDrift `json:"tenants"`
	// Servers are the servers of [DriftServers], control first, each with
	// its shared schema's differences.
	Servers []ServerDrift `json:"servers,omitempty"`
}

// ServerDrift is one server's part of a [DriftReport] of [DriftServers]:
// how its shared schema differs from its applied shared version, or why it
// could not be read.
type ServerDrift struct {
	Name          string   `json:"name"`
	SharedVersion string   `json:"shared_version"`
	Differences   []string `json:"differences"`
	Error         string   `json:"error,omitempty"`
}

// TenantDrift is one drifted tenant. Each difference is a line:
// "- ..." is expected but missing, "+ ..." is present but not expected,
// "~ ..." differs.
type TenantDrift struct {
	ID     string `json:"id"`
	Schema string `json:"schema"`
	// Server is the tenant's server, in a report of [DriftServers].
	Server      string   `json:"server,omitempty"`
	Version     string   `json:"version"`
	Differences []string `json:"differences"`
	// Error says why the tenant could not be checked: its server could
	// not be read ([DriftServers]).
	Error string `json:"error,omitempty"`
}

// inspectBatch is how many tenant schemas one Atlas inspection reads: its
// queries filter by a list of schemas, so batching turns thousands of
// per-schema round trips into a few large ones.
const inspectBatch = 200

// Drift inspects every tenant schema (or those of [WithTenants]) and
// compares it with the state that replaying the tenant migrations up to
// its applied version gives on the dev database ([WithDevURL], the
// config's dev_url, or a throwaway server).
func Drift(ctx context.Context, pool migrate.DB, cfg *config.Config, opts ...DriftOption) (*DriftReport, error) {
	o := newOptions(opts)
	sharedFiles, tenantFiles, err := migdir.Read(cfg, o.fsys)
	if err != nil {
		return nil, err
	}
	status, err := migrate.Status(ctx, pool, cfg, migrate.WithMigrationsFS(o.fsys), migrate.WithTenants(o.tenants...))
	if err != nil {
		return nil, err
	}
	tenants := status.Tenants
	rep := &DriftReport{Checked: len(tenants), Tenants: []TenantDrift{}}
	if len(tenants) == 0 {
		return rep, nil
	}
	exp := newExpected(cfg, o, sharedFiles, tenantFiles)
	defer exp.close()
	if rep.Tenants, err = driftTenants(ctx, pool, exp, tenants, ""); err != nil {
		return nil, err
	}
	return rep, nil
}

// expected builds, on the dev database and once per version, the state a
// tenant schema or the shared schema should have at that version.
type expected struct {
	cfg                      *config.Config
	o                        *options
	sharedFiles, tenantFiles []migdir.File
	env                      *devEnv
	tenant, shared           map[string]*atlasschema.Schema
	// diff serializes the comparisons with the tenant states, which
	// rename them in place.
	diff sync.Mutex
}

func newExpected(cfg *config.Config, o *options, sharedFiles, tenantFiles []migdir.File) *expected {
	return &expected{
		cfg: cfg, o: o, sharedFiles: sharedFiles, tenantFiles: tenantFiles,
		tenant: map[string]*atlasschema.Schema{"": atlasschema.New(scratchTenant)},
		shared: map[string]*atlasschema.Schema{"": atlasschema.New(cfg.SharedSchema)},
	}
}

func (e *expected) close() {
	if e.env != nil {
		e.env.close()
	}
}

// load replays the shared files up to sharedVersion ("" with tenantVersion
// set: all of them) and the tenant files up to tenantVersion.
func (e *expected) load(ctx context.Context, sharedVersion, tenantVersion string) (*atlasschema.Realm, error) {
	if e.env == nil {
		env, err := openDev(ctx, cmpOr(e.o.devURL, e.cfg.Migrations.DevURL))
		if err != nil {
			return nil, err
		}
		e.env = env
	}
	var tenant []migdir.Stmt
	if tenantVersion != "" {
		tenant = migdir.Replay(e.tenantFiles, tenantVersion)
	}
	st, err := loadState(ctx, e.env, e.cfg.SharedSchema, migdir.Replay(e.sharedFiles, sharedVersion), tenant)
	if err != nil {
		return nil, err
	}
	st.db.drop(context.WithoutCancel(ctx))
	return st.realm, nil
}

// tenantAt is a tenant schema's expected state at version.
func (e *expected) tenantAt(ctx context.Context, version string) (*atlasschema.Schema, error) {
	if s, ok := e.tenant[version]; ok {
		return s, nil
	}
	realm, err := e.load(ctx, "", version)
	if err != nil {
		return nil, fmt.Errorf("replay tenant migrations up to %s: %w", version, err)
	}
	e.tenant[version] = inspect.SchemaOf(realm, scratchTenant)
	return e.tenant[version], nil
}

// sharedAt is the shared schema's expected state at version.
func (e *expected) sharedAt(ctx context.Context, version string) (*atlasschema.Schema, error) {
	if s, ok := e.shared[version]; ok {
		return s, nil
	}
	realm, err := e.load(ctx, version, "")
	if err != nil {
		return nil, fmt.Errorf("replay shared migrations up to %s: %w", version, err)
	}
	e.shared[version] = inspect.SchemaOf(realm, e.cfg.SharedSchema)
	return e.shared[version], nil
}

// driftTenants compares the schemas of tenants, all on pool's server
// (named server in the report, "" for one server), with their expected
// states, and returns the drifted ones.
func driftTenants(ctx context.Context, pool migrate.DB, exp *expected, tenants []migrate.TenantStatus, server string) ([]TenantDrift, error) {
	out := []TenantDrift{}
	if len(tenants) == 0 {
		return out, nil
	}
	for _, t := range tenants {
		if _, err := exp.tenantAt(ctx, t.Version); err != nil {
			return nil, err
		}
	}
	db := inspect.OpenSQL(pool)
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return nil, fmt.Errorf("open atlas driver: %w", err)
	}
	for lo := 0; lo < len(tenants); lo += inspectBatch {
		batch := tenants[lo:min(lo+inspectBatch, len(tenants))]
		names := make([]string, len(batch))
		for i, t := range batch {
			names[i] = t.Schema
		}
		realm, err := drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: names})
		if err != nil {
			return nil, fmt.Errorf("inspect tenant schemas: %w", err)
		}
		for _, t := range batch {
			d := TenantDrift{ID: t.ID, Schema: t.Schema, Server: server, Version: t.Version}
			actual, ok := realm.Schema(t.Schema)
			if !ok {
				d.Differences = []string{fmt.Sprintf("- schema %q (missing)", t.Schema)}
				out = append(out, d)
				continue
			}
			// Compare by object names: the expected state lives in a
			// scratch schema of another name. The schema is renamed in
			// place because its tables and types point at it, and Atlas
			// compares a column's enum type with its schema's name.
			exp.diff.Lock()
			want := exp.tenant[t.Version]
			want.Name = actual.Name
			changes, err := drv.SchemaDiff(want, actual)
			exp.diff.Unlock()
			if err != nil {
				return nil, fmt.Errorf("diff schema %q: %w", t.Schema, err)
			}
			if d.Differences = inspect.Describe(changes); len(d.Differences) > 0 {
				out = append(out, d)
			}
		}
	}
	return out, nil
}
