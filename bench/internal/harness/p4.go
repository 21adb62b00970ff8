package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/migrate"
)

// p4 measures provisioning: migrate.CreateTenant with the benchmark's
// 21-table tenant schema, on an empty fleet and on a larger one, against a
// hand-rolled create (one transaction: CREATE SCHEMA, the DDL under SET
// LOCAL search_path, the registry row) at the same fleet size.
func (h *harness) p4(ctx context.Context) error {
	tenantDDL, err := h.readSchema("tenant")
	if err != nil {
		return err
	}
	p, err := newMigrateProject()
	if err != nil {
		return err
	}
	defer p.remove()
	if _, err := p.add("tenant", tenantDDL); err != nil {
		return err
	}
	u, err := h.newDatabase(ctx, "provision")
	if err != nil {
		return err
	}
	cfg, err := poolConfig(u, 4, pgx.QueryExecModeCacheStatement, 0)
	if err != nil {
		return err
	}
	cfg.MinConns = 1
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := migrate.Apply(ctx, pool, p.cfg); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	// The hand-rolled tenants register in a table of their own: tenantc
	// refuses to create a tenant while a registered one is not migrated.
	if _, err := pool.Exec(ctx, "CREATE TABLE app.handrolled_tenants (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		return err
	}
	samples, fleet := 30, 1000
	if h.o.Short {
		samples, fleet = 5, 50
	}
	seq := 0
	create := func() (time.Duration, error) {
		seq++
		start := time.Now()
		_, err := migrate.CreateTenant(ctx, pool, p.cfg, fmt.Sprintf("c%06d", seq))
		return time.Since(start), err
	}
	handRolled := func() (time.Duration, error) {
		seq++
		id := fmt.Sprintf("h%06d", seq)
		schema := pgx.Identifier{"tenant_" + id}.Sanitize()
		start := time.Now()
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "CREATE SCHEMA "+schema+";\nSET LOCAL search_path TO "+schema+";\n"+tenantDDL)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "INSERT INTO app.handrolled_tenants (id, schema_name) VALUES ($1, $2)", id, "tenant_"+id)
			return err
		})
		return time.Since(start), err
	}
	// The first create plans and stores the baseline; not a signup's cost.
	if _, err := create(); err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	measure := func(size int) error {
		tc, hr, err := alternate(samples, create, handRolled)
		if err != nil {
			return err
		}
		h.add(Row{Scenario: "P4", Variant: fmt.Sprintf("migrate.CreateTenant p50, fleet %d", size), Value: ms(tc), Unit: "ms",
			Baseline: ms(hr), BaselineName: "hand-rolled tx", Note: fmt.Sprintf("%d tables; median of %d", strings.Count(tenantDDL, "CREATE TABLE"), samples)})
		return nil
	}
	size, err := countTenants(ctx, pool)
	if err != nil {
		return err
	}
	if err := measure(size); err != nil {
		return err
	}
	start := time.Now()
	for ; size < fleet; size++ {
		if _, err := create(); err != nil {
			return fmt.Errorf("grow fleet: %w", err)
		}
	}
	h.logf("  fleet grown to %d in %s", size, time.Since(start).Round(time.Second))
	if size, err = countTenants(ctx, pool); err != nil {
		return err
	}
	return measure(size)
}

// alternate runs a and b n times each, alternately, and returns their
// medians.
func alternate(n int, a, b func() (time.Duration, error)) (time.Duration, time.Duration, error) {
	var as, bs []time.Duration
	for range n {
		d, err := a()
		if err != nil {
			return 0, 0, err
		}
		as = append(as, d)
		if d, err = b(); err != nil {
			return 0, 0, err
		}
		bs = append(bs, d)
	}
	return median(as), median(bs), nil
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// countTenants returns the size of tenantc's registry.
func countTenants(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var n int
	err := pool.QueryRow(ctx, "SELECT count(*) FROM app.tenants").Scan(&n)
	return n, err
}
