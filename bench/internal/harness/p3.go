package harness

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/bench/internal/sqlcdb"
	"github.com/tenantc/tenantc/tenancy"
)

// The search_path baselines set the path with set_config and a parameter,
// the fastest form: the statement text is the same for every tenant, so pgx
// prepares it once per connection instead of once per tenant.
const (
	setSession = "SELECT set_config('search_path', $1, false)"
	setLocal   = "SELECT set_config('search_path', $1, true)"
)

// searchPath is the path the baselines give a tenant: its schema, then the
// shared one.
func searchPath(t tenancy.Tenant) string {
	return pgx.Identifier{t.Schema()}.Sanitize() + ", public"
}

// checkItem reports a row that is not t's.
func checkItem(t tenancy.Tenant, id int64, it sqlcdb.Item, err error) error {
	if err != nil {
		return fmt.Errorf("GetItem(%d) for %s: %w", id, t.ID(), err)
	}
	if it.Note != t.ID() {
		return errWrongTenant
	}
	return nil
}

// sessionOp is `SET search_path` per request: pin a connection, set the
// session's path, run sqlc's query, release.
func (h *harness) sessionOp(pool *pgxpool.Pool) func(context.Context, *rand.Rand) error {
	return func(ctx context.Context, r *rand.Rand) error {
		t := h.tenants[r.IntN(len(h.tenants))]
		id := r.Int64N(fleetItems) + 1
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, setSession, searchPath(t)); err != nil {
			return err
		}
		it, err := sqlcdb.New(conn).GetItem(ctx, id)
		return checkItem(t, id, it, err)
	}
}

// localOp is BEGIN; SET LOCAL search_path; query; COMMIT.
func (h *harness) localOp(pool *pgxpool.Pool) func(context.Context, *rand.Rand) error {
	return func(ctx context.Context, r *rand.Rand) error {
		t := h.tenants[r.IntN(len(h.tenants))]
		id := r.Int64N(fleetItems) + 1
		var it sqlcdb.Item
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, setLocal, searchPath(t)); err != nil {
				return err
			}
			var err error
			it, err = sqlcdb.New(tx).GetItem(ctx, id)
			return err
		})
		return checkItem(t, id, it, err)
	}
}

// p3 compares tenantc with the two search_path designs on the fleet,
// directly and through PgBouncer in transaction mode.
func (h *harness) p3(ctx context.Context) error {
	if err := h.fleet(ctx); err != nil {
		return err
	}
	bouncerURL, err := h.pgBouncer(ctx)
	if err != nil {
		return err
	}
	c := h.o.Clients
	for _, path := range []struct {
		name, url string
		// mode is the baselines' exec mode: PgBouncer 1.18 in
		// transaction mode keeps no prepared statements.
		mode    pgx.QueryExecMode
		tenantc []poolVariant
	}{
		{"direct", h.fleetURL, pgx.QueryExecModeCacheStatement, []poolVariant{defaultPool(), plainPool(), h.bestTuned()}},
		{"pgbouncer", bouncerURL, pgx.QueryExecModeCacheDescribe, []poolVariant{bouncerPool()}},
	} {
		// Directly, the baselines also run with generic plans, as the
		// tenantc pools do (PgBouncer refuses the startup parameter).
		// The better of all is the baseline.
		generic := []bool{false}
		if path.name == "direct" {
			generic = append(generic, true)
		}
		best, bestName := 0.0, ""
		// The best baseline's pool stays open: the default tenantc
		// pool's row alternates with it (see pairedBase).
		var bestOp func(context.Context, *rand.Rand) error
		var pools []*pgxpool.Pool
		closePools := func() {
			for _, p := range pools {
				p.Close()
			}
		}
		for _, g := range generic {
			cfg, err := poolConfig(path.url, c, path.mode, 0)
			if err != nil {
				return err
			}
			suffix := ""
			if g {
				cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
				suffix = ", generic plans"
			}
			pool, err := openPool(ctx, cfg)
			if err != nil {
				closePools()
				return err
			}
			pools = append(pools, pool)
			// The same warming as tenantc's plain pools get: every
			// backend's catalog caches hold every tenant's tables before
			// timing.
			p := &opened{v: poolVariant{name: path.name + " search_path pool" + suffix, plain: true}, conns: c,
				plain: pool, acquire: pool.Acquire, close: pool.Close}
			if err := h.warm(ctx, p, h.tenants, warmGetItem); err != nil {
				closePools()
				return fmt.Errorf("%s: %w", path.name, err)
			}
			var rows []Row
			for _, b := range []struct {
				name, short string
				op          func(context.Context, *rand.Rand) error
			}{
				{"SET search_path (session)", "SET session", h.sessionOp(pool)},
				{"BEGIN; SET LOCAL search_path; query; COMMIT", "SET LOCAL", h.localOp(pool)},
			} {
				res, err := h.load(ctx, c, h.warmup(), h.o.Duration, b.op)
				if err != nil {
					closePools()
					return fmt.Errorf("%s %s: %w", path.name, b.name, err)
				}
				note := fmt.Sprintf("%s, %d wrong-tenant rows of %d calls", modeName(path.mode), res.leaks, res.calls)
				if res.leaks > 0 {
					note += ": UNSAFE, not a baseline"
				} else if res.opsPerSec > best {
					best, bestName, bestOp = res.opsPerSec, b.short+suffix, b.op
				}
				rows = append(rows, Row{Scenario: "P3", Variant: path.name + ": sqlc + " + b.name + suffix,
					Value: res.opsPerSec, Unit: "ops/s", Load: loadAvg(), CPU: res.cpu, Note: note})
			}
			m, err := p.memory(ctx)
			if err != nil {
				closePools()
				return fmt.Errorf("%s: %w", path.name, err)
			}
			for _, r := range rows {
				r.Note += "; " + m.memNote(path.name)
				h.add(r)
			}
		}
		// The default pool's row alternates with the best baseline; the
		// others are compared with its one measurement above.
		paired := &pairedBase{name: bestName + ", alternated", run: func(w, d time.Duration) (loadResult, error) {
			return h.load(ctx, c, w, d, bestOp)
		}}
		for i, v := range path.tenantc {
			base := paired
			if i > 0 || bestOp == nil {
				base = nil
			}
			res, baseRes, m, _, err := h.pointSelectRun(ctx, path.url, v, h.tenants, base)
			if err != nil {
				closePools()
				return fmt.Errorf("%s tenantc %s: %w", path.name, v.name, err)
			}
			row := Row{Scenario: "P3", Variant: fmt.Sprintf("%s: tenantc %s, %d tenants", path.name, v.name, len(h.tenants)),
				Value: res.opsPerSec, Unit: "ops/s", Baseline: best, BaselineName: bestName, Target: 2, CPU: res.cpu,
				Note: fmt.Sprintf("%d wrong-tenant rows of %d calls; %s", res.leaks, res.calls, m.memNote(path.name))}
			if base != nil {
				h.pairRow(&row, base, baseRes)
			}
			h.add(row)
		}
		closePools()
	}
	return nil
}

// modeName is the name pgx accepts in default_query_exec_mode.
func modeName(m pgx.QueryExecMode) string {
	switch m {
	case pgx.QueryExecModeCacheStatement:
		return "cache_statement"
	case pgx.QueryExecModeCacheDescribe:
		return "cache_describe"
	case pgx.QueryExecModeDescribeExec:
		return "describe_exec"
	case pgx.QueryExecModeExec:
		return "exec"
	default:
		return "simple_protocol"
	}
}
