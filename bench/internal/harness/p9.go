package harness

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/tenancy"
)

// p9Tenants is the size of P9's fleet: routing costs a map lookup per
// Bind, whatever the fleet's size, so a small fleet keeps the load short.
const p9Tenants = 100

// p9Server is the one server of P9's tenancy.Fleet, named in its
// registry's server column.
const p9Server = "main"

// p9Rounds is how many rounds of each side P9 alternates.
func (h *harness) p9Rounds() int {
	if h.o.Short {
		return 3
	}
	return 5
}

// alternateLoads runs a and b rounds times each, alternating which goes first
// (a b, b a, a b, …) so that a drift in the machine's load weighs on both
// sides alike, and returns each side's rounds merged.
func alternateLoads(rounds int, a, b func() (loadResult, error)) (loadResult, loadResult, error) {
	var ra, rb []loadResult
	for i := range rounds {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		r1, err := first()
		if err != nil {
			return loadResult{}, loadResult{}, err
		}
		r2, err := second()
		if err != nil {
			return loadResult{}, loadResult{}, err
		}
		if i%2 == 1 {
			r1, r2 = r2, r1
		}
		ra, rb = append(ra, r1), append(rb, r2)
	}
	return mergeRounds(ra), mergeRounds(rb), nil
}

// mergeRounds adds up rounds of equal length: the mean rate, the total
// counts, and the CPU per operation weighted by each round's operations.
func mergeRounds(rs []loadResult) loadResult {
	var m loadResult
	var cpu, client float64
	for _, r := range rs {
		m.opsPerSec += r.opsPerSec / float64(len(rs))
		m.ops += r.ops
		m.leaks += r.leaks
		m.calls += r.calls
		cpu += float64(r.cpu.all) * float64(r.ops)
		client += float64(r.cpu.client) * float64(r.ops)
	}
	if m.ops > 0 {
		m.cpu = opCPU{time.Duration(cpu / float64(m.ops)), time.Duration(client / float64(m.ops))}
	}
	return m
}

// routingFleet loads P9's database: the shared tables, a registry with
// the server column migrate.Servers adds, and p9Tenants tenants with the
// core tables, each placed on p9Server.
func (h *harness) routingFleet(ctx context.Context) (string, error) {
	u, err := h.newDatabase(ctx, "routing")
	if err != nil {
		return "", err
	}
	shared, err := h.readSchema("shared")
	if err != nil {
		return "", err
	}
	core, err := fs.ReadFile(h.schemaFS, "schema/002_tenant.sql")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(shared)
	fmt.Fprintf(&b, "INSERT INTO plans (id, name, price_cents) SELECT g, 'plan ' || g, g * 100 FROM generate_series(1, %d) g;\n", planRows)
	b.WriteString("ALTER TABLE public.tenants ADD COLUMN IF NOT EXISTS server text;\n")
	for i := range p9Tenants {
		b.WriteString(tenantSQL(string(core), fleetID(i), fleetItems))
	}
	fmt.Fprintf(&b, "UPDATE public.tenants SET server = '%s';\nANALYZE;\n", p9Server)
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, b.String()); err != nil {
		return "", fmt.Errorf("load routing fleet: %w", err)
	}
	return u, nil
}

// p9 measures what a tenancy.Fleet's routing costs: the point select
// through Fleet.Bind on a one-server fleet against the same call through
// Pool.Bind on a tenancy.Pool of the same server, with as many
// connections, in alternating rounds.
func (h *harness) p9(ctx context.Context) error {
	start := time.Now()
	u, err := h.routingFleet(ctx)
	if err != nil {
		return err
	}
	p, err := h.open(ctx, u, h.o.Clients, defaultPool())
	if err != nil {
		return err
	}
	defer p.close()
	// The same configuration h.open gives the Pool, its tracer included.
	cfg, err := poolConfig(u, h.o.Clients, pgx.QueryExecModeCacheStatement, 0)
	if err != nil {
		return err
	}
	cfg.ConnConfig.Tracer = &prepCounter{}
	fleet, err := tenancy.NewFleet(ctx, []tenancy.Server{{Name: p9Server, Config: cfg}})
	if err != nil {
		return err
	}
	defer fleet.Close()
	for deadline := time.Now().Add(10 * time.Second); fleet.Control().Stat().TotalConns < int32(h.o.Clients) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	f := &opened{v: poolVariant{name: "Fleet (1 server)"}, conns: h.o.Clients, close: fleet.Close,
		acquire: fleet.Control().Acquire, bind: fleet.Bind, stat: fleet.Control().Stat}

	// The Pool's tenants come from a registry without placement, the
	// Fleet's from its own, which reads the server column.
	reg := tenancy.NewRegistry(fleet.Control())
	direct, routed := make([]tenancy.Tenant, p9Tenants), make([]tenancy.Tenant, p9Tenants)
	for i := range p9Tenants {
		if direct[i], err = reg.Lookup(ctx, fleetID(i)); err != nil {
			return err
		}
		if routed[i], err = fleet.Registry().Lookup(ctx, fleetID(i)); err != nil {
			return err
		}
		if routed[i].Server() != p9Server {
			return fmt.Errorf("tenant %s placed on %q, want %q", fleetID(i), routed[i].Server(), p9Server)
		}
	}
	if err := h.warm(ctx, p, direct, warmGetItem); err != nil {
		return err
	}
	if err := h.warm(ctx, f, routed, warmGetItem); err != nil {
		return err
	}
	h.logf("  P9 set up in %s", time.Since(start).Round(time.Millisecond))
	warm := h.o.Duration / 5
	poolRes, fleetRes, err := alternateLoads(h.p9Rounds(),
		func() (loadResult, error) { return h.pointSelect(ctx, direct, p.bind, warm, h.o.Duration) },
		func() (loadResult, error) { return h.pointSelect(ctx, routed, f.bind, warm, h.o.Duration) })
	if err != nil {
		return err
	}
	if poolRes.leaks+fleetRes.leaks != 0 {
		return fmt.Errorf("%d rows of another tenant", poolRes.leaks+fleetRes.leaks)
	}
	h.add(Row{Scenario: "P9", Variant: fmt.Sprintf("Fleet.Bind, 1 server, %d tenants", p9Tenants),
		Value: fleetRes.opsPerSec, Unit: "ops/s", Baseline: poolRes.opsPerSec, BaselineName: "Pool.Bind, same server",
		Target: 0.97, Load: loadAvg(), CPU: fleetRes.cpu,
		Note: fmt.Sprintf("point select; %d conns each; %d alternating rounds of %s; Pool.Bind %s CPU/op", h.o.Clients,
			h.p9Rounds(), h.o.Duration, poolRes.cpu)})
	return nil
}
