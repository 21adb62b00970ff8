package harness

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/tenancy"
)

// Homes without a pool, waiting and pipelined: tenancy.Pool's routing on
// bare connections, without the Pool around it. Clients call random
// tenants, as P2's do, each tenant on its home connection (the ideal
// partition's connections and shares); a call that finds its home busy
// queues there. Waiting, the call holding the home hands it to the first
// queued call when its own is done, as the Pool did before it pipelined;
// pipelined, it sends every queued call in one batch, as the Pool now does
// for QueryRow calls (tenancy/pipeline.go). The two rows separate what the
// wait for a home costs from what the Pool around it costs. The batch's
// caller checks every row itself, which the Pool cannot do for its callers
// (see tenancy/pipeline.go), and its batch runs in one implicit
// transaction, which is harmless for reads only.

// pipeSQL is the point select of P2 (GetItem) without its name comment.
var pipeSQL = tenancy.NewSQL("SELECT id, plan_id, name, qty, note FROM items WHERE id = $1", 41)

// pipeCall is one call queued on a home.
type pipeCall struct {
	sql, tenant string
	id          int64
	err         error
	// done receives true when the call is to run the queue itself (the
	// home was handed to it), false when its result is in err.
	done chan bool
}

// pipeHome is a connection and the calls queued for it.
type pipeHome struct {
	conn *pgx.Conn
	// batch says whether the call holding the home runs the queued calls
	// in its batch; without, it hands the home to the first of them.
	batch bool
	// batched counts the calls that ran in a batch of several.
	batched atomic.Int64
	mu      sync.Mutex
	busy    bool
	pending []*pipeCall
}

// do runs c on h: at once when h is free, else queued, run in a batch by
// the call holding h.
func (h *pipeHome) do(ctx context.Context, c *pipeCall) error {
	h.mu.Lock()
	if h.busy {
		h.pending = append(h.pending, c)
		h.mu.Unlock()
		if !<-c.done {
			return c.err
		}
		h.mu.Lock()
	}
	h.busy = true
	calls := []*pipeCall{c}
	if h.batch {
		calls = append(calls, h.pending...)
		h.pending = nil
	}
	h.mu.Unlock()
	h.run(ctx, calls)
	h.mu.Lock()
	if len(h.pending) > 0 {
		next := h.pending[0]
		h.pending = h.pending[1:]
		h.mu.Unlock()
		next.done <- true
	} else {
		h.busy = false
		h.mu.Unlock()
	}
	for _, o := range calls[1:] {
		o.done <- false
	}
	return c.err
}

// run runs calls on h's connection, in one batch when there are several,
// and checks that each row is its tenant's.
func (h *pipeHome) run(ctx context.Context, calls []*pipeCall) {
	var it struct {
		id, plan int64
		name     string
		qty      int32
		note     string
	}
	scan := func(row pgx.Row, c *pipeCall) {
		c.err = row.Scan(&it.id, &it.plan, &it.name, &it.qty, &it.note)
		if c.err == nil && it.note != c.tenant {
			c.err = errWrongTenant
		}
	}
	if len(calls) == 1 {
		scan(h.conn.QueryRow(ctx, calls[0].sql, calls[0].id), calls[0])
		return
	}
	h.batched.Add(int64(len(calls)))
	b := &pgx.Batch{}
	for _, c := range calls {
		b.Queue(c.sql, c.id)
	}
	br := h.conn.SendBatch(ctx, b)
	for _, c := range calls {
		scan(br.QueryRow(), c)
	}
	if err := br.Close(); err != nil {
		for _, c := range calls {
			if c.err == nil {
				c.err = err
			}
		}
	}
}

// homesPointSelect is P2's point select over ts on homes, their queued
// calls run in one batch (batch) or in turn.
func (h *harness) homesPointSelect(ctx context.Context, ts []tenancy.Tenant, batch bool) (loadResult, backendMem, error) {
	var homes []*pipeHome
	var sqls []string
	warm := func(ctx context.Context, c tenancy.Conn) error {
		var id int64
		return c.QueryRow(ctx, c.SQL(pipeSQL), 1).Scan(&id, nil, nil, nil, nil)
	}
	return h.idealPartition(ctx, ts, 1, warm, func(w int, shares [][]tenancy.Conn, conns []*pgx.Conn) opFunc {
		n := len(shares)
		if homes == nil {
			for _, c := range conns {
				homes = append(homes, &pipeHome{conn: c, batch: batch})
			}
			// Tenant i is the (i/n)th of share i%n, on connection i%n.
			sqls = make([]string, len(ts))
			for i := range ts {
				sqls[i] = shares[i%n][i/n].SQL(pipeSQL)
			}
		}
		c := &pipeCall{done: make(chan bool, 1)}
		return func(ctx context.Context, r *rand.Rand) error {
			i := r.IntN(len(ts))
			c.sql, c.tenant, c.id, c.err = sqls[i], ts[i].ID(), r.Int64N(fleetItems)+1, nil
			return homes[i%n].do(ctx, c)
		}
	}, nil)
}
