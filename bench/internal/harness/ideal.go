package harness

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/bench/internal/tenantdb"
	"github.com/tenantc/tenantc/tenancy"
)

// The ideal partition: the best any client-side strategy can do for a
// fleet, memory aside. Each client has a connection of its own and owns
// every clients-th tenant, so no call waits for a connection, every
// statement stays prepared with a generic plan (pgx's statement cache
// sized for all of the client's statements, whatever their memory), and
// each backend caches only its share of the fleet. Real traffic does not
// pick its tenant by the free connection, so a pool can only approach it;
// what it leaves below the one-tenant rate is the server's cost of a large
// catalog.

// idealPartition warms each client's tenants of ts with warmOne on the
// client's own connection, prepared, then runs newOp(w, shares, conns)
// from each client w, shares[w] being its share of the tenants bound to
// conns[w]; it returns the result and the backends' memory. perTenant is the number of statements a tenant's calls prepare;
// finish, if not nil, runs after the load, while the connections are open.
func (h *harness) idealPartition(ctx context.Context, ts []tenancy.Tenant, perTenant int,
	warmOne func(context.Context, tenancy.Conn) error, newOp func(w int, shares [][]tenancy.Conn, conns []*pgx.Conn) opFunc,
	finish func(context.Context) error) (loadResult, backendMem, error) {
	clients := h.o.Clients
	share := (len(ts) + clients - 1) / clients
	conns := make([]*pgx.Conn, clients)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close(context.Background())
			}
		}
	}()
	mine := make([][]tenancy.Conn, clients)
	g, gctx := errgroup.WithContext(ctx)
	for w := range clients {
		g.Go(func() error {
			cfg, err := pgx.ParseConfig(h.fleetURL)
			if err != nil {
				return err
			}
			cfg.StatementCacheCapacity = share*perTenant + 64
			cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
			cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
			c, err := pgx.ConnectConfig(gctx, cfg)
			if err != nil {
				return err
			}
			conns[w] = c
			for i := w; i < len(ts); i += clients {
				tc := tenancy.Bind(c, ts[i])
				if err := warmOne(gctx, tc); err != nil {
					return fmt.Errorf("warming %s: %w", ts[i].ID(), err)
				}
				mine[w] = append(mine[w], tc)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return loadResult{}, backendMem{}, err
	}
	res, err := h.loadEach(ctx, clients, h.warmup(), h.o.Duration, func(w int) opFunc { return newOp(w, mine, conns) })
	if finish != nil {
		if ferr := finish(ctx); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err != nil {
		return res, backendMem{}, err
	}
	m := backendMem{backends: clients}
	for _, c := range conns {
		var total, plans int64
		if err := c.QueryRow(ctx, memorySQL).Scan(&total, &plans); err != nil {
			return res, m, fmt.Errorf("backend memory: %w", err)
		}
		if total > m.largest {
			m.largest, m.largestPlans = total, plans
		}
		m.maxPlans = max(m.maxPlans, plans)
	}
	return res, m, nil
}

// idealPointSelect is P2's point select on the ideal partition.
func (h *harness) idealPointSelect(ctx context.Context, ts []tenancy.Tenant) (loadResult, backendMem, error) {
	return h.idealPartition(ctx, ts, 1, warmGetItem, func(w int, shares [][]tenancy.Conn, _ []*pgx.Conn) opFunc {
		qs := make([]*tenantdb.TenantQueries, len(shares[w]))
		for i, c := range shares[w] {
			qs[i] = tenantdb.NewTenant(c)
		}
		return func(ctx context.Context, r *rand.Rand) error { return getItemOf(ctx, r, qs) }
	}, nil)
}

// idealMix is P8's mix on the ideal partition, each client's tenants drawn
// by dist among its own share.
func (h *harness) idealMix(ctx context.Context, ts []tenancy.Tenant, dist mixDist) (loadResult, backendMem, error) {
	var clients []*mixClient
	return h.idealPartition(ctx, ts, mixKinds, warmMix, func(w int, shares [][]tenancy.Conn, _ []*pgx.Conn) opFunc {
		qs := make([]*tenantdb.TenantQueries, len(shares[w]))
		for i, c := range shares[w] {
			qs[i] = tenantdb.NewTenant(c)
		}
		c := newMixClient()
		clients = append(clients, c)
		return shareMix(w, qs, dist, c)
	}, func(ctx context.Context) error {
		for _, c := range clients {
			if err := c.drain(ctx); err != nil {
				return fmt.Errorf("drain: %w", err)
			}
		}
		return nil
	})
}

// shareMix is client w's mix on its own share of the tenants, qs, drawn by
// dist (for Zipf, ranked by a permutation of its own), run by c.
func shareMix(w int, qs []*tenantdb.TenantQueries, dist mixDist, c *mixClient) opFunc {
	rank := rand.New(rand.NewPCG(uint64(len(qs)), uint64(w))).Perm(len(qs))
	var z *rand.Zipf
	return func(ctx context.Context, r *rand.Rand) error {
		i := r.IntN(len(qs))
		if dist.zipf {
			if z == nil {
				z = rand.NewZipf(r, zipfS, 1, uint64(len(qs)-1))
			}
			i = rank[z.Uint64()]
		}
		return c.run(ctx, r, r.IntN(mixKinds), qs[i])
	}
}

// boundedIdealMix is P8's mix on the ideal partition within the default
// Pool's memory bound: each client has a NewPool of one connection, with
// no options, over its own share of the tenants, so no call waits or
// spills, and the statements kept and the backend's memory are what the
// default allows. It tells what any routing could reach within that
// bound; the unbounded ideal partition, what the server reaches with
// every statement prepared. The pools settle for settleMax/2, untimed,
// then run; it returns the result, the backends' memory and a note on
// how the timed calls ran.
func (h *harness) boundedIdealMix(ctx context.Context, ts []tenancy.Tenant, dist mixDist) (loadResult, backendMem, string, error) {
	clients := h.o.Clients
	pools := make([]*tenancy.Pool, clients)
	defer func() {
		for _, p := range pools {
			if p != nil {
				p.Close()
			}
		}
	}()
	mine := make([][]*tenantdb.TenantQueries, clients)
	g, gctx := errgroup.WithContext(ctx)
	for w := range clients {
		g.Go(func() error {
			cfg, err := poolConfig(h.fleetURL, 1, pgx.QueryExecModeCacheStatement, 0)
			if err != nil {
				return err
			}
			if pools[w], err = tenancy.NewPool(gctx, cfg); err != nil {
				return err
			}
			for i := w; i < len(ts); i += clients {
				c := pools[w].Bind(ts[i])
				if err := warmMix(gctx, c); err != nil {
					return fmt.Errorf("warming %s: %w", ts[i].ID(), err)
				}
				mine[w] = append(mine[w], tenantdb.NewTenant(c))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return loadResult{}, backendMem{}, "", err
	}
	var mixers []*mixClient
	newOp := func(w int) opFunc {
		c := newMixClient()
		mixers = append(mixers, c)
		return shareMix(w, mine[w], dist, c)
	}
	stats := func() tenancy.Stats {
		var st tenancy.Stats
		for _, p := range pools {
			s := p.Stat()
			st.Hits += s.Hits
			st.Prepared += s.Prepared
			st.Unprepared += s.Unprepared
			st.Recycled += s.Recycled
		}
		return st
	}
	_, err := h.loadEach(ctx, clients, 0, h.settleMax()/2, newOp)
	before := stats()
	var res loadResult
	if err == nil {
		res, err = h.loadEach(ctx, clients, h.warmup(), h.o.Duration, newOp)
	}
	after := stats()
	for _, c := range mixers {
		if derr := c.drain(ctx); derr != nil && err == nil {
			err = fmt.Errorf("drain: %w", derr)
		}
	}
	if err != nil {
		return res, backendMem{}, "", err
	}
	m := backendMem{backends: clients}
	for _, p := range pools {
		c, err := p.Acquire(ctx)
		if err != nil {
			return res, m, "", err
		}
		var total, plans int64
		err = c.QueryRow(ctx, memorySQL).Scan(&total, &plans)
		c.Release()
		if err != nil {
			return res, m, "", fmt.Errorf("backend memory: %w", err)
		}
		if total > m.largest {
			m.largest, m.largestPlans = total, plans
		}
		m.maxPlans = max(m.maxPlans, plans)
	}
	stmts := (after.Hits - before.Hits) + (after.Prepared - before.Prepared) + (after.Unprepared - before.Unprepared)
	note := fmt.Sprintf("timed calls: %.0f%% hit a prepared statement", 100*float64(after.Hits-before.Hits)/float64(max(stmts, 1)))
	if r := after.Recycled - before.Recycled; r > 0 {
		note += fmt.Sprintf("; %d connections recycled over the backend memory bound", r)
	}
	return res, m, note, nil
}
