package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/isolation/db"
	"github.com/tenantc/tenantc/tenancy"
)

// tenantID returns the id of tenant i; its schema is "tenant_" + the id.
func tenantID(i int) string { return fmt.Sprintf("%04d", i) }

// decoySQL creates tables named like the tenant tables in public, each
// with one row: an unqualified statement would reach them through the
// default search_path, and the final check counts them.
const decoySQL = `
CREATE TABLE public.items (id bigserial PRIMARY KEY, tenant text NOT NULL, n int NOT NULL, note text NOT NULL);
CREATE TABLE public.tags (item_id bigint NOT NULL REFERENCES public.items (id) ON DELETE CASCADE,
	tenant text NOT NULL, tag text NOT NULL);
INSERT INTO public.items (tenant, n, note) VALUES ('public', 0, 'decoy');
INSERT INTO public.tags (item_id, tenant, tag) VALUES (1, 'public', 'decoy');
`

// setupBatch is how many tenants one setup transaction creates: one
// transaction per tenant makes the full size's setup slow, and all of
// them in one exceeds max_locks_per_transaction.
const setupBatch = 50

// setup creates the shared registry and the decoys, then n tenants: each a
// schema with the tenant DDL of internal/isolation and a registry row.
func setup(ctx context.Context, pool *pgxpool.Pool, n int) error {
	dir := filepath.Join("..", "internal", "isolation", "schema")
	shared, err := os.ReadFile(filepath.Join(dir, "001_shared.sql"))
	if err != nil {
		return err
	}
	tenantDDL, err := os.ReadFile(filepath.Join(dir, "002_tenant.sql"))
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, string(shared)+decoySQL); err != nil {
		return fmt.Errorf("create shared tables: %w", err)
	}
	for first := 0; first < n; first += setupBatch {
		var b strings.Builder
		for i := first; i < min(first+setupBatch, n); i++ {
			id := tenantID(i)
			schema := "tenant_" + id
			ident := pgx.Identifier{schema}.Sanitize()
			// Transaction-local, as tenantc migrate applies tenant DDL.
			fmt.Fprintf(&b, "CREATE SCHEMA %s;\nSELECT set_config('search_path', '%s', true);\n%s\n", ident, ident, tenantDDL)
			fmt.Fprintf(&b, "INSERT INTO public.tenants (id, schema_name) VALUES ('%s', '%s');\n", id, schema)
		}
		// The next batch must not see this one's search_path.
		b.WriteString("SELECT set_config('search_path', '\"$user\", public', true);\n")
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, b.String())
			return err
		})
		if err != nil {
			return fmt.Errorf("create tenants %d to %d: %w", first, min(first+setupBatch, n)-1, err)
		}
	}
	return nil
}

// reset empties the tables of tenants 0 to n-1 and restarts their id
// sequences, so that ids overlap across schemas: a statement run against
// the wrong schema finds a row, and its tenant marker gives it away.
func reset(ctx context.Context, pool *pgxpool.Pool, n int) error {
	tables := make([]string, 0, 2*n)
	for i := range n {
		tables = append(tables, "tenant_"+tenantID(i)+".items", "tenant_"+tenantID(i)+".tags")
	}
	if _, err := pool.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")+" RESTART IDENTITY"); err != nil {
		return fmt.Errorf("reset tenant tables: %w", err)
	}
	return nil
}

// lookupTenants resolves tenants 0 to n-1 through the registry, as an app
// does.
func lookupTenants(ctx context.Context, pool *pgxpool.Pool, n int) ([]tenancy.Tenant, error) {
	reg := tenancy.NewRegistry(pool)
	tenants := make([]tenancy.Tenant, n)
	for i := range tenants {
		tn, err := reg.Lookup(ctx, tenantID(i))
		if err != nil {
			return nil, fmt.Errorf("look up tenant %d: %w", i, err)
		}
		tenants[i] = tn
	}
	return tenants, nil
}

// opNames names the operations of [load.step], by index.
var opNames = [...]string{"insert", "get", "list", "update", "delete", "tag+join", "batchexec", "batchone", "copyfrom", "tx"}

// tenantRows is what the workloads of one database know about its rows.
// Item counts are kept as bounds: an insert or delete whose error arrives
// with the connection's end (a crash, a restart) may or may not have
// committed.
type tenantRows struct {
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

// load is a mixed workload over many tenants through one pool, and what
// it observed.
type load struct {
	pool    *pgxpool.Pool
	tenants []tenancy.Tenant
	rows    *tenantRows
	// ok counts successful operations by kind, okBy by tenant; failed
	// counts errors by tenant.
	ok, okBy, failed []atomic.Int64
	// onError, when set, sees every error with its tenant.
	onError func(ti int, err error)

	mu sync.Mutex
	// errKinds counts errors by kind (SQLSTATE or error type).
	errKinds map[string]int64
	errLog   map[string]string // an example message per kind
}

func newLoad(pool *pgxpool.Pool, tenants []tenancy.Tenant) *load {
	n := len(tenants)
	rows := &tenantRows{low: make([]atomic.Int64, n), high: make([]atomic.Int64, n), inserted: make([]atomic.Int64, n)}
	return newLoadOn(pool, tenants, rows)
}

func newLoadOn(pool *pgxpool.Pool, tenants []tenancy.Tenant, rows *tenantRows) *load {
	n := len(tenants)
	return &load{
		pool: pool, tenants: tenants, rows: rows,
		ok: make([]atomic.Int64, len(opNames)), okBy: make([]atomic.Int64, n), failed: make([]atomic.Int64, n),
		errKinds: map[string]int64{}, errLog: map[string]string{},
	}
}

// on returns a workload on the same tenants and rows through another pool
// (a second app instance), with counts of its own.
func (l *load) on(pool *pgxpool.Pool) *load { return newLoadOn(pool, l.tenants, l.rows) }

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
func (l *load) fail(ti int, op string, err error) {
	l.failed[ti].Add(1)
	if l.onError != nil {
		l.onError(ti, err)
	}
	k := errKind(err)
	l.mu.Lock()
	l.errKinds[k]++
	if _, ok := l.errLog[k]; !ok {
		l.errLog[k] = fmt.Sprintf("%s for tenant %s: %v", op, l.tenants[ti].ID(), err)
	}
	l.mu.Unlock()
}

// errors returns the number of errors.
func (l *load) errors() int64 {
	var n int64
	for i := range l.failed {
		n += l.failed[i].Load()
	}
	return n
}

// done returns the number of successful operations.
func (l *load) done() int64 {
	var n int64
	for i := range l.ok {
		n += l.ok[i].Load()
	}
	return n
}

// summary describes the operations and errors so far, for the test log.
func (l *load) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d operations ok (", l.done())
	for i := range l.ok {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%d", opNames[i], l.ok[i].Load())
	}
	fmt.Fprintf(&b, "), %d errors, %d foreign rows", l.errors(), l.rows.leaks.Load())
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(l.errKinds)) {
		fmt.Fprintf(&b, "\n  %s: %d, e.g. %s", k, l.errKinds[k], l.errLog[k])
	}
	return b.String()
}

// check records a leak for each owner that is not tenant ti.
func (l *load) check(ti int, op string, owners ...string) {
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

// wrote moves tenant ti's row bounds by n rows, certainly when sure is
// set; otherwise only the bound in n's direction, since the write may not
// have committed.
func (l *load) wrote(ti int, n int64, sure bool) {
	if sure || n > 0 {
		l.rows.high[ti].Add(n)
	}
	if sure || n < 0 {
		l.rows.low[ti].Add(n)
	}
}

// step runs one random operation for tenant ti and returns its error.
func (l *load) step(ctx context.Context, rng *rand.Rand, ti int) error {
	tn := l.tenants[ti]
	q := db.NewTenant(tenancy.Bind(l.pool, tn))
	randomID := func() int64 { return rng.Int64N(l.rows.inserted[ti].Load()+2) + 1 }
	op := rng.IntN(len(opNames))
	name := opNames[op]
	notFound := func(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
	err := func() error {
		switch name {
		case "insert":
			l.rows.inserted[ti].Add(1)
			it, err := q.InsertItem(ctx, db.InsertItemParams{Tenant: tn.ID(), N: 1, Note: "insert"})
			l.wrote(ti, 1, err == nil)
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
				l.wrote(ti, -1, false)
				return err
			}
			l.wrote(ti, -n, true)
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
			l.wrote(ti, int64(k), first == nil)
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
			l.wrote(ti, int64(k), err == nil)
			return err
		case "tx":
			commit := rng.IntN(2) == 0
			l.rows.inserted[ti].Add(1)
			err := l.txStep(ctx, q, ti, commit)
			if commit {
				l.wrote(ti, 1, err == nil)
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
func (l *load) txStep(ctx context.Context, q *db.TenantQueries, ti int, commit bool) error {
	tx, err := l.pool.Begin(ctx)
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

// runOpts says how [load.run] runs.
type runOpts struct {
	workers int
	// ops is the number of operations to run in all; 0 means until stop
	// is closed.
	ops  int
	stop <-chan struct{}
	// tenant picks the tenant of the next operation; nil means uniformly
	// at random.
	tenant func(rng *rand.Rand) int
	// maxErrors stops the run after that many errors; 0 means never.
	maxErrors int64
	seed      uint64
}

// run runs operations from o.workers goroutines and returns when they are
// done (o.ops), when o.stop is closed, or after o.maxErrors errors.
func (l *load) run(ctx context.Context, o runOpts) {
	var wg sync.WaitGroup
	for worker := range o.workers {
		n := -1
		if o.ops > 0 {
			n = o.ops / o.workers
			if worker < o.ops%o.workers {
				n++
			}
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(o.seed, uint64(worker)))
			for i := 0; n < 0 || i < n; i++ {
				if o.stop != nil {
					select {
					case <-o.stop:
						return
					default:
					}
				}
				if o.maxErrors > 0 && l.errors() >= o.maxErrors {
					return
				}
				ti := rng.IntN(len(l.tenants))
				if o.tenant != nil {
					ti = o.tenant(rng)
				}
				_ = l.step(ctx, rng, ti)
			}
		})
	}
	wg.Wait()
}

// verify checks, for each tenant not in skip, that its schema holds a
// number of items within the bounds the workload kept and only rows of
// its own, and that public still holds only the two decoys. It returns the
// number of rows checked.
func (l *load) verify(t *testing.T, ctx context.Context, skip ...int) int64 {
	t.Helper()
	if n := l.rows.leaks.Load(); n > 0 {
		t.Errorf("%d rows of other tenants seen; first ones:\n%s", n, strings.Join(l.rows.leakLog, "\n"))
	}
	var rows int64
	for i, tn := range l.tenants {
		if slices.Contains(skip, i) {
			continue
		}
		schema := pgx.Identifier{tn.Schema()}.Sanitize()
		var total, foreign, foreignTags int64
		err := l.pool.QueryRow(ctx, fmt.Sprintf(`SELECT
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
		got, err := db.NewTenant(tenancy.Bind(l.pool, tn)).CountItems(ctx, tn.ID())
		if err != nil || got != total {
			t.Errorf("tenant %s: CountItems = %d, %v; want %d", tn.ID(), got, err, total)
		}
	}
	var decoys int64
	if err := l.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM public.items) + (SELECT count(*) FROM public.tags)").Scan(&decoys); err != nil {
		t.Fatal(err)
	}
	if decoys != 2 {
		t.Errorf("public has %d rows, want the 2 decoys: a statement ran unqualified", decoys)
	}
	return rows
}
