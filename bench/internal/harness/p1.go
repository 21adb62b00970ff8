package harness

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/bench/internal/sqlcdb"
	"github.com/tenantc/tenantc/bench/internal/tenantdb"
	"github.com/tenantc/tenantc/tenancy"
)

// p1Rounds is how often P1 alternates between the two implementations, so
// that a change in the machine's load during the run hits both alike.
const p1Rounds = 4

// p1 compares tenantc's generated code on one tenant schema with sqlc's
// generated code for the same queries on the public schema: one client,
// pgx's default exec mode, so that the numbers are per-call cost.
func (h *harness) p1(ctx context.Context) error {
	if err := h.fleet(ctx); err != nil {
		return err
	}
	cfg, err := poolConfig(h.fleetURL, 1, pgx.QueryExecModeCacheStatement, 0)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	plain := sqlcdb.New(pool)
	tq := tenantdb.NewTenant(tenancy.Bind(pool, h.single))
	itemID := func(r *rand.Rand) int64 { return r.Int64N(singleItems) + 1 }
	checkID := func(want, got int64, err error) error {
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("got item %d, want %d", got, want)
		}
		return nil
	}
	checkList := func(n int, err error) error {
		if err != nil {
			return err
		}
		if n != 100 {
			return fmt.Errorf("list: %d rows, want 100", n)
		}
		return nil
	}
	after := func(r *rand.Rand) int64 { return r.Int64N(9) * 100 }
	cases := []struct {
		name          string
		sqlc, tenantc func(context.Context, *rand.Rand) error
	}{
		{"point select (GetItem)",
			func(ctx context.Context, r *rand.Rand) error {
				id := itemID(r)
				it, err := plain.GetItem(ctx, id)
				return checkID(id, it.ID, err)
			},
			func(ctx context.Context, r *rand.Rand) error {
				id := itemID(r)
				it, err := tq.GetItem(ctx, id)
				return checkID(id, it.ID, err)
			}},
		{"insert (InsertItem)",
			func(ctx context.Context, r *rand.Rand) error {
				return plain.InsertItem(ctx, sqlcdb.InsertItemParams{PlanID: 1, Name: "inserted", Qty: r.Int32(), Note: "p1"})
			},
			func(ctx context.Context, r *rand.Rand) error {
				return tq.InsertItem(ctx, tenantdb.InsertItemParams{PlanID: 1, Name: "inserted", Qty: r.Int32(), Note: "p1"})
			}},
		{"100-row list (ListItems)",
			func(ctx context.Context, r *rand.Rand) error {
				items, err := plain.ListItems(ctx, after(r))
				return checkList(len(items), err)
			},
			func(ctx context.Context, r *rand.Rand) error {
				items, err := tq.ListItems(ctx, after(r))
				return checkList(len(items), err)
			}},
		{"join shared (GetItemWithPlan)",
			func(ctx context.Context, r *rand.Rand) error {
				id := itemID(r)
				it, err := plain.GetItemWithPlan(ctx, id)
				return checkID(id, it.ID, err)
			},
			func(ctx context.Context, r *rand.Rand) error {
				id := itemID(r)
				it, err := tq.GetItemWithPlan(ctx, id)
				return checkID(id, it.ID, err)
			}},
	}
	round := h.o.Duration / p1Rounds
	warm := min(round/4, 250*time.Millisecond)
	for _, c := range cases {
		var sq, tc loadResult
		for range p1Rounds {
			for _, side := range []struct {
				op  func(context.Context, *rand.Rand) error
				acc *loadResult
			}{{c.sqlc, &sq}, {c.tenantc, &tc}} {
				res, err := h.load(ctx, 1, warm, round, side.op)
				if err != nil {
					return fmt.Errorf("%s: %w", c.name, err)
				}
				side.acc.ops += res.ops
				// Accumulates CPU time; divided by ops below.
				side.acc.cpu.all += res.cpu.all * time.Duration(res.ops)
			}
		}
		secs := (round * p1Rounds).Seconds()
		perOp := func(r loadResult) time.Duration { return r.cpu.all / time.Duration(max(1, r.ops)) }
		h.add(Row{Scenario: "P1", Variant: "tenantc " + c.name, Value: float64(tc.ops) / secs, Unit: "ops/s",
			Baseline: float64(sq.ops) / secs, BaselineName: "sqlc", Target: 0.97, CPU: opCPU{all: perOp(tc)},
			Note: fmt.Sprintf("1 client, cache_statement; sqlc %.0f us CPU/op", float64(perOp(sq))/float64(time.Microsecond))})
	}
	return nil
}
