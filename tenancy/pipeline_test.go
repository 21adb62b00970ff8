package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// queryCounter counts the queries a tracer saw start and end.
type queryCounter struct{ starts, ends, failed atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.starts.Add(1)
	return ctx
}

func (q *queryCounter) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	q.ends.Add(1)
	if d.Err != nil {
		q.failed.Add(1)
	}
}

// waitBusy waits until n calls hold or wait for p's connections.
func waitBusy(t *testing.T, p *tenancy.Pool, n int32) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); tenancy.Busy(p) != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls busy, want %d", tenancy.Busy(p), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// keepPrepared runs each of qs (an owner lookup of item 1) twice on c, so
// that p's connection keeps it prepared and it can be pipelined.
func keepPrepared(t *testing.T, p *tenancy.Pool, c tenancy.Conn, qs ...*tenancy.SQL) {
	t.Helper()
	for range 2 {
		for _, q := range qs {
			var o string
			if err := c.QueryRow(context.Background(), c.SQL(q), 1).Scan(&o); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range qs {
		if !tenancy.IsPrepared(t, p, c.SQL(q)) {
			t.Fatalf("%q is not prepared", c.SQL(q))
		}
	}
}

// queueBehindTx holds the only connection of p in a transaction while it
// starts each of calls in a goroutine of its own, once the one before is
// queued; it then runs whileHeld (if any) and commits, so that the queued
// calls run. It returns a wait for the calls to end.
func queueBehindTx(t *testing.T, p *tenancy.Pool, calls []func(), whileHeld func(pgx.Tx)) (wait func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := p.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		go func() { defer wg.Done(); call() }()
		waitBusy(t, p, int32(i+2))
	}
	if whileHeld != nil {
		whileHeld(tx)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return wg.Wait
}

// Calls queued for a busy connection run together in one pipeline, each
// in its own implicit transaction: a call that fails does not undo the
// writes of the others, a call whose context ends while it is queued is
// not sent, each caller reads its own row, and the application's tracer
// sees every call.
func TestPoolPipelinesQueuedCallsEachOnItsOwn(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	ctx := context.Background()
	pgtest.MustExec(t, pgtest.Connect(t, url), "CREATE TABLE tenant_t0.marks (id int PRIMARY KEY)")
	qc := &queryCounter{}
	p := openPool(t, url, 1, func(c *pgxpool.Config) { c.ConnConfig.Tracer = qc })
	c := p.Bind(tenants[0])
	insert := tenancy.NewSQL("INSERT INTO marks VALUES ($1) RETURNING id", 12)
	owner := tenancy.NewSQL("SELECT owner FROM items WHERE id = $1", 18)
	owners := tenancy.NewSQL("SELECT owner FROM items WHERE id >= $1 ORDER BY id", 18)
	ratio := tenancy.NewSQL("SELECT 10 / $1::int FROM items", 25)
	touch := tenancy.NewSQL("UPDATE items SET owner = owner WHERE id = $1", 7)
	// Each statement runs twice, to be kept prepared.
	for _, id := range []int{1000, 1001} {
		var got int
		if err := c.QueryRow(ctx, c.SQL(insert), id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		var o string
		if err := c.QueryRow(ctx, c.SQL(owner), 1).Scan(&o); err != nil {
			t.Fatal(err)
		}
		rows, _ := c.Query(ctx, c.SQL(owners), 1)
		if _, err := pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		rows, _ = c.Query(ctx, c.SQL(ratio), 5)
		if _, err := pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, c.SQL(touch), 1); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []*tenancy.SQL{insert, owner, owners, ratio, touch} {
		if !tenancy.IsPrepared(t, p, c.SQL(q)) {
			t.Fatalf("%q is not prepared", c.SQL(q))
		}
	}
	before := p.Stat()
	startsBefore := qc.starts.Load()

	// A transaction holds the only connection while the calls queue.
	type result struct {
		what string
		err  error
	}
	type call struct {
		name string
		run  func(context.Context) result
	}
	var calls []call
	for _, id := range []int{1, 2, 1000, 3} {
		calls = append(calls, call{fmt.Sprintf("insert %d", id), func(ctx context.Context) result {
			var got int
			err := c.QueryRow(ctx, c.SQL(insert), id).Scan(&got)
			return result{fmt.Sprint(got), err}
		}})
	}
	for _, id := range []int{1, 2} {
		calls = append(calls, call{fmt.Sprintf("owner %d", id), func(ctx context.Context) result {
			var o string
			err := c.QueryRow(ctx, c.SQL(owner), id).Scan(&o)
			return result{o, err}
		}})
	}
	calls = append(calls,
		call{"owners", func(ctx context.Context) result {
			rows, _ := c.Query(ctx, c.SQL(owners), 1)
			os, err := pgx.CollectRows(rows, pgx.RowTo[string])
			return result{fmt.Sprint(os), err}
		}},
		call{"ratio 0", func(ctx context.Context) result {
			rows, _ := c.Query(ctx, c.SQL(ratio), 0)
			rs, err := pgx.CollectRows(rows, pgx.RowTo[int])
			return result{fmt.Sprint(rs), err}
		}},
		call{"touch", func(ctx context.Context) result {
			tag, err := c.Exec(ctx, c.SQL(touch), 1)
			return result{tag.String(), err}
		}},
	)
	results := make([]result, len(calls))
	runs := make([]func(), len(calls))
	for i, call := range calls {
		runs[i] = func() { results[i] = call.run(ctx) }
	}
	queueBehindTx(t, p, runs, func(pgx.Tx) {
		// One more call queues, and gives up before the connection is
		// free.
		cctx, cancel := context.WithCancel(ctx)
		gaveUp := make(chan error)
		go func() {
			var got int
			gaveUp <- c.QueryRow(cctx, c.SQL(insert), 4).Scan(&got)
		}()
		waitBusy(t, p, int32(len(calls)+2))
		cancel()
		if err := <-gaveUp; !errors.Is(err, context.Canceled) {
			t.Errorf("the call that gave up: %v, want context.Canceled", err)
		}
	})()
	traced := qc.starts.Load() - startsBefore

	want := []string{"1", "2", "", "3", "t0", "", "[t0]", "", "UPDATE 1"}
	for i, r := range results {
		switch {
		case calls[i].name == "insert 1000":
			if pe, ok := errors.AsType[*pgconn.PgError](r.err); !ok || pe.Code != "23505" {
				t.Errorf("%s: %v, want a unique violation", calls[i].name, r.err)
			}
		case calls[i].name == "owner 2":
			if !errors.Is(r.err, pgx.ErrNoRows) {
				t.Errorf("%s: %v, want pgx.ErrNoRows", calls[i].name, r.err)
			}
		case calls[i].name == "ratio 0":
			if pe, ok := errors.AsType[*pgconn.PgError](r.err); !ok || pe.Code != "22012" {
				t.Errorf("%s: %v, want a division by zero", calls[i].name, r.err)
			}
		case r.err != nil || r.what != want[i]:
			t.Errorf("%s: %q, %v; want %q", calls[i].name, r.what, r.err, want[i])
		}
	}
	if got := p.Stat().Pipelined - before.Pipelined; got != int64(len(calls)) {
		t.Errorf("%d calls pipelined, want %d", got, len(calls))
	}
	rows, _ := p.Query(ctx, "SELECT id FROM tenant_t0.marks ORDER BY id")
	marks, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(marks) != "[1 2 3 1000 1001]" {
		t.Errorf("marks %v, want [1 2 3 1000 1001]: each insert commits on its own, the one that gave up is not sent", marks)
	}
	// The tracer saw each pipelined call start and end, beside the
	// transaction's begin and commit.
	if traced != int64(len(calls))+2 {
		t.Errorf("the tracer saw %d calls start, want %d", traced, len(calls)+2)
	}
	if qc.starts.Load() != qc.ends.Load() {
		t.Errorf("the tracer saw %d calls start and %d end", qc.starts.Load(), qc.ends.Load())
	}
	// The connection is back in the pool, idle.
	if st := p.Stat(); st.AcquiredConns != 0 || tenancy.Busy(p) != 0 {
		t.Errorf("after the pipeline: %+v, %d busy", st, tenancy.Busy(p))
	}
}

// A pipeline whose connection dies fails every call in it, and the pool
// goes on with a new connection.
func TestPoolPipelineOnADeadConnection(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	ctx := context.Background()
	p := openPool(t, url, 1, nil)
	c := p.Bind(tenants[0])
	slow := tenancy.NewSQL("SELECT owner FROM items, pg_sleep(0.3) WHERE id = $1", 18)
	keepPrepared(t, p, c, slow)
	var pid int32
	errs := make(chan error, 3)
	call := func() {
		var o string
		errs <- c.QueryRow(ctx, c.SQL(slow), 1).Scan(&o)
	}
	queueBehindTx(t, p, []func(){call, call, call}, func(tx pgx.Tx) {
		if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Error(err)
		}
	})
	// Once the three are sent (each sleeps 0.3 s), the backend dies.
	for deadline := time.Now().Add(10 * time.Second); p.Stat().Pipelined < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls pipelined, want 3", p.Stat().Pipelined)
		}
		time.Sleep(time.Millisecond)
	}
	pgtest.MustExec(t, pgtest.Connect(t, url), fmt.Sprintf("SELECT pg_terminate_backend(%d)", pid))
	for range 3 {
		if err := <-errs; err == nil {
			t.Error("a call on the terminated connection succeeded")
		}
	}
	var o string
	if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&o); err != nil || o != "t0" {
		t.Errorf("after the dead connection: %q, %v", o, err)
	}
	if st := p.Stat(); st.Pipelined != 3 {
		t.Errorf("%d calls pipelined, want 3", st.Pipelined)
	}
}

var (
	ownersFrom = tenancy.NewSQL("SELECT owner FROM items WHERE id >= $1 ORDER BY id", 18)
	touchOwner = tenancy.NewSQL("UPDATE items SET owner = owner WHERE owner = $1", 7)
)

// Many goroutines on few connections: the calls (QueryRow, Query, Exec)
// queue, run in pipelines, and every row is its tenant's.
func TestPoolPipelinesKeepTenantsApart(t *testing.T) {
	url, tenants := poolFleet(t, 8)
	p := openPool(t, url, 2, nil)
	var g errgroup.Group
	for w := range 16 {
		g.Go(func() error {
			r := rand.New(rand.NewPCG(uint64(w), 3))
			ctx := context.Background()
			for range 400 {
				c := p.Bind(tenants[r.IntN(len(tenants))])
				var os []string
				switch r.IntN(3) {
				case 0:
					var o string
					if err := c.QueryRow(ctx, c.SQL(ownerByID), 1).Scan(&o); err != nil {
						return err
					}
					os = []string{o}
				case 1:
					rows, _ := c.Query(ctx, c.SQL(ownersFrom), 1)
					var err error
					if os, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
						return err
					}
				case 2:
					tag, err := c.Exec(ctx, c.SQL(touchOwner), c.Tenant().ID())
					if err != nil {
						return err
					}
					if tag.RowsAffected() != 1 {
						return fmt.Errorf("tenant %s: %s, want UPDATE 1", c.Tenant().ID(), tag)
					}
					os = []string{c.Tenant().ID()}
				}
				if len(os) != 1 || os[0] != c.Tenant().ID() {
					return fmt.Errorf("tenant %s read rows of %v", c.Tenant().ID(), os)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if st := p.Stat(); st.Pipelined == 0 || tenancy.Busy(p) != 0 {
		t.Errorf("stats %+v, %d busy: want pipelined calls, none busy at the end", st, tenancy.Busy(p))
	}
}

// A statement whose result took longer than HomeWait in a pipeline is
// marked slow: no call waits behind it in a pipeline again (it would
// otherwise have taken another connection after HomeWait).
func TestPoolPipelineSkipsSlowStatements(t *testing.T) {
	url, tenants := poolFleet(t, 1)
	ctx := context.Background()
	p := openPool(t, url, 1, nil)
	c := p.Bind(tenants[0])
	slow := tenancy.NewSQL("SELECT owner FROM items, pg_sleep(0.1) WHERE id = $1", 18)
	keepPrepared(t, p, c, slow, ownerByID)
	// The slow statement, then a fast one, queued behind a transaction.
	queue := func() {
		t.Helper()
		var calls []func()
		for _, q := range []*tenancy.SQL{slow, ownerByID} {
			calls = append(calls, func() {
				var o string
				if err := c.QueryRow(ctx, c.SQL(q), 1).Scan(&o); err != nil {
					t.Error(err)
				}
			})
		}
		queueBehindTx(t, p, calls, nil)()
	}
	queue()
	if n := p.Stat().Pipelined; n != 2 {
		t.Fatalf("first time: %d calls pipelined, want 2", n)
	}
	queue()
	if n := p.Stat().Pipelined; n != 2 {
		t.Errorf("after the slow statement was seen: %d calls pipelined in all, want still 2", n)
	}
}
