package isolation_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/isolation/db"
	"github.com/tenantc/tenantc/internal/isolation/workload"
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

// run resets the tables of pool's tenants (of each server of a Fleet), runs
// ops operations of the shared workload for them from numWorkers goroutines
// with random streams seeded by seed, and fails t on any error, on any row
// of another tenant, or when a tenant's schema does not hold exactly its
// own rows.
func run(t *testing.T, pool workload.DB, seed uint64, ops int) {
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

	l := workload.New(pool, tenants)
	l.Run(ctx, workload.RunOptions{Workers: numWorkers, Ops: ops, MaxErrors: 20, Seed: seed})
	t.Log(l.Summary())
	if n := l.Errors(); n > 0 {
		t.Errorf("%d operations failed: %s", n, l.Summary())
	}
	if !t.Failed() && l.Done() < int64(ops) {
		t.Errorf("ran %d operations, want %d", l.Done(), ops)
	}
	l.Verify(t, ctx)
}
