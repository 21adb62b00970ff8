// Package workload is the mixed tenant workload of tenantc's isolation and
// reliability tests: many goroutines run the generated queries of
// internal/isolation/db — inserts, reads, updates, deletes, a join with the
// shared registry, batches, a copy and transactions — for many tenants at
// once, checking that every row read or written belongs to the tenant that
// asked, and then that each tenant's schema holds only its own rows.
//
// It runs on a *pgxpool.Pool, a *tenancy.Pool or a *tenancy.Fleet. Errors
// are counted, not fatal, so that the reliability tests can inject faults;
// the isolation test fails on any.
package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantc/tenantc/internal/isolation/db"
	"github.com/tenantc/tenantc/tenancy"
)

// DB is what the workload runs on: a *pgxpool.Pool, a *tenancy.Pool or a
// *tenancy.Fleet.
type DB interface {
	tenancy.DBTX
	Begin(context.Context) (pgx.Tx, error)
}

// opNames names the operations of [Load.Step], by index.
var opNames = [...]string{"insert", "get", "list", "update", "delete", "tag+join", "batchexec", "batchone", "copyfrom", "tx"}

// rowBounds is what the workloads of one database know about its rows.
// Item counts are kept as bounds: an insert or delete whose error arrives
// with the connection's end (a crash, a restart) may or may not have
// committed.
type rowBounds struct {
	// low and high bound each tenant's committed item count; they are
	// equal while no write fails.
	low, high []atomic.Int64
	// inserted counts each tenant's inserts ever, which bounds its ids.
	inserted []atomic.Int64
	// leaks counts rows of another tenant seen by a read or a write.
	leaks   atomic.Int64
	mu      sync.Mutex
	leakLog []string
}

// Load is a mixed workload over many tenants through one database, and
// what it observed.
type Load struct {
	db      DB
	tenants []tenancy.Tenant
	rows    *rowBounds
	// ok counts successful operations by kind, okBy by tenant; failed
	// counts errors by tenant.
	ok, okBy, failed []atomic.Int64
	// OnError, when set, sees every error with its tenant's index. Set it
	// before [Load.Run].
	OnError func(ti int, err error)

	mu sync.Mutex
	// errKinds counts errors by kind (SQLSTATE or error type).
	errKinds map[string]int64
	errLog   map[string]string // an example message per kind
}

// New returns a workload over tenants through d, whose tables are empty.
func New(d DB, tenants []tenancy.Tenant) *Load {
	n := len(tenants)
	rows := &rowBounds{low: make([]atomic.Int64, n), high: make([]atomic.Int64, n), inserted: make([]atomic.Int64, n)}
	return newOn(d, tenants, rows)
}

func newOn(d DB, tenants []tenancy.Tenant, rows *rowBounds) *Load {
	n := len(tenants)
	return &Load{
		db: d, tenants: tenants, rows: rows,
		ok: make([]atomic.Int64, len(opNames)), okBy: make([]atomic.Int64, n), failed: make([]atomic.Int64, n),
		errKinds: map[string]int64{}, errLog: map[string]string{},
	}
}

// On returns a workload on the same tenants and rows through another
// database handle (a second app instance), with counts of its own.
func (l *Load) On(d DB) *Load { return newOn(d, l.tenants, l.rows) }

// errKind names the kind of err: its SQLSTATE, or its Go type.
func errKind(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return "SQLSTATE " + pgErr.Code
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return "connect error"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection lost"
	case pgconn.SafeToRetry(err):
		return "not sent (safe to retry)"
	}
	return fmt.Sprintf("%T", errors.Unwrap(err))
}

// fail records err, from an operation for tenant ti.
func (l *Load) fail(ti int, op string, err error) {
	l.failed[ti].Add(1)
	if l.OnError != nil {
		l.OnError(ti, err)
	}
	k := errKind(err)
	l.mu.Lock()
	l.errKinds[k]++
	if _, ok := l.errLog[k]; !ok {
		l.errLog[k] = fmt.Sprintf("%s for tenant %s: %v", op, l.tenants[ti].ID(), err)
	}
	l.mu.Unlock()
}

// Errors returns the number of errors.
func (l *Load) Errors() int64 {
	var n int64
	for i := range l.failed {
		n += l.failed[i].Load()
	}
	return n
}

// Done returns the number of successful operations.
func (l *Load) Done() int64 {
	var n int64
	for i := range l.ok {
		n += l.ok[i].Load()
	}
	return n
}

// Summary describes the operations and errors so far, for the test log.
func (l *Load) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d operations ok (", l.Done())
	for i := range l.ok {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%d", opNames[i], l.ok[i].Load())
	}
	fmt.Fprintf(&b, "), %d errors, %d foreign rows", l.Errors(), l.rows.leaks.Load())
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(l.errKinds)) {
		fmt.Fprintf(&b, "\n  %s: %d, e.g. %s", k, l.errKinds[k], l.errLog[k])
	}
	return b.String()
}

// check records a leak for each owner that is not tenant ti.
func (l *Load) check(ti int, op string, owners ...string) {
	r := l.rows
	for _, o := range owners {
		if o != l.tenants[ti].ID() {
			r.leaks.Add(1)
			r.mu.Lock()
			if len(r.leakLog) < 20 {
				r.leakLog = append(r.leakLog, fmt.Sprintf("%s for tenant %s returned a row of %q", op, l.tenants[ti].ID(), o))
			}
			r.mu.Unlock()
		}
	}
}

// Wrote moves tenant ti's row bounds by n rows, certainly when sure is
// set; otherwise only the bound in n's direction, since the write may not
// have committed. Steps call it; a test calls it for rows it writes
// itself.
func (l *Load) Wrote(ti int, n int64, sure bool) {
	if sure || n > 0 {
		l.rows.high[ti].Add(n)
	}
	if sure || n < 0 {
		l.rows.low[ti].Add(n)
	}
}

// Step runs one random operation for tenant ti and returns its error.
func (l *Load) Step(ctx context.Context, rng *rand.Rand, ti int) error {
	tn := l.tenants[ti]
	q := db.NewTenant(tenancy.Bind(l.db, tn))
	randomID := func() int64 { return rng.Int64N(l.rows.inserted[ti].Load()+2) + 1 }
	op := rng.IntN(len(opNames))
	name := opNames[op]
	notFound := func(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
	err := func() error {
		switch name {
		case "insert":
			l.rows.inserted[ti].Add(1)
			it, err := q.InsertItem(ctx, db.InsertItemParams{Tenant: tn.ID(), N: 1, Note: "insert"})
			l.Wrote(ti, 1, err == nil)
			if err != nil {
				return err
			}
			l.check(ti, name, it.Tenant)
		case "get":
			it, err := q.GetItem(ctx, randomID())
			if err != nil && !notFound(err) {
				return err
			}
			if err == nil {
				l.check(ti, name, it.Tenant)
			}
		case "list":
			items, err := q.ListItems(ctx, 20)
			if err != nil {
				return err
			}
			for _, it := range items {
				l.check(ti, name, it.Tenant)
			}
		case "update":
			it, err := q.BumpItem(ctx, randomID())
			if err != nil && !notFound(err) {
				return err
			}
			if err == nil {
				l.check(ti, name, it.Tenant)
			}
		case "delete":
			n, err := q.DeleteItem(ctx, randomID())
			if err != nil {
				l.Wrote(ti, -1, false)
				return err
			}
			l.Wrote(ti, -n, true)
		case "tag+join":
			id := randomID()
			// The item may be deleted between the tag's SELECT and its
			// foreign key check.
			var pgErr *pgconn.PgError
			if _, err := q.AddTag(ctx, db.AddTagParams{ID: id, Tag: "t"}); err != nil &&
				!(errors.As(err, &pgErr) && pgErr.Code == "23503") {
				return err
			}
			rows, err := q.ListItemTags(ctx, id)
			if err != nil {
				return err
			}
			for _, r := range rows {
				l.check(ti, name, r.Tenant, r.Tenant_2)
				// The shared registry row joined on the marker names the
				// schema the row was read from.
				if !r.SchemaName.Valid || r.SchemaName.String != tn.Schema() {
					l.check(ti, name+" (registry join)", "schema "+r.SchemaName.String)
				}
			}
		case "batchexec":
			k := 1 + rng.IntN(5)
			args := make([]db.InsertItemsBatchParams, k)
			for i := range args {
				args[i] = db.InsertItemsBatchParams{Tenant: tn.ID(), N: int32(i), Note: "batch"}
			}
			l.rows.inserted[ti].Add(int64(k))
			var first error
			q.InsertItemsBatch(ctx, args).Exec(func(i int, err error) {
				if err != nil && first == nil {
					first = fmt.Errorf("batch item %d: %w", i, err)
				}
			})
			l.Wrote(ti, int64(k), first == nil)
			return first
		case "batchone":
			ids := []int64{randomID(), randomID(), randomID()}
			var first error
			q.GetItemsBatch(ctx, ids).QueryRow(func(i int, it db.Item, err error) {
				switch {
				case err == nil:
					l.check(ti, name, it.Tenant)
				case !notFound(err) && first == nil:
					first = fmt.Errorf("batch item %d: %w", i, err)
				}
			})
			return first
		case "copyfrom":
			k := 1 + rng.IntN(10)
			args := make([]db.CopyItemsParams, k)
			for i := range args {
				args[i] = db.CopyItemsParams{Tenant: tn.ID(), N: int32(i), Note: "copy"}
			}
			l.rows.inserted[ti].Add(int64(k))
			n, err := q.CopyItems(ctx, args)
			if err == nil && n != int64(k) {
				err = fmt.Errorf("copied %d rows, want %d", n, k)
			}
			l.Wrote(ti, int64(k), err == nil)
			return err
		case "tx":
			commit := rng.IntN(2) == 0
			l.rows.inserted[ti].Add(1)
			err := l.txStep(ctx, q, ti, commit)
			if commit {
				l.Wrote(ti, 1, err == nil)
			}
			return err
		}
		return nil
	}()
	if err != nil {
		err = fmt.Errorf("%s: %w", name, err)
		l.fail(ti, name, err)
		return err
	}
	l.ok[op].Add(1)
	l.okBy[ti].Add(1)
	return nil
}

// txStep inserts and reads back an item in a transaction through
// TenantQueries.WithTx, then commits or rolls back.
func (l *Load) txStep(ctx context.Context, q *db.TenantQueries, ti int, commit bool) error {
	// Begun on the tenant's Conn: on a tenancy.Pool, on one of the
	// tenant's connections.
	tx, err := tenancy.Bind(l.db, l.tenants[ti]).Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	qtx := q.WithTx(tx)
	if qtx.Tenant() != l.tenants[ti] {
		return fmt.Errorf("WithTx lost the tenant: %v", qtx.Tenant())
	}
	it, err := qtx.InsertItem(ctx, db.InsertItemParams{Tenant: l.tenants[ti].ID(), N: 1, Note: "tx"})
	if err != nil {
		return err
	}
	got, err := qtx.GetItem(ctx, it.ID)
	if err != nil {
		return fmt.Errorf("read back item %d: %w", it.ID, err)
	}
	l.check(ti, "tx", it.Tenant, got.Tenant)
	if !commit {
		return tx.Rollback(ctx)
	}
	return tx.Commit(ctx)
}

// RunOptions says how [Load.Run] runs.
type RunOptions struct {
	Workers int
	// Ops is the number of operations to run in all; 0 means until Stop
	// is closed.
	Ops  int
	Stop <-chan struct{}
	// Tenant picks the tenant of the next operation; nil means uniformly
	// at random.
	Tenant func(rng *rand.Rand) int
	// MaxErrors stops the run after that many errors; 0 means never.
	MaxErrors int64
	// Seed seeds each worker's random stream, with the worker's number.
	Seed uint64
}

// Run runs operations from o.Workers goroutines and returns when they are
// done (o.Ops), when o.Stop is closed, or after o.MaxErrors errors.
func (l *Load) Run(ctx context.Context, o RunOptions) {
	var wg sync.WaitGroup
	for worker := range o.Workers {
		n := -1
		if o.Ops > 0 {
			n = o.Ops / o.Workers
			if worker < o.Ops%o.Workers {
				n++
			}
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(o.Seed, uint64(worker)))
			for i := 0; n < 0 || i < n; i++ {
				if o.Stop != nil {
					select {
					case <-o.Stop:
						return
					default:
					}
				}
				if o.MaxErrors > 0 && l.Errors() >= o.MaxErrors {
					return
				}
				ti := rng.IntN(len(l.tenants))
				if o.Tenant != nil {
					ti = o.Tenant(rng)
				}
				_ = l.Step(ctx, rng, ti)
			}
		})
	}
	wg.Wait()
}

// Verify checks, for each tenant not in skip, that its schema holds a
// number of items within the bounds the workload kept and only rows of
// its own, and that public still holds only the two decoys, on every
// server of a Fleet. It returns the number of rows checked.
func (l *Load) Verify(t testing.TB, ctx context.Context, skip ...int) int64 {
	t.Helper()
	if n := l.rows.leaks.Load(); n > 0 {
		t.Errorf("%d rows of other tenants seen; first ones:\n%s", n, strings.Join(l.rows.leakLog, "\n"))
	}
	fleet, _ := l.db.(*tenancy.Fleet)
	var rows int64
	for i, tn := range l.tenants {
		if slices.Contains(skip, i) {
			continue
		}
		schema := pgx.Identifier{tn.Schema()}.Sanitize()
		var total, foreign, foreignTags int64
		var on tenancy.DBTX = l.db
		if fleet != nil {
			on, _ = fleet.Pool(tn.Server())
		}
		err := on.QueryRow(ctx, fmt.Sprintf(`SELECT
			(SELECT count(*) FROM %[1]s.items),
			(SELECT count(*) FROM %[1]s.items WHERE tenant <> $1),
			(SELECT count(*) FROM %[1]s.tags WHERE tenant <> $1)`, schema), tn.ID()).Scan(&total, &foreign, &foreignTags)
		if err != nil {
			t.Fatalf("count rows of tenant %s: %v", tn.ID(), err)
		}
		rows += total
		low, high := l.rows.low[i].Load(), l.rows.high[i].Load()
		if total < low || total > high || foreign != 0 || foreignTags != 0 {
			t.Errorf("tenant %s: %d items (want %d to %d: %d lost, %d unexpected), %d items and %d tags of other tenants",
				tn.ID(), total, low, high, max(low-total, 0), max(total-high, 0), foreign, foreignTags)
		}
		got, err := db.NewTenant(tenancy.Bind(l.db, tn)).CountItems(ctx, tn.ID())
		if err != nil || got != total {
			t.Errorf("tenant %s: CountItems = %d, %v; want %d", tn.ID(), got, err, total)
		}
	}
	servers := []tenancy.DBTX{l.db}
	if fleet != nil {
		servers = servers[:0]
		for _, name := range fleet.Servers() {
			p, _ := fleet.Pool(name)
			servers = append(servers, p)
		}
	}
	for _, on := range servers {
		var decoys int64
		if err := on.QueryRow(ctx, "SELECT (SELECT count(*) FROM public.items) + (SELECT count(*) FROM public.tags)").Scan(&decoys); err != nil {
			t.Fatal(err)
		}
		if decoys != 2 {
			t.Errorf("public has %d rows, want the 2 decoys: a statement ran unqualified", decoys)
		}
	}
	return rows
}

// OKBy returns the number of successful operations for tenant ti.
func (l *Load) OKBy(ti int) int64 { return l.okBy[ti].Load() }

// Failed returns the number of failed operations for tenant ti.
func (l *Load) Failed(ti int) int64 { return l.failed[ti].Load() }

// ErrorKinds returns the number of errors by kind (a SQLSTATE or the kind
// of connection failure) and an example message of each kind.
func (l *Load) ErrorKinds() (counts map[string]int64, examples map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.errKinds), maps.Clone(l.errLog)
}
