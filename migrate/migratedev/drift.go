package migrate

import (
	"context"
	"fmt"

	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"

	"github.com/tenantc/tenantc/config"
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
func Drift(ctx context.Context, pool DB, cfg *config.Config, opts ...Option) (*DriftReport, error) {
	o := newOptions(opts)
	sharedFiles, tenantFiles, err := migrationFiles(cfg, o)
	if err != nil {
		return nil, err
	}
	tenants, err := readTenants(ctx, pool, cfg, o.tenants)
	if err != nil {
		return nil, err
	}
	rep := &DriftReport{Checked: len(tenants), Tenants: []TenantDrift{}}
	if len(tenants) == 0 {
		return rep, nil
	}

	expected := map[string]*atlasschema.Schema{"": atlasschema.New(scratchTenant)}
	var env *devEnv
	for _, t := range tenants {
		if _, ok := expected[t.version]; ok {
			continue
		}
		if env == nil {
			if env, err = openDev(ctx, cmpOr(o.devURL, cfg.Migrations.DevURL)); err != nil {
				return nil, err
			}
			defer env.close()
		}
		st, err := loadState(ctx, env, cfg.SharedSchema, replayStmts(sharedFiles, ""), replayStmts(tenantFiles, t.version))
		if err != nil {
			return nil, fmt.Errorf("replay tenant migrations up to %s: %w", t.version, err)
		}
		st.db.drop(context.WithoutCancel(ctx))
		expected[t.version] = schemaOf(st.realm, scratchTenant)
	}

	db := openSQL(pool)
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return nil, fmt.Errorf("open atlas driver: %w", err)
	}
	for lo := 0; lo < len(tenants); lo += inspectBatch {
		batch := tenants[lo:min(lo+inspectBatch, len(tenants))]
		names := make([]string, len(batch))
		for i, t := range batch {
			names[i] = t.schema
		}
		realm, err := drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: names})
		if err != nil {
			return nil, fmt.Errorf("inspect tenant schemas: %w", err)
		}
		for _, t := range batch {
			d := TenantDrift{ID: t.id, Schema: t.schema, Version: t.version}
			actual, ok := realm.Schema(t.schema)
			if !ok {
				d.Differences = []string{fmt.Sprintf("- schema %q (missing)", t.schema)}
				rep.Tenants = append(rep.Tenants, d)
				continue
			}
			// Compare by object names: the expected state lives in a
			// scratch schema of another name. The schema is renamed in
			// place because its tables and types point at it, and Atlas
			// compares a column's enum type with its schema's name.
			exp := expected[t.version]
			exp.Name = actual.Name
			changes, err := drv.SchemaDiff(exp, actual)
			if err != nil {
				return nil, fmt.Errorf("diff schema %q: %w", t.schema, err)
			}
			if d.Differences = describe(changes); len(d.Differences) > 0 {
				rep.Tenants = append(rep.Tenants, d)
			}
		}
	}
	return rep, nil
}

// describe renders schema changes (from the expected state to the actual
// one) as difference lines.
func describe(changes []atlasschema.Change) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, c := range changes {
		switch c := c.(type) {
		case *atlasschema.AddTable:
			add("+ table %q", c.T.Name)
		case *atlasschema.DropTable:
			add("- table %q (missing)", c.T.Name)
		case *atlasschema.AddObject:
			add("+ %s", objectName(c.O))
		case *atlasschema.DropObject:
			add("- %s (missing)", objectName(c.O))
		case *atlasschema.ModifyObject:
			add("~ %s differs", objectName(c.To))
		case *atlasschema.ModifyTable:
			t := c.T.Name
			for _, tc := range c.Changes {
				switch tc := tc.(type) {
				case *atlasschema.AddColumn:
					add("+ column %q.%q", t, tc.C.Name)
				case *atlasschema.DropColumn:
					add("- column %q.%q (missing)", t, tc.C.Name)
				case *atlasschema.ModifyColumn:
					add("~ column %q.%q differs: expected %s, found %s", t, tc.To.Name, columnDef(tc.From), columnDef(tc.To))
				case *atlasschema.AddIndex:
					add("+ index %q on %q", tc.I.Name, t)
				case *atlasschema.DropIndex:
					add("- index %q on %q (missing)", tc.I.Name, t)
				case *atlasschema.ModifyIndex:
					add("~ index %q on %q differs", tc.To.Name, t)
				case *atlasschema.AddForeignKey:
					add("+ foreign key %q on %q", tc.F.Symbol, t)
				case *atlasschema.DropForeignKey:
					add("- foreign key %q on %q (missing)", tc.F.Symbol, t)
				case *atlasschema.ModifyForeignKey:
					add("~ foreign key %q on %q differs", tc.To.Symbol, t)
				case *atlasschema.AddCheck:
					add("+ check %q on %q", tc.C.Name, t)
				case *atlasschema.DropCheck:
					add("- check %q on %q (missing)", tc.C.Name, t)
				case *atlasschema.ModifyCheck:
					add("~ check %q on %q differs: expected %s, found %s", tc.To.Name, t, tc.From.Expr, tc.To.Expr)
				case *atlasschema.AddPrimaryKey, *atlasschema.DropPrimaryKey, *atlasschema.ModifyPrimaryKey:
					add("~ primary key of %q differs", t)
				default:
					add("~ table %q differs", t)
				}
			}
		default:
			add("~ %T", c)
		}
	}
	return out
}

// columnDef is a column's type, nullability and default as DDL writes
// them ("text NOT NULL DEFAULT 'x'"), to say what a changed column was
// expected to be and what it is.
func columnDef(c *atlasschema.Column) string {
	def := "?"
	if c.Type != nil {
		if f, err := postgres.FormatType(c.Type.Type); err == nil {
			def = f
		} else if c.Type.Raw != "" {
			def = c.Type.Raw
		}
		if c.Type.Null {
			def += " NULL"
		} else {
			def += " NOT NULL"
		}
	}
	switch d := c.Default.(type) {
	case *atlasschema.Literal:
		def += " DEFAULT " + d.V
	case *atlasschema.RawExpr:
		def += " DEFAULT " + d.X
	}
	return def
}

func objectName(o atlasschema.Object) string {
	switch o := o.(type) {
	case *atlasschema.EnumType:
		return fmt.Sprintf("enum %q", o.T)
	}
	return fmt.Sprintf("%T", o)
}
