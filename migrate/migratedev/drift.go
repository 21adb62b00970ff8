package migratedev

import (
	"context"
	"fmt"

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
}

// TenantDrift is one drifted tenant. Each difference is a line:
// "- ..." is expected but missing, "+ ..." is present but not expected,
// "~ ..." differs.
type TenantDrift struct {
	ID          string   `json:"id"`
	Schema      string   `json:"schema"`
	Version     string   `json:"version"`
	Differences []string `json:"differences"`
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

	expected := map[string]*atlasschema.Schema{"": atlasschema.New(scratchTenant)}
	var env *devEnv
	for _, t := range tenants {
		if _, ok := expected[t.Version]; ok {
			continue
		}
		if env == nil {
			if env, err = openDev(ctx, cmpOr(o.devURL, cfg.Migrations.DevURL)); err != nil {
				return nil, err
			}
			defer env.close()
		}
		st, err := loadState(ctx, env, cfg.SharedSchema, migdir.Replay(sharedFiles, ""), migdir.Replay(tenantFiles, t.Version))
		if err != nil {
			return nil, fmt.Errorf("replay tenant migrations up to %s: %w", t.Version, err)
		}
		st.db.drop(context.WithoutCancel(ctx))
		expected[t.Version] = inspect.SchemaOf(st.realm, scratchTenant)
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
			d := TenantDrift{ID: t.ID, Schema: t.Schema, Version: t.Version}
			actual, ok := realm.Schema(t.Schema)
			if !ok {
				d.Differences = []string{fmt.Sprintf("- schema %q (missing)", t.Schema)}
				rep.Tenants = append(rep.Tenants, d)
				continue
			}
			// Compare by object names: the expected state lives in a
			// scratch schema of another name. The schema is renamed in
			// place because its tables and types point at it, and Atlas
			// compares a column's enum type with its schema's name.
			exp := expected[t.Version]
			exp.Name = actual.Name
			changes, err := drv.SchemaDiff(exp, actual)
			if err != nil {
				return nil, fmt.Errorf("diff schema %q: %w", t.Schema, err)
			}
			if d.Differences = inspect.Describe(changes); len(d.Differences) > 0 {
				rep.Tenants = append(rep.Tenants, d)
			}
		}
	}
	return rep, nil
}
