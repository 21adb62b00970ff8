package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tenantc/tenantc/bench/internal/tenantdb"
	"github.com/tenantc/tenantc/tenancy"
)

// The mix's operations, one tenant query each (queries/mix.sql and
// GetItem), drawn with equal probability.
const (
	mixGet         = iota // point select
	mixList               // 20-row list
	mixAdd                // insert … RETURNING id
	mixBump               // update … RETURNING
	mixRemove             // delete … RETURNING, of a row the client added
	mixPlan               // join with the shared plans table
	mixCount              // count
	mixTotals             // aggregate, grouped
	mixCounter            // upsert
	mixEvents             // join of two tenant tables
	mixKinds              // the number of operations
	mixListRows    = 20
	mixPending     = 32  // rows a client has added and not yet removed, at most
	mixCounterKeys = 100 // counter names per tenant
	// zipfS is the exponent of the tenants' popularity in the skewed mix
	// (math/rand/v2's Zipf needs s > 1).
	zipfS = 1.1
)

// mixAdded is a row a client added, to be removed by the same client.
type mixAdded struct {
	q  *tenantdb.TenantQueries
	id int64
}

// mixClient is one client of the mix. Its removals delete the rows its
// insertions added, oldest first, so that the data stays bounded: an
// insertion with mixPending rows outstanding removes one instead, and a
// removal with none inserts.
type mixClient struct {
	pending  []mixAdded
	counters []string
}

func newMixClient() *mixClient {
	c := &mixClient{counters: make([]string, mixCounterKeys)}
	for i := range c.counters {
		c.counters[i] = fmt.Sprintf("c%d", i)
	}
	return c
}

// run runs operation kind for q's tenant, and checks that every row read
// carries the tenant's marker.
func (c *mixClient) run(ctx context.Context, r *rand.Rand, kind int, q *tenantdb.TenantQueries) error {
	switch {
	case kind == mixAdd && len(c.pending) >= mixPending:
		kind = mixRemove
	case kind == mixRemove && len(c.pending) == 0:
		kind = mixAdd
	}
	t := q.Tenant().ID()
	mine := func(note string) error {
		if note != t {
			return errWrongTenant
		}
		return nil
	}
	item := r.Int64N(fleetItems) + 1
	plan := r.Int64N(planRows) + 1
	var name string
	err := func() error {
		switch kind {
		case mixGet:
			name = "GetItem"
			it, err := q.GetItem(ctx, item)
			if err != nil {
				return err
			}
			return mine(it.Note)
		case mixList:
			name = "ListRecentItems"
			items, err := q.ListRecentItems(ctx, r.Int64N(fleetItems-mixListRows+1))
			if err != nil {
				return err
			}
			if len(items) != mixListRows {
				return fmt.Errorf("%d rows, want %d", len(items), mixListRows)
			}
			for _, it := range items {
				if err := mine(it.Note); err != nil {
					return err
				}
			}
			return nil
		case mixAdd:
			name = "AddItem"
			id, err := q.AddItem(ctx, tenantdb.AddItemParams{PlanID: plan, Name: "mix", Qty: 1, Note: t})
			if err != nil {
				return err
			}
			c.pending = append(c.pending, mixAdded{q, id})
			return nil
		case mixBump:
			name = "BumpItemQty"
			row, err := q.BumpItemQty(ctx, item)
			if err != nil {
				return err
			}
			return mine(row.Note)
		case mixRemove:
			name = "RemoveItem"
			return c.removeOldest(ctx)
		case mixPlan:
			name = "GetItemPlan"
			row, err := q.GetItemPlan(ctx, item)
			if err != nil {
				return err
			}
			return mine(row.Note)
		case mixCount:
			name = "CountPlanItems"
			row, err := q.CountPlanItems(ctx, plan)
			if err != nil {
				return err
			}
			if row.Items == 0 {
				return errors.New("no items")
			}
			return mine(row.Note)
		case mixTotals:
			name = "PlanTotals"
			rows, err := q.PlanTotals(ctx)
			if err != nil {
				return err
			}
			if len(rows) != planRows {
				return fmt.Errorf("%d plans, want %d", len(rows), planRows)
			}
			for _, row := range rows {
				if err := mine(row.Note); err != nil {
					return err
				}
			}
			return nil
		case mixCounter:
			name = "BumpCounter"
			row, err := q.BumpCounter(ctx, tenantdb.BumpCounterParams{Name: c.counters[r.IntN(len(c.counters))], Note: t})
			if err != nil {
				return err
			}
			return mine(row.Note)
		default:
			name = "ListItemEvents"
			rows, err := q.ListItemEvents(ctx, item)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return errors.New("no events")
			}
			for _, row := range rows {
				if err := mine(row.Note); err != nil {
					return err
				}
			}
			return nil
		}
	}()
	if err != nil && !errors.Is(err, errWrongTenant) {
		return fmt.Errorf("%s for %s: %w", name, t, err)
	}
	return err
}

// removeOldest deletes the oldest row the client added, through the
// queries of the tenant it was added for.
func (c *mixClient) removeOldest(ctx context.Context) error {
	a := c.pending[0]
	c.pending = append(c.pending[:0], c.pending[1:]...)
	note, err := a.q.RemoveItem(ctx, a.id)
	if err != nil {
		return fmt.Errorf("item %d: %w", a.id, err)
	}
	if note != a.q.Tenant().ID() {
		return errWrongTenant
	}
	return nil
}

// drain removes every row the client still has outstanding.
func (c *mixClient) drain(ctx context.Context) error {
	for len(c.pending) > 0 {
		if err := c.removeOldest(ctx); err != nil {
			return fmt.Errorf("drain: %w", err)
		}
	}
	return nil
}

// warmMix runs every operation of the mix once for c's tenant.
func warmMix(ctx context.Context, conn tenancy.Conn) error {
	q := tenantdb.NewTenant(conn)
	c := newMixClient()
	r := rand.New(rand.NewPCG(1, 2))
	for kind := range mixKinds {
		if err := c.run(ctx, r, kind, q); err != nil {
			return err
		}
	}
	return c.drain(ctx)
}

// mixDist is how the mix picks a tenant per call.
type mixDist struct {
	name string
	zipf bool
}

func zipfMix() mixDist    { return mixDist{name: fmt.Sprintf("Zipf s=%.1f", zipfS), zipf: true} }
func uniformMix() mixDist { return mixDist{name: "uniform"} }

// mix runs the mix on ts through bind, tenants drawn by dist: for Zipf,
// the tenants' ranks are a fixed random permutation, so that popularity
// has nothing to do with the order tenants were created in.
func (h *harness) mix(ctx context.Context, ts []tenancy.Tenant, dist mixDist, bind func(tenancy.Tenant) tenancy.Conn, warm, d time.Duration) (loadResult, error) {
	qs := make([]*tenantdb.TenantQueries, len(ts))
	for i, t := range ts {
		qs[i] = tenantdb.NewTenant(bind(t))
	}
	rank := rand.New(rand.NewPCG(uint64(len(ts)), 12)).Perm(len(ts))
	clients := make([]*mixClient, h.o.Clients)
	res, err := h.loadEach(ctx, h.o.Clients, warm, d, func(w int) opFunc {
		c := newMixClient()
		clients[w] = c
		var z *rand.Zipf
		return func(ctx context.Context, r *rand.Rand) error {
			i := 0
			switch {
			case len(qs) == 1:
			case dist.zipf:
				if z == nil {
					z = rand.NewZipf(r, zipfS, 1, uint64(len(qs)-1))
				}
				i = rank[z.Uint64()]
			default:
				i = r.IntN(len(qs))
			}
			return c.run(ctx, r, r.IntN(mixKinds), qs[i])
		}
	})
	for _, c := range clients {
		if c == nil {
			continue
		}
		if derr := c.drain(ctx); derr != nil && err == nil {
			err = derr
		}
	}
	return res, err
}

// mixRun opens v, warms it with every operation for every tenant of ts,
// lets it settle and runs the mix; it returns the result, the memory of
// the pool's backends after the run and how the pool settled; with base,
// the run alternates with it (see timed), and base's result is returned
// too.
func (h *harness) mixRun(ctx context.Context, v poolVariant, ts []tenancy.Tenant, dist mixDist, base *pairedBase) (res, baseRes loadResult, m backendMem, st settled, err error) {
	p, err := h.open(ctx, h.fleetURL, h.o.Clients, v)
	if err != nil {
		return
	}
	defer p.close()
	// Through the pool even for a plain one: ten statements per tenant on
	// every connection would take minutes at 10,000 tenants.
	if err = h.warmThrough(ctx, p, ts, warmMix); err != nil {
		return
	}
	st, err = h.settle(ctx, p, func(d time.Duration) (int64, error) {
		res, err := h.mix(ctx, ts, dist, p.bind, 0, d)
		return res.ops, err
	})
	if err != nil {
		return
	}
	before := p.snapshot()
	res, baseRes, err = h.timed(func(w, d time.Duration) (loadResult, error) {
		return h.mix(ctx, ts, dist, p.bind, w, d)
	}, base)
	if err != nil {
		return
	}
	st.calls = poolCalls(before, p.snapshot())
	if res.leaks != 0 {
		err = fmt.Errorf("%d rows of another tenant", res.leaks)
		return
	}
	m, err = p.memory(ctx)
	return
}

// p8 runs a mix of ten tenant queries — reads, writes and joins — over the
// fleet, tenants drawn by Zipf popularity and uniformly, against the same
// mix on one tenant with pgx's defaults.
func (h *harness) p8(ctx context.Context) error {
	if err := h.fleet(ctx); err != nil {
		return err
	}
	oneTenant := func() (loadResult, error) {
		res, _, _, _, err := h.mixRun(ctx, plainPool(), h.tenants[:1], uniformMix(), nil)
		return res, err
	}
	// The default pool's rows alternate with a one-tenant pool kept open
	// beside them; their ratio is to it.
	base, err := h.openPaired(ctx, h.warmThrough, warmMix, func(ts []tenancy.Tenant, bind func(tenancy.Tenant) tenancy.Conn, w, d time.Duration) (loadResult, error) {
		return h.mix(ctx, ts, uniformMix(), bind, w, d)
	})
	if err != nil {
		return err
	}
	defer base.close()
	first, err := oneTenant()
	if err != nil {
		return fmt.Errorf("one tenant: %w", err)
	}
	n := len(h.tenants)
	runs := []struct {
		n    int
		v    poolVariant
		dist mixDist
	}{
		{1, defaultPool(), uniformMix()},
		{n, defaultPool(), zipfMix()}, {n, defaultPool(), uniformMix()},
		{n, plainPool(), zipfMix()},
		{n, h.bestTuned(), zipfMix()}, {n, h.bestTuned(), uniformMix()},
		{n, poolVariant{name: "NewPool(WithAffinity(2)): groups of two", opts: []tenancy.PoolOption{tenancy.WithAffinity(2)}, ablation: true}, zipfMix()},
	}
	if h.o.Short {
		runs = runs[:5]
	}
	var rows []Row
	var largest backendMem
	for _, run := range runs {
		name := fmt.Sprintf("%d tenants %s, %s", run.n, run.dist.name, run.v.name)
		if run.n == 1 {
			name = "1 tenant, " + run.v.name
		}
		var paired *pairedBase
		if run.v.name == defaultPool().name {
			paired = base
		}
		res, baseRes, m, st, err := h.mixRun(ctx, run.v, h.tenants[:run.n], run.dist, paired)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		row := Row{Scenario: "P8", Variant: name, Value: res.opsPerSec, Unit: "ops/s", BaselineName: "1 tenant",
			Load: loadAvg(), CPU: res.cpu, Note: fmt.Sprintf("%d calls checked; %s", res.calls, h.runNote(m, st))}
		if paired != nil {
			h.pairRow(&row, paired, baseRes)
		}
		if run.dist.zipf {
			row.Target = 0.8
		}
		rows = append(rows, row)
		if run.n == n && run.v.name == defaultPool().name && m.largest > largest.largest {
			largest = m
		}
	}
	if !h.o.Short {
		res, m, err := h.idealMix(ctx, h.tenants, zipfMix())
		if err != nil {
			return fmt.Errorf("ideal partition: %w", err)
		}
		rows = append(rows, Row{Scenario: "P8", Variant: fmt.Sprintf("ideal partition, %d tenants %s: each client its own connection and 1/%d of the tenants, all prepared", n, zipfMix().name, h.o.Clients),
			Value: res.opsPerSec, Unit: "ops/s", BaselineName: "1 tenant", Load: loadAvg(), CPU: res.cpu,
			Note: fmt.Sprintf("%d calls checked; no call waits, every call hits a generic plan, memory unbounded; %s", res.calls, m.note())})
		res, m, calls, err := h.boundedIdealMix(ctx, h.tenants, zipfMix())
		if err != nil {
			return fmt.Errorf("ideal partition within the memory bound: %w", err)
		}
		rows = append(rows, Row{Scenario: "P8", Variant: fmt.Sprintf("ideal partition within the default memory bound, %d tenants %s: each client a NewPool (default) of one connection over 1/%d of the tenants", n, zipfMix().name, h.o.Clients),
			Value: res.opsPerSec, Unit: "ops/s", BaselineName: "1 tenant", Load: loadAvg(), CPU: res.cpu,
			Note: fmt.Sprintf("%d calls checked; no call waits or spills; settled %s untimed; %s; %s", res.calls, h.settleMax()/2, m.note(), calls)})
	}
	last, err := oneTenant()
	if err != nil {
		return fmt.Errorf("one tenant: %w", err)
	}
	one := (first.opsPerSec + last.opsPerSec) / 2
	h.add(Row{Scenario: "P8", Variant: fmt.Sprintf("baseline: 1 tenant, %d-query mix, pgxpool with pgx's defaults", mixKinds),
		Value: one, Unit: "ops/s", CPU: meanCPU(first.cpu, last.cpu),
		Note: fmt.Sprintf("%d clients; mean of %.0f before and %.0f after the variants", h.o.Clients, first.opsPerSec, last.opsPerSec)})
	for _, r := range rows {
		if r.Baseline == 0 {
			r.Baseline = one
		}
		h.add(r)
	}
	h.add(Row{Scenario: "P8", Variant: fmt.Sprintf("largest backend, %d tenants, %d-query mix, NewPool (default)", n, mixKinds),
		Value: float64(largest.largest) / (1 << 20), Unit: "MiB", Baseline: 128, BaselineName: "limit", Target: 1,
		Note: fmt.Sprintf("%s of it plans; plan budget %s per backend (tenancy.DefaultPlanMemory), backend bound %s (tenancy.DefaultBackendMemory)",
			mib(largest.largestPlans), mib(tenancy.DefaultPlanMemory), mib(tenancy.DefaultBackendMemory))})
	return nil
}
