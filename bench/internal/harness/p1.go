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

// p1Round is the length P1 aims at for one round of one implementation.
// The two alternate in rounds this short, which goes first swapped each
// round (see alternateLoads), so that a change in the machine's load,
// which moves a one-client loopback rate by several per cent within
// seconds, hits both alike.
const p1Round = 500 * time.Millisecond

// p1Schedule splits each implementation's measured time d into rounds of
// about p1Round, four at least, and returns how many and how long.
func p1Schedule(d time.Duration) (rounds int, round time.Duration) {
	rounds = max(4, int(d/p1Round))
	return rounds, d / time.Duration(rounds)
}

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
	rounds, round := p1Schedule(h.o.Duration)
	// side runs op for one round: the first round of a side prepares its
	// statements; later rounds only need the client running before the
	// count starts.
	side := func(op opFunc) func() (loadResult, error) {
		warm := min(round/4, 250*time.Millisecond)
		return func() (loadResult, error) {
			res, err := h.load(ctx, 1, warm, round, op)
			warm = min(round/10, 50*time.Millisecond)
			return res, err
		}
	}
	for _, c := range cases {
		sq, tc, err := alternateLoads(rounds, side(c.sqlc), side(c.tenantc))
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		h.add(Row{Scenario: "P1", Variant: "tenantc " + c.name, Value: tc.opsPerSec, Unit: "ops/s",
			Baseline: sq.opsPerSec, BaselineName: "sqlc", Target: 0.97, CPU: tc.cpu,
			Note: fmt.Sprintf("1 client, cache_statement, %d alternating rounds; sqlc %s CPU/op", rounds, sq.cpu)})
	}
	return nil
}
