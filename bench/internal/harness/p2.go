package harness

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/bench/internal/tenantdb"
	"github.com/tenantc/tenantc/tenancy"
)

// warmup is how long a variant runs before it is measured, after the
// explicit warming of its connections (see harness.warm).
func (h *harness) warmup() time.Duration { return h.o.Duration / 2 }

// warmGetItem is the point select's warming call.
func warmGetItem(ctx context.Context, c tenancy.Conn) error {
	_, err := tenantdb.NewTenant(c).GetItem(ctx, 1)
	return err
}

// pointSelect runs the generated point select on tenants chosen uniformly
// at random through bind, warm uncounted then d counted, and checks each
// row is the tenant's own.
func (h *harness) pointSelect(ctx context.Context, tenants []tenancy.Tenant, bind func(tenancy.Tenant) tenancy.Conn, warm, d time.Duration) (loadResult, error) {
	qs := make([]*tenantdb.TenantQueries, len(tenants))
	for i, t := range tenants {
		qs[i] = tenantdb.NewTenant(bind(t))
	}
	return h.load(ctx, h.o.Clients, warm, d, func(ctx context.Context, r *rand.Rand) error {
		return getItemOf(ctx, r, qs)
	})
}

// getItemOf runs the point select for a tenant of qs chosen at random and
// checks that the row is the tenant's own.
func getItemOf(ctx context.Context, r *rand.Rand, qs []*tenantdb.TenantQueries) error {
	q := qs[r.IntN(len(qs))]
	id := r.Int64N(fleetItems) + 1
	it, err := q.GetItem(ctx, id)
	if err != nil {
		return fmt.Errorf("GetItem(%d) for %s: %w", id, q.Tenant().ID(), err)
	}
	if it.Note != q.Tenant().ID() {
		return errWrongTenant
	}
	return nil
}

// p2Run is one fleet row of P2: a pool variant on the first n tenants.
type p2Run struct {
	n int
	v poolVariant
}

// p2Runs are the rows P2 measures: the default NewPool on the baseline's
// one tenant and at every fleet size, and at the largest the unoptimised
// plain pool and the hand-tuned NewPool variants (-short: the first only).
func (h *harness) p2Runs() []p2Run {
	sizes := fleetSizes(len(h.tenants))
	runs := []p2Run{{1, defaultPool()}}
	for _, n := range sizes {
		runs = append(runs, p2Run{n, defaultPool()})
	}
	n := sizes[len(sizes)-1]
	runs = append(runs, p2Run{n, plainPool()})
	tuned := tunedPools()
	if h.o.Short {
		tuned = tuned[:1]
	}
	for _, v := range tuned {
		runs = append(runs, p2Run{n, v})
	}
	if !h.o.Short {
		for _, v := range ablations() {
			runs = append(runs, p2Run{n, v})
		}
	}
	return runs
}

// pointSelectRun opens v, warms it on ts, lets it settle and runs the
// point select over ts; it returns the result, the memory of the pool's
// backends after the run and how the pool settled; with base, the run
// alternates with it (see timed), and base's result is returned too.
func (h *harness) pointSelectRun(ctx context.Context, url string, v poolVariant, ts []tenancy.Tenant, base *pairedBase) (res, baseRes loadResult, m backendMem, st settled, err error) {
	p, err := h.open(ctx, url, h.o.Clients, v)
	if err != nil {
		return
	}
	defer p.close()
	if err = h.warm(ctx, p, ts, warmGetItem); err != nil {
		return
	}
	st, err = h.settle(ctx, p, func(d time.Duration) (int64, error) {
		res, err := h.pointSelect(ctx, ts, p.bind, 0, d)
		return res.ops, err
	})
	if err != nil {
		return
	}
	before := p.snapshot()
	res, baseRes, err = h.timed(func(w, d time.Duration) (loadResult, error) {
		return h.pointSelect(ctx, ts, p.bind, w, d)
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

// timed runs run for the harness's duration after its warm-up; with
// base, in rounds alternating with base's (see alternateLoads), and it
// returns base's result too.
func (h *harness) timed(run func(warm, d time.Duration) (loadResult, error), base *pairedBase) (res, baseRes loadResult, err error) {
	if base == nil {
		res, err = run(h.warmup(), h.o.Duration)
		return res, loadResult{}, err
	}
	round := h.o.Duration / time.Duration(h.pairedRounds())
	return alternateLoads(h.pairedRounds(), func() (loadResult, error) {
		return run(pairedWarm, round)
	}, func() (loadResult, error) {
		return base.run(pairedWarm, round)
	})
}

// pairedBase is the baseline a scenario's rows with targets alternate
// with: name is the baseline's name in the table, run runs it for warm
// uncounted then d, and close closes what it holds.
type pairedBase struct {
	name  string
	run   func(warm, d time.Duration) (loadResult, error)
	close func()
}

// openPaired opens the one-tenant pool P2's and P8's rows alternate with,
// with pgx's defaults, on the fleet's first tenant, warms it with warmOne
// through warm (harness.warm or harness.warmThrough), and runs load on it.
func (h *harness) openPaired(ctx context.Context, warm func(context.Context, *opened, []tenancy.Tenant, func(context.Context, tenancy.Conn) error) error,
	warmOne func(context.Context, tenancy.Conn) error,
	load func(ts []tenancy.Tenant, bind func(tenancy.Tenant) tenancy.Conn, warm, d time.Duration) (loadResult, error)) (*pairedBase, error) {
	p, err := h.open(ctx, h.fleetURL, h.o.Clients, plainPool())
	if err != nil {
		return nil, err
	}
	ts := h.tenants[:1]
	if err := warm(ctx, p, ts, warmOne); err != nil {
		p.close()
		return nil, err
	}
	return &pairedBase{name: "1 tenant, alternated", close: p.close, run: func(w, d time.Duration) (loadResult, error) {
		return load(ts, p.bind, w, d)
	}}, nil
}

// pairRow makes res, base's rounds, r's baseline.
func (h *harness) pairRow(r *Row, base *pairedBase, res loadResult) {
	r.Baseline, r.BaselineName = res.opsPerSec, base.name
	r.Note = fmt.Sprintf("%d rounds alternating with the baseline (%.0f ops/s, %s CPU/op in them); %s",
		h.pairedRounds(), res.opsPerSec, res.cpu, r.Note)
}

// pairedWarm is the uncounted start of each alternating round: enough
// for the clients to be running, the pools being warm already.
const pairedWarm = 300 * time.Millisecond

// pairedRounds is how many rounds of each side a paired row alternates,
// each a share of the duration, so that a change in the machine's load
// (it swings by a third within minutes here) weighs on the row and its
// baseline alike.
func (h *harness) pairedRounds() int {
	if h.o.Short {
		return 2
	}
	return 4
}

// runNote is the note of a fleet row: connections, backend memory, and
// how a tenancy.Pool settled.
func (h *harness) runNote(m backendMem, st settled) string {
	s := fmt.Sprintf("%d conns; %s", h.o.Clients, m.note())
	if st.took > 0 {
		s += "; " + st.note()
	}
	return s
}

// p2 runs the generated point select over fleets of tenants, a tenant
// chosen uniformly at random per call, against the same code on one
// tenant with pgx's defaults.
func (h *harness) p2(ctx context.Context) error {
	if err := h.fleet(ctx); err != nil {
		return err
	}
	oneTenant := func() (loadResult, error) {
		res, _, _, _, err := h.pointSelectRun(ctx, h.fleetURL, plainPool(), h.tenants[:1], nil)
		return res, err
	}
	// The default pool's rows, which have the targets, alternate with a
	// one-tenant pool kept open beside them; their ratio is to it.
	base, err := h.openPaired(ctx, h.warm, warmGetItem, func(ts []tenancy.Tenant, bind func(tenancy.Tenant) tenancy.Conn, w, d time.Duration) (loadResult, error) {
		return h.pointSelect(ctx, ts, bind, w, d)
	})
	if err != nil {
		return err
	}
	defer base.close()
	plans, err := h.samePlan(ctx)
	if err != nil {
		return err
	}
	// The baseline runs before and after the variants, and counts as
	// their mean, so that a change in the machine's load during the
	// scenario does not favour the variants that ran first.
	first, err := oneTenant()
	if err != nil {
		return fmt.Errorf("one tenant: %w", err)
	}
	var rows []Row
	largest, tunedBest := 0, 0.0
	for _, run := range h.p2Runs() {
		name := variantName(run.n, run.v)
		var paired *pairedBase
		if run.v.name == defaultPool().name {
			paired = base
		}
		res, baseRes, m, st, err := h.pointSelectRun(ctx, h.fleetURL, run.v, h.tenants[:run.n], paired)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		row := Row{Scenario: "P2", Variant: name, Value: res.opsPerSec, Unit: "ops/s",
			BaselineName: "1 tenant", Load: loadAvg(), CPU: res.cpu, Note: h.runNote(m, st)}
		if paired != nil {
			h.pairRow(&row, paired, baseRes)
		}
		if run.n > 1 {
			row.Target = fleetTarget(run.n)
		}
		rows = append(rows, row)
		largest = max(largest, run.n)
		if len(run.v.opts) > 0 && !run.v.ablation && run.n == largest && res.opsPerSec > tunedBest {
			v := run.v
			h.tuned, tunedBest = &v, res.opsPerSec
		}
	}
	last, err := oneTenant()
	if err != nil {
		return fmt.Errorf("one tenant: %w", err)
	}
	one := (first.opsPerSec + last.opsPerSec) / 2
	h.add(Row{Scenario: "P2", Variant: "baseline: 1 tenant, pgxpool with pgx's defaults", Value: one, Unit: "ops/s",
		CPU:  meanCPU(first.cpu, last.cpu),
		Note: fmt.Sprintf("%d clients; mean of %.0f before and %.0f after the variants; %s", h.o.Clients, first.opsPerSec, last.opsPerSec, plans)})
	for _, r := range rows {
		if r.Baseline == 0 {
			r.Baseline = one
		}
		h.add(r)
	}
	if h.o.Short || len(h.tenants) > 99999 {
		return nil
	}
	for _, n := range reachSizes(len(h.tenants)) {
		if err := h.p2Reach(ctx, h.tenants[:n], one); err != nil {
			return err
		}
	}
	return h.ceiling(ctx)
}

// reachSizes are the fleet sizes at which P2 measures what routing can
// reach (see p2Reach) in a fleet of n tenants: those of its sizes from
// 1,000 tenants, where the default pool falls short of one tenant by more
// than its own work.
func reachSizes(n int) []int {
	var sizes []int
	for _, s := range fleetSizes(n) {
		if s >= 1000 {
			sizes = append(sizes, s)
		}
	}
	return sizes
}

// p2Reach adds P2's rows for what routing can reach on ts against the
// one-tenant rate one: the ideal partition (each client its own
// connection and its own share of ts), and random tenants on those
// connections, a busy home waited for, without and with pipelining.
func (h *harness) p2Reach(ctx context.Context, ts []tenancy.Tenant, one float64) error {
	n := len(ts)
	res, m, err := h.idealPointSelect(ctx, ts)
	if err != nil {
		return fmt.Errorf("ideal partition: %w", err)
	}
	h.add(Row{Scenario: "P2", Variant: fmt.Sprintf("ideal partition, %d tenants: each client its own connection and 1/%d of the tenants, all prepared", n, h.o.Clients),
		Value: res.opsPerSec, Unit: "ops/s", Baseline: one, BaselineName: "1 tenant", Load: loadAvg(), CPU: res.cpu,
		Note: fmt.Sprintf("no call waits, every call hits a generic plan; %s", m.note())})
	for _, v := range []struct {
		batch      bool
		name, note string
	}{
		{false, "homes without a pool, %d tenants: random tenants on the ideal partition's connections, a busy home waited for",
			"the default's routing on bare connections, without pipelining; every call hits a generic plan"},
		{true, "pipelined homes without a pool, %d tenants: the same, the calls queued for a home sent in one batch",
			"the Pool's pipelining on bare connections; every call hits a generic plan"},
	} {
		res, m, err := h.homesPointSelect(ctx, ts, v.batch)
		if err != nil {
			return fmt.Errorf("homes: %w", err)
		}
		if res.leaks != 0 {
			return fmt.Errorf("homes: %d rows of another tenant", res.leaks)
		}
		h.add(Row{Scenario: "P2", Variant: fmt.Sprintf(v.name, n),
			Value: res.opsPerSec, Unit: "ops/s", Baseline: one, BaselineName: "1 tenant", Load: loadAvg(), CPU: res.cpu,
			Note: fmt.Sprintf("%s; %s", v.note, m.note())})
	}
	return nil
}

// samePlan compares the generic plan of P2's point select for the one
// tenant the baselines run with that for a tenant in the middle of the
// fleet, and says which they are: the ratios compare routing and caching
// only when both run the same plan. A table bloated by earlier writes can
// get an index scan where the fleet's one-page tables get a sequential
// scan (see freshen).
func (h *harness) samePlan(ctx context.Context) (string, error) {
	one, err := h.scanOf(ctx, h.tenants[0])
	if err != nil {
		return "", err
	}
	fleet, err := h.scanOf(ctx, h.tenants[len(h.tenants)/2])
	if err != nil {
		return "", err
	}
	if one != fleet {
		h.logf("  P2: the one tenant's plan is %s, the fleet's %s: the ratios compare different plans", one, fleet)
		return fmt.Sprintf("its plan %s, the fleet's %s", one, fleet), nil
	}
	return "plan " + one + ", as the fleet's", nil
}

// scanOf returns the node at the top of the generic plan of P2's point
// select for t, as EXPLAIN names it ("Seq Scan", "Index Scan").
func (h *harness) scanOf(ctx context.Context, t tenancy.Tenant) (string, error) {
	c, err := pgx.Connect(ctx, h.fleetURL)
	if err != nil {
		return "", err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		return "", err
	}
	if _, err := c.Prepare(ctx, "scan", tenancy.Bind(c, t).SQL(pipeSQL)); err != nil {
		return "", err
	}
	var line string
	if err := c.QueryRow(ctx, "EXPLAIN (COSTS OFF) EXECUTE scan(1)", pgx.QueryExecModeSimpleProtocol).Scan(&line); err != nil {
		return "", fmt.Errorf("plan of %s: %w", t.ID(), err)
	}
	node, _, _ := strings.Cut(strings.TrimSpace(line), " on ")
	return node, nil
}
