package harness

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/tenancy"
)

// Homes without a pool, waiting and pipelined: the routing a pool could
// add to its tenants' homes, measured here before it is built, and the
// same homes waiting in turn, as tenancy.Pool's calls do, without a pool. Clients call random tenants, as P2's
// do, each tenant on its home connection (the ideal partition's
// connections and shares); a call that finds its home busy queues there,
// and the call holding the home sends every queued call in one pipelined
// batch when its own is done, instead of handing the connection on call by
// call. It bounds what that would gain over waiting for the home: the
// queued calls cost one round trip and no idle backend between them.
//
// tenancy.Pool does not do this: a queued call's result would have to be
// decoded for a caller that scans it later, outside the call holding the
// connection, and pgx's type map, which decodes it, is not safe for that
// concurrent use. Here the batch's caller checks every row itself.

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
