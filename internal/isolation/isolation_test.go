package isolation_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/isolation/db"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// Workload size: the contract asks for at least 50 tenants, 32 concurrent
// workers and 10,000 mixed operations per run.
const (
	numTenants = 50
	numWorkers = 32
	numOps     = 10_000
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// tenantID returns the id of tenant i; its schema is "tenant_" + the id.
func tenantID(i int) string { return fmt.Sprintf("%03d", i) }

// decoySQL creates tables named like the tenant tables in public: an
// unqualified statement would reach them through the default search_path.
// They are not in schema/, where a shared and a tenant table of one name
// would be duplicates.
const decoySQL = `
CREATE TABLE public.items (id bigserial PRIMARY KEY, tenant text NOT NULL, n int NOT NULL, note text NOT NULL);
CREATE TABLE public.tags (item_id bigint NOT NULL REFERENCES public.items (id) ON DELETE CASCADE,
	tenant text NOT NULL, tag text NOT NULL);
`

// setup creates the shared tables and the decoys, then each tenant: its
// schema with the tenant DDL of schema/, and its registry row through the
// generated shared query.
func setup(ctx context.Context, pool *pgxpool.Pool) error {
	shared, err := os.ReadFile(filepath.Join("schema", "001_shared.sql"))
	if err != nil {
		return err
	}
	tenantDDL, err := os.ReadFile(filepath.Join("schema", "002_tenant.sql"))
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, string(shared)+decoySQL); err != nil {
		return fmt.Errorf("create shared tables: %w", err)
	}
	q := db.New(pool)
	for i := range numTenants {
		id := tenantID(i)
		schema := "tenant_" + id
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			ident := pgx.Identifier{schema}.Sanitize()
			if _, err := tx.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
				return err
			}
			// Transaction-local, as tenantc migrate applies tenant DDL.
			if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", ident); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(tenantDDL)); err != nil {
				return err
			}
			return q.WithTx(tx).CreateTenant(ctx, db.CreateTenantParams{ID: id, SchemaName: schema})
		})
		if err != nil {
			return fmt.Errorf("create tenant %s: %w", id, err)
		}
	}
	return nil
}

// resetSQL empties every table (of the given tenants, by default all of
// them) and restarts the id sequences, then puts one
// decoy row in public, so that ids overlap across schemas: a statement run
// against the wrong schema finds a row, and its tenant marker gives it away.
func resetSQL(tenants ...string) string {
	tables := []string{"public.items", "public.tags"}
	if tenants == nil {
		for i := range numTenants {
			tenants = append(tenants, tenantID(i))
		}
	}
	for _, id := range tenants {
		tables = append(tables, "tenant_"+id+".items", "tenant_"+id+".tags")
	}
	return "TRUNCATE " + strings.Join(tables, ", ") + " RESTART IDENTITY;\n" +
		"INSERT INTO public.items (tenant, n, note) VALUES ('public', 0, 'decoy');\n" +
		"INSERT INTO public.tags (item_id, tenant, tag) VALUES (1, 'public', 'decoy');\n"
}

func TestIsolation(t *testing.T) {
	pg := pgtest.New(t)
	if err := setup(context.Background(), pg.Pool); err != nil {
		t.Fatal(err)
	}
	ops := numOps
	if testing.Short() {
		ops = numOps / 5
	}

	t.Run("direct", func(t *testing.T) {
		pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
			runWorkload(t, pg.URL, mode, ops)
		})
		// The default tenancy.Pool, and one whose plan budget holds a
		// few statements, so that preparing, admitting and evicting run
		// all the time.
		t.Run("Pool", func(t *testing.T) {
			runPoolWorkload(t, pg.URL, ops)
		})
		t.Run("Pool small plan budget", func(t *testing.T) {
			runPoolWorkload(t, pg.URL, ops, tenancy.WithPlanMemory(64<<10))
		})
	})

	t.Run("pgbouncer", func(t *testing.T) {
		// PgBouncer before 1.21 keeps no prepared statements in
		// transaction mode, so named statements (cache_statement) and
		// an unnamed one split across two syncs (describe_exec) may reach
		// a server connection that never saw them. The safe modes run
		// against a default configuration.
		bouncer := pgtest.PgBouncer(t, pg.URL)
		pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
			runWorkload(t, bouncer, mode, ops)
		}, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol)
		t.Run("Pool BehindPgBouncer", func(t *testing.T) {
			runPoolWorkload(t, bouncer, ops, tenancy.BehindPgBouncer())
		})

		t.Run("prepared statements", func(t *testing.T) {
			if major, minor := pgtest.PgBouncerVersion(t); major == 1 && minor < 21 {
				t.Skipf("PgBouncer %d.%d has no max_prepared_statements (1.21+): pgx's default mode is not supported behind it", major, minor)
			}
			bouncer := pgtest.PgBouncer(t, pg.URL, pgtest.WithMaxPreparedStatements(500))
			pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
				runWorkload(t, bouncer, mode, ops)
			}, pgx.QueryExecModeCacheStatement)
		})
	})
}

// opNames names the operations of runWorkload, by index.
var opNames = [...]string{"insert", "get", "list", "update", "delete", "tag+join", "batchexec", "batchone", "copyfrom", "tx"}

// runWorkload runs ops random operations for random tenants from
// numWorkers goroutines through dbURL in mode, the pool adjusted by
// configure, checking every row it reads, and then checks every tenant's
// table holds exactly its own rows.
func runWorkload(t *testing.T, dbURL string, mode pgx.QueryExecMode, ops int, configure ...func(*pgxpool.Config)) {
	pool := pgtest.Connect(t, dbURL, append([]func(*pgxpool.Config){pgtest.WithExecMode(mode), pgtest.WithMaxConns(numWorkers)}, configure...)...)
	run(t, pool, uint64(mode), ops)
}

// runPoolWorkload is runWorkload on a tenancy.Pool opened with opts.
func runPoolWorkload(t *testing.T, dbURL string, ops int, opts ...tenancy.PoolOption) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = numWorkers
	pool, err := tenancy.NewPool(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	run(t, pool, 99, ops)
}

// database is what the workload runs on: a *pgxpool.Pool, a
// *tenancy.Pool or a *tenancy.Fleet.
type database interface {
	tenancy.DBTX
	Begin(context.Context) (pgx.Tx, error)
}

// run is the body of runWorkload, on pool, with random streams seeded by
// seed.
func run(t *testing.T, pool database, seed uint64, ops int) {
	ctx := context.Background()
	fleet, _ := pool.(*tenancy.Fleet)
	reg := tenancy.NewRegistry(pool)
	if fleet != nil {
		reg = fleet.Registry()
		resetFleet(t, fleet)
	} else if _, err := pool.Exec(ctx, resetSQL()); err != nil {
		t.Fatalf("reset: %v", err)
	}
	n := numTenants
	if fleet != nil {
		n = fleetTenants
	}
	tenants := make([]tenancy.Tenant, n)
	for i := range tenants {
		tn, err := reg.Lookup(ctx, tenantID(i))
		if err != nil {
			t.Fatal(err)
		}
		tenants[i] = tn
	}

	w := &workload{
		t:        t,
		pool:     pool,
		tenants:  tenants,
		rows:     make([]atomic.Int64, n),
		inserted: make([]atomic.Int64, n),
	}
	var wg sync.WaitGroup
	for worker := range numWorkers {
		n := ops / numWorkers
		if worker < ops%numWorkers {
			n++
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(worker), seed))
			for range n {
				if w.failures.Load() > 20 {
					return
				}
				w.step(ctx, rng)
			}
		})
	}
	wg.Wait()

	var done int64
	var counts []string
	for i := range w.done {
		done += w.done[i].Load()
		counts = append(counts, fmt.Sprintf("%s=%d", opNames[i], w.done[i].Load()))
	}
	t.Logf("%d operations: %s", done, strings.Join(counts, " "))
	if !t.Failed() && done < int64(ops) {
		t.Errorf("ran %d operations, want %d", done, ops)
	}

	// Each tenant's schema holds exactly the rows its tenant wrote, on
	// its own server.
	for i, tn := range tenants {
		schema := pgx.Identifier{tn.Schema()}.Sanitize()
		var total, foreign, foreignTags int64
		var on tenancy.DBTX = pool
		if fleet != nil {
			on, _ = fleet.Pool(tn.Server())
		}
		err := on.QueryRow(ctx, fmt.Sprintf(`SELECT
			(SELECT count(*) FROM %[1]s.items),
			(SELECT count(*) FROM %[1]s.items WHERE tenant <> $1),
			(SELECT count(*) FROM %[1]s.tags WHERE tenant <> $1)`, schema), tn.ID()).Scan(&total, &foreign, &foreignTags)
		if err != nil {
			t.Fatal(err)
		}
		if want := w.rows[i].Load(); total != want || foreign != 0 || foreignTags != 0 {
			t.Errorf("tenant %s: %d items (want %d), %d items and %d tags of other tenants",
				tn.ID(), total, want, foreign, foreignTags)
		}
		got, err := db.NewTenant(tenancy.Bind(pool, tn)).CountItems(ctx, tn.ID())
		if err != nil || got != total {
			t.Errorf("tenant %s: CountItems = %d, %v; want %d", tn.ID(), got, err, total)
		}
	}
	ons := []tenancy.DBTX{pool}
	if fleet != nil {
		ons = ons[:0]
		for _, name := range fleet.Servers() {
			p, _ := fleet.Pool(name)
			ons = append(ons, p)
		}
	}
	for _, on := range ons {
		var decoys int64
		if err := on.QueryRow(ctx, "SELECT (SELECT count(*) FROM public.items) + (SELECT count(*) FROM public.tags)").Scan(&decoys); err != nil {
			t.Fatal(err)
		}
		if decoys != 2 {
			t.Errorf("public has %d rows, want the 2 decoys: a statement ran unqualified", decoys)
		}
	}
}

// workload is the state shared by the workers of one run.
type workload struct {
	t       *testing.T
	pool    database
	tenants []tenancy.Tenant
	// rows is each tenant's committed row count; inserted counts its
	// inserts ever, which bounds the ids in use.
	rows, inserted []atomic.Int64
	done           [len(opNames)]atomic.Int64
	failures       atomic.Int64
}

func (w *workload) fail(format string, args ...any) {
	w.failures.Add(1)
	w.t.Errorf(format, args...)
}

// check fails the run when a row read for tenant ti belongs to another.
func (w *workload) check(ti int, op string, owners ...string) {
	for _, o := range owners {
		if o != w.tenants[ti].ID() {
			w.fail("%s for tenant %s returned a row of %q", op, w.tenants[ti].ID(), o)
		}
	}
}

// step runs one random operation for a random tenant.
func (w *workload) step(ctx context.Context, rng *rand.Rand) {
	ti := rng.IntN(len(w.tenants))
	tn := w.tenants[ti]
	q := db.NewTenant(tenancy.Bind(w.pool, tn))
	randomID := func() int64 { return rng.Int64N(w.inserted[ti].Load()+2) + 1 }
	op := rng.IntN(len(opNames))
	name := opNames[op]
	notFound := func(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

	switch name {
	case "insert":
		it, err := q.InsertItem(ctx, db.InsertItemParams{Tenant: tn.ID(), N: 1, Note: "insert"})
		if err != nil {
			w.fail("insert: %v", err)
			return
		}
		w.rows[ti].Add(1)
		w.inserted[ti].Add(1)
		w.check(ti, name, it.Tenant)
	case "get":
		it, err := q.GetItem(ctx, randomID())
		if err != nil && !notFound(err) {
			w.fail("get: %v", err)
			return
		}
		if err == nil {
			w.check(ti, name, it.Tenant)
		}
	case "list":
		items, err := q.ListItems(ctx, 20)
		if err != nil {
			w.fail("list: %v", err)
			return
		}
		for _, it := range items {
			w.check(ti, name, it.Tenant)
		}
	case "update":
		it, err := q.BumpItem(ctx, randomID())
		if err != nil && !notFound(err) {
			w.fail("update: %v", err)
			return
		}
		if err == nil {
			w.check(ti, name, it.Tenant)
		}
	case "delete":
		n, err := q.DeleteItem(ctx, randomID())
		if err != nil {
			w.fail("delete: %v", err)
			return
		}
		w.rows[ti].Add(-n)
	case "tag+join":
		id := randomID()
		// The item may be deleted between the tag's SELECT and its
		// foreign key check.
		var pgErr *pgconn.PgError
		if _, err := q.AddTag(ctx, db.AddTagParams{ID: id, Tag: "t"}); err != nil &&
			!(errors.As(err, &pgErr) && pgErr.Code == "23503") {
			w.fail("add tag: %v", err)
			return
		}
		rows, err := q.ListItemTags(ctx, id)
		if err != nil {
			w.fail("list item tags: %v", err)
			return
		}
		for _, r := range rows {
			w.check(ti, name, r.Tenant, r.Tenant_2)
			// The shared registry row joined on the marker names the
			// schema the row was read from.
			if !r.SchemaName.Valid || r.SchemaName.String != tn.Schema() {
				w.fail("%s for tenant %s joined registry schema %+v", name, tn.ID(), r.SchemaName)
			}
		}
	case "batchexec":
		k := 1 + rng.IntN(5)
		args := make([]db.InsertItemsBatchParams, k)
		for i := range args {
			args[i] = db.InsertItemsBatchParams{Tenant: tn.ID(), N: int32(i), Note: "batch"}
		}
		var failed bool
		q.InsertItemsBatch(ctx, args).Exec(func(i int, err error) {
			if err != nil && !failed {
				failed = true
				w.fail("batchexec %d: %v", i, err)
			}
		})
		if !failed {
			w.rows[ti].Add(int64(k))
			w.inserted[ti].Add(int64(k))
		}
	case "batchone":
		ids := []int64{randomID(), randomID(), randomID()}
		q.GetItemsBatch(ctx, ids).QueryRow(func(i int, it db.Item, err error) {
			switch {
			case err == nil:
				w.check(ti, name, it.Tenant)
			case !notFound(err):
				w.fail("batchone %d: %v", i, err)
			}
		})
	case "copyfrom":
		k := 1 + rng.IntN(10)
		args := make([]db.CopyItemsParams, k)
		for i := range args {
			args[i] = db.CopyItemsParams{Tenant: tn.ID(), N: int32(i), Note: "copy"}
		}
		n, err := q.CopyItems(ctx, args)
		if err != nil || n != int64(k) {
			w.fail("copyfrom: %d rows, %v", n, err)
			return
		}
		w.rows[ti].Add(n)
		w.inserted[ti].Add(n)
	case "tx":
		commit := rng.IntN(2) == 0
		if err := w.txStep(ctx, q, ti, commit); err != nil {
			w.fail("tx: %v", err)
			return
		}
		if commit {
			w.rows[ti].Add(1)
		}
		w.inserted[ti].Add(1)
	}
	w.done[op].Add(1)
}

// txStep inserts and reads back an item in a transaction through
// TenantQueries.WithTx, then commits or rolls back.
func (w *workload) txStep(ctx context.Context, q *db.TenantQueries, ti int, commit bool) error {
	// Begun on the tenant's Conn: on a tenancy.Pool, on one of the
	// tenant's connections.
	tx, err := tenancy.Bind(w.pool, w.tenants[ti]).Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	qtx := q.WithTx(tx)
	if qtx.Tenant() != w.tenants[ti] {
		return fmt.Errorf("WithTx lost the tenant: %v", qtx.Tenant())
	}
	it, err := qtx.InsertItem(ctx, db.InsertItemParams{Tenant: w.tenants[ti].ID(), N: 1, Note: "tx"})
	if err != nil {
		return err
	}
	got, err := qtx.GetItem(ctx, it.ID)
	if err != nil {
		return fmt.Errorf("read back item %d: %w", it.ID, err)
	}
	w.check(ti, "tx", it.Tenant, got.Tenant)
	if !commit {
		return tx.Rollback(ctx)
	}
	return tx.Commit(ctx)
}
