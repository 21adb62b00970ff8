package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/migrate"
)

// p5Parallel is the tenantc apply's --parallel.
const p5Parallel = 4

// migrateFleet makes a database with n registered tenants migrated by
// tenantc (one table each), every schema also holding an Atlas-style
// revisions table for the per-schema baseline.
func (h *harness) migrateFleet(ctx context.Context, p *migrateProject, n int) (string, *pgxpool.Pool, error) {
	u, err := h.newDatabase(ctx, "fleetmigrate")
	if err != nil {
		return "", nil, err
	}
	cfg, err := poolConfig(u, p5Parallel+1, pgx.QueryExecModeCacheStatement, 0)
	if err != nil {
		return "", nil, err
	}
	cfg.MinConns = 1
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	if _, err := migrate.Apply(ctx, pool, p.cfg); err != nil { // shared schema, registry
		pool.Close()
		return "", nil, err
	}
	const chunk = 500
	for lo := 0; lo < n; lo += chunk {
		var sb strings.Builder
		for i := lo; i < min(lo+chunk, n); i++ {
			fmt.Fprintf(&sb, `CREATE SCHEMA tenant_%05[1]d;
CREATE TABLE tenant_%05[1]d.atlas_schema_revisions (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO app.tenants (id, schema_name) VALUES ('%05[1]d', 'tenant_%05[1]d');
`, i)
		}
		if _, err := pool.Exec(ctx, sb.String()); err != nil {
			pool.Close()
			return "", nil, err
		}
	}
	if _, err := migrate.Apply(ctx, pool, p.cfg, migrate.WithParallel(p5Parallel)); err != nil {
		pool.Close()
		return "", nil, err
	}
	if _, err := pool.Exec(ctx, ToBaseline); err != nil {
		pool.Close()
		return "", nil, err
	}
	return u, pool, nil
}

// p5 applies one new tenant migration to a fleet with tenantc's Apply and
// with the per-schema baseline, then runs an apply with nothing pending
// over a larger fleet.
func (h *harness) p5(ctx context.Context) error {
	applyN, noopN := 1000, 10000
	if h.o.Short {
		applyN, noopN = 50, 300
	}
	for _, c := range []struct {
		n    int
		noop bool
	}{{applyN, false}, {noopN, true}} {
		p, err := newMigrateProject()
		if err != nil {
			return err
		}
		defer p.remove()
		if _, err := p.add("tenant", `CREATE TABLE "tickets" ("id" bigint NOT NULL, "title" text NOT NULL, PRIMARY KEY ("id"));`); err != nil {
			return err
		}
		start := time.Now()
		u, pool, err := h.migrateFleet(ctx, p, c.n)
		if err != nil {
			return fmt.Errorf("fleet of %d: %w", c.n, err)
		}
		defer pool.Close()
		h.logf("  fleet of %d migrated in %s", c.n, time.Since(start).Round(time.Second))
		col := 0
		next := func() error {
			if c.noop {
				return nil
			}
			col++
			_, err := p.add("tenant", fmt.Sprintf(`ALTER TABLE "tickets" ADD COLUMN "c%d" integer NOT NULL DEFAULT 0;
CREATE INDEX "tickets_c%[1]d" ON "tickets" ("c%[1]d");`, col))
			return err
		}
		if err := next(); err != nil {
			return err
		}
		start = time.Now()
		res, err := migrate.Apply(ctx, pool, p.cfg, migrate.WithParallel(p5Parallel))
		tc := time.Since(start)
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if want := map[bool]int{true: 0, false: c.n}[c.noop]; len(res.Tenants) != want {
			return fmt.Errorf("apply touched %d tenants, want %d", len(res.Tenants), want)
		}
		if _, err := pool.Exec(ctx, ToBaseline); err != nil {
			return err
		}
		if err := next(); err != nil {
			return err
		}
		start = time.Now()
		if err := ApplyPerSchema(ctx, u, filepath.Join(p.dir, "migrations", "tenant"), SchemaNames(c.n)); err != nil {
			return fmt.Errorf("per-schema apply: %w", err)
		}
		base := time.Since(start)
		variant := fmt.Sprintf("apply 1 migration to %d tenants", c.n)
		if c.noop {
			variant = fmt.Sprintf("no-op apply over %d tenants", c.n)
		}
		h.add(Row{Scenario: "P5", Variant: variant, Value: ms(tc), Unit: "ms", Baseline: ms(base), BaselineName: "per-schema",
			Note: fmt.Sprintf("tenantc --parallel %d; baseline sequential, one connection per schema", p5Parallel)})
	}
	return nil
}

// ApplyPerSchema is the migration baseline: what running `atlas migrate
// apply` once per tenant schema does, sequentially — connect with the
// schema as the search path, read that schema's revisions table
// (atlas_schema_revisions), apply each pending file of the tenant
// directory dir in a transaction with its revision row, disconnect. It
// leaves out the Atlas CLI's own start-up, lock and dev checks, so it is a
// lower bound on the real cost. The Go benchmarks in bench use it too.
func ApplyPerSchema(ctx context.Context, url, dir string, schemas []string) error {
	d, err := atlasmigrate.NewLocalDir(dir)
	if err != nil {
		return err
	}
	files, err := d.Files()
	if err != nil {
		return err
	}
	for _, s := range schemas {
		if err := applySchema(ctx, url, s, files); err != nil {
			return fmt.Errorf("schema %s: %w", s, err)
		}
	}
	return nil
}

// SchemaNames returns the schema names of a bench fleet of n tenants.
func SchemaNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("tenant_%05d", i)
	}
	return out
}

// ToBaseline copies tenantc's revision records into each schema's
// baseline revisions table, so the baseline sees the fleet as it is.
const ToBaseline = `DO $$ DECLARE s text; BEGIN
FOR s IN SELECT schema_name FROM app.tenants LOOP
	EXECUTE format('INSERT INTO %I.atlas_schema_revisions (version) SELECT version FROM app.tenantc_revisions r JOIN app.tenants t ON t.id = r.tenant_id WHERE t.schema_name = %L ON CONFLICT DO NOTHING', s, s);
END LOOP; END $$`

// applySchema applies the files not yet recorded in schema s.
func applySchema(ctx context.Context, url, s string, files []atlasmigrate.File) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["search_path"] = s
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT version FROM atlas_schema_revisions")
	applied, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, v := range applied {
		done[v] = true
	}
	for _, f := range files {
		if done[f.Version()] {
			continue
		}
		stmts, err := f.Stmts()
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			for _, st := range stmts {
				if _, err := tx.Exec(ctx, st); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, "INSERT INTO atlas_schema_revisions (version) VALUES ($1)", f.Version())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
