package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/migratetest"
	"github.com/tenantc/tenantc/internal/pgtest"
)

const (
	sharedV1 = `CREATE TABLE "app"."plans" ("id" bigint NOT NULL, PRIMARY KEY ("id"));
INSERT INTO "app"."plans" VALUES (1);
`
	tenantV1 = `CREATE TABLE "tickets" ("id" bigint NOT NULL, "plan_id" bigint NOT NULL REFERENCES "app"."plans" ("id"), "title" text NULL, PRIMARY KEY ("id"));
`
	tenantV2 = `ALTER TABLE "tickets" ALTER COLUMN "title" SET NOT NULL;
CREATE INDEX "tickets_plan" ON "tickets" ("plan_id");
`
)

// fleet is a migrated project on a fresh database.
func fleetProject(t *testing.T) (*project, *pgxpool.Pool) {
	p := newProject(t, "")
	p.migration(SharedDir, "20260101000001_init.sql", sharedV1)
	p.migration(TenantDir, "20260101000001_init.sql", tenantV1)
	return p, pgtest.New(t).Pool
}

// tenantVersions returns each tenant's applied versions from the
// revisions table.
func tenantVersions(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT tenant_id, version FROM app.tenantc_revisions WHERE error IS NULL ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		out[id] = append(out[id], v)
	}
	return out
}

// countTables counts the schemas holding table name.
func countTables(t *testing.T, pool *pgxpool.Pool, name string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE tablename = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestApplyFleet(t *testing.T) {
	for _, n := range []int{0, 1, 200} {
		t.Run(fmt.Sprintf("tenants=%d", n), func(t *testing.T) {
			p, pool := fleetProject(t)
			addTenants(t, pool, p.cfg, tenantIDs(n)...)
			var events []string
			var mu sync.Mutex
			res, err := Apply(t.Context(), pool, p.cfg, WithParallel(4), WithProgress(func(e Event) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, fmt.Sprintf("%T", e))
			}))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if res.Total != n || len(res.Tenants) != n || res.Failed != 0 {
				t.Errorf("Result total=%d tenants=%d failed=%d, want %d, %d, 0", res.Total, len(res.Tenants), res.Failed, n, n)
			}
			if got := countTables(t, pool, "tickets"); got != n {
				t.Errorf("%d schemas have tickets, want %d", got, n)
			}
			if got := strings.Count(strings.Join(events, " "), "TenantDone"); got != n {
				t.Errorf("%d TenantDone events, want %d", got, n)
			}
			// A second file: only it runs, everywhere.
			p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
			res, err = Apply(t.Context(), pool, p.cfg)
			if err != nil {
				t.Fatalf("second Apply: %v", err)
			}
			for _, tr := range res.Tenants {
				if !cmp.Equal(tr.Applied, []string{"20260101000002"}) {
					t.Fatalf("tenant %s applied %q, want only the new version", tr.ID, tr.Applied)
				}
			}
			vs := tenantVersions(t, pool)
			if !cmp.Equal(vs[""], []string{"20260101000001"}) {
				t.Errorf("shared versions = %q", vs[""])
			}
			for _, id := range tenantIDs(n) {
				if want := []string{"20260101000001", "20260101000002"}; !cmp.Equal(vs[id], want) {
					t.Fatalf("tenant %s versions = %q, want %q", id, vs[id], want)
				}
			}
			// Nothing pending: a no-op.
			res, err = Apply(t.Context(), pool, p.cfg)
			if err != nil || len(res.Tenants) != 0 || len(res.Shared.Applied) != 0 {
				t.Errorf("no-op Apply = %+v, %v; want nothing applied", res, err)
			}
		})
	}
}

func TestApplyFailingTenantConverges(t *testing.T) {
	p, pool := fleetProject(t)
	ids := []string{"a", "b", "c"}
	addTenants(t, pool, p.cfg, ids...)
	if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	// Tenant b has a row that breaks the coming NOT NULL.
	if _, err := pool.Exec(t.Context(), `INSERT INTO t_b.tickets VALUES (1, 1, NULL)`); err != nil {
		t.Fatal(err)
	}
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	var failed []TenantFailed
	res, err := Apply(t.Context(), pool, p.cfg, WithProgress(func(e Event) {
		if f, ok := e.(TenantFailed); ok {
			failed = append(failed, f)
		}
	}))
	if !errors.Is(err, ErrTenantsFailed) {
		t.Fatalf("Apply error = %v, want ErrTenantsFailed", err)
	}
	if res.Failed != 1 || len(failed) != 1 || failed[0].ID != "b" || failed[0].Version != "20260101000002" {
		t.Fatalf("failed = %d, events %+v; want tenant b at 20260101000002", res.Failed, failed)
	}
	vs := tenantVersions(t, pool)
	if len(vs["a"]) != 2 || len(vs["c"]) != 2 || len(vs["b"]) != 1 {
		t.Errorf("versions after failure = %v; want a and c at 2 versions, b at 1", vs)
	}
	var recorded string
	if err := pool.QueryRow(t.Context(), `SELECT error FROM app.tenantc_revisions WHERE tenant_id = 'b' AND version = '20260101000002'`).Scan(&recorded); err != nil {
		t.Fatalf("reading b's recorded failure: %v", err)
	}
	if !strings.Contains(recorded, "contains null values") {
		t.Errorf("recorded error = %q", recorded)
	}
	// The failed transaction left nothing behind in b.
	var idx int
	pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_indexes WHERE schemaname = 't_b' AND indexname = 'tickets_plan'`).Scan(&idx)
	if idx != 0 {
		t.Error("tenant b has the index of its failed migration")
	}
	st, err := Status(t.Context(), pool, p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Summary != (StatusSummary{Tenants: 3, Current: 2, Pending: 1, Failed: 1}) {
		t.Errorf("status summary = %+v", st.Summary)
	}

	// Fix the data; the re-run applies b only and clears its error.
	if _, err := pool.Exec(t.Context(), `UPDATE t_b.tickets SET title = 'x'`); err != nil {
		t.Fatal(err)
	}
	res, err = Apply(t.Context(), pool, p.cfg)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if len(res.Tenants) != 1 || res.Tenants[0].ID != "b" {
		t.Errorf("re-run touched %+v, want only b", res.Tenants)
	}
	st, err = Status(t.Context(), pool, p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Summary != (StatusSummary{Tenants: 3, Current: 3}) {
		t.Errorf("status summary after re-run = %+v", st.Summary)
	}
}

func TestApplyConcurrentNeverDoubleApplies(t *testing.T) {
	p, pool := fleetProject(t)
	ids := tenantIDs(40)
	addTenants(t, pool, p.cfg, ids...)
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	const runs = 3
	results := make([]*Result, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			results[i], errs[i] = Apply(t.Context(), pool, p.cfg, WithParallel(2))
		})
	}
	wg.Wait()
	applied := map[string]int{}
	for i := range runs {
		if errs[i] != nil {
			t.Fatalf("Apply %d: %v", i, errs[i])
		}
		for _, tr := range results[i].Tenants {
			applied[tr.ID] += len(tr.Applied)
		}
	}
	for _, id := range ids {
		if applied[id] != 2 {
			t.Errorf("tenant %s: %d versions applied across runs, want exactly 2", id, applied[id])
		}
	}
}

func TestApplyLockTimeout(t *testing.T) {
	p, pool := fleetProject(t)
	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), "SELECT pg_advisory_lock($1)", lockKey("app")); err != nil {
		t.Fatal(err)
	}
	_, err = Apply(t.Context(), pool, p.cfg, WithLockTimeout(200*time.Millisecond))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Apply while locked: %v, want ErrLocked", err)
	}
}

func TestApplyNoTxAtomicDryRunTenantFilter(t *testing.T) {
	p, pool := fleetProject(t)
	addTenants(t, pool, p.cfg, "a", "b", "c")
	p.migration(TenantDir, "20260101000002_concurrently.sql", `-- atlas:txmode none

CREATE INDEX CONCURRENTLY "tickets_title" ON "tickets" ("title");
`)
	res, err := Apply(t.Context(), pool, p.cfg, WithDryRun(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tenants) != 3 || !cmp.Equal(res.Tenants[0].Pending, []string{"20260101000001", "20260101000002"}) || !cmp.Equal(res.Shared.Pending, []string{"20260101000001"}) {
		t.Errorf("dry run = %+v", res)
	}
	if countTables(t, pool, "plans") != 0 {
		t.Error("dry run created tables")
	}
	if _, err := Apply(t.Context(), pool, p.cfg, WithAtomic(true, 0)); err == nil || !strings.Contains(err.Error(), "txmode none") {
		t.Errorf("atomic apply of a txmode none file: %v", err)
	}
	res, err = Apply(t.Context(), pool, p.cfg, WithTenants("b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tenants) != 1 || res.Tenants[0].ID != "b" || len(res.Tenants[0].Applied) != 2 {
		t.Errorf("filtered apply = %+v", res.Tenants)
	}
	var n int
	pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_indexes WHERE indexname = 'tickets_title'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d concurrently built indexes, want 1 (tenant b)", n)
	}
	var sp string
	pool.QueryRow(t.Context(), `SHOW search_path`).Scan(&sp)
	if strings.Contains(sp, "t_b") {
		t.Errorf("search_path leaked into the pool: %q", sp)
	}
	if _, err := Apply(t.Context(), pool, p.cfg, WithTenants("zz")); err == nil {
		t.Error("Apply for an unknown tenant succeeded")
	}
}

func TestApplyAtomic(t *testing.T) {
	p, pool := fleetProject(t)
	addTenants(t, pool, p.cfg, "a", "b", "c")
	if _, err := Apply(t.Context(), pool, p.cfg, WithAtomic(true, 2)); !errors.Is(err, ErrTooManyTenants) {
		t.Fatalf("atomic over the limit: %v", err)
	}
	// The refused run still applied the shared schema, not the tenants.
	if countTables(t, pool, "tickets") != 0 {
		t.Fatal("refused atomic apply migrated tenants")
	}
	if _, err := pool.Exec(t.Context(), `DROP SCHEMA t_c`); err != nil {
		t.Fatal(err)
	}
	res, err := Apply(t.Context(), pool, p.cfg, WithAtomic(true, 0))
	if !errors.Is(err, ErrTenantsFailed) || res.Failed != 1 {
		t.Fatalf("atomic with a missing schema: %v (failed %d)", err, res.Failed)
	}
	if countTables(t, pool, "tickets") != 0 {
		t.Fatal("failed atomic apply left tenants migrated")
	}
	if _, err := pool.Exec(t.Context(), `CREATE SCHEMA t_c`); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(t.Context(), pool, p.cfg, WithAtomic(true, 0)); err != nil {
		t.Fatal(err)
	}
	if got := countTables(t, pool, "tickets"); got != 3 {
		t.Errorf("%d tenants migrated, want 3", got)
	}
	if slices.Contains([]int{countTables(t, pool, "plans")}, 0) {
		t.Error("shared schema not migrated")
	}
}

func TestApplyFailFast(t *testing.T) {
	p, pool := fleetProject(t)
	addTenants(t, pool, p.cfg, "a", "b", "c")
	if _, err := pool.Exec(t.Context(), `DROP SCHEMA t_a`); err != nil {
		t.Fatal(err)
	}
	res, err := Apply(t.Context(), pool, p.cfg, WithParallel(1), WithFailFast(true))
	if !errors.Is(err, ErrTenantsFailed) {
		t.Fatalf("Apply: %v, want ErrTenantsFailed", err)
	}
	if res.Failed != 1 || !strings.Contains(res.Tenants[0].Error, `schema "t_a" does not exist`) {
		t.Fatalf("result %+v, want tenant a failed for its missing schema", res.Tenants)
	}
	if got := countTables(t, pool, "tickets"); got != 0 {
		t.Errorf("%d tenants migrated after a fail-fast failure, want 0", got)
	}
	if countTables(t, pool, "plans") != 1 {
		t.Error("the missing tenant schema's tables went to another schema")
	}
}

// TestApplyFromFS migrates at start-up the way an app does: a config built
// in code (no tenantc.yaml, no schema or query files, no migrations
// directory on disk) and migrations embedded in the binary.
func TestApplyFromFS(t *testing.T) {
	pool := pgtest.New(t).Pool
	cfg := config.Default()
	cfg.SharedSchema = "app"
	cfg.TenantSchema = "t_{id}"
	// Nothing under this directory exists: every read must go to fsys.
	cfg.Dir = t.TempDir()
	fsys := migratetest.MigrationsFS(t, map[string]map[string]string{
		SharedDir: {"20260101000001_init.sql": sharedV1},
		TenantDir: {"20260101000001_init.sql": tenantV1, "20260101000002_title.sql": tenantV2},
	})
	addTenants(t, pool, &cfg, "a", "b")
	res, err := Apply(t.Context(), pool, &cfg, WithMigrationsFS(fsys))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !cmp.Equal(res.Shared.Applied, []string{"20260101000001"}) || len(res.Tenants) != 2 || res.Failed != 0 {
		t.Errorf("result = %+v", res)
	}
	want := map[string][]string{"": {"20260101000001"}, "a": {"20260101000001", "20260101000002"}, "b": {"20260101000001", "20260101000002"}}
	if diff := cmp.Diff(want, tenantVersions(t, pool)); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if n := countTables(t, pool, "tickets"); n != 2 {
		t.Errorf("%d tickets tables, want 2", n)
	}

	st, err := Status(t.Context(), pool, &cfg, WithMigrationsFS(fsys))
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if st.Shared.Version != "20260101000001" || st.Summary != (StatusSummary{Tenants: 2, Current: 2}) {
		t.Errorf("status = %+v", st)
	}
	// A file changed after atlas.sum was written is refused, as on disk.
	fsys[TenantDir+"/20260101000002_title.sql"] = &fstest.MapFile{Data: []byte(tenantV2 + "DROP TABLE tickets;\n")}
	if _, err := Apply(t.Context(), pool, &cfg, WithMigrationsFS(fsys)); !errors.Is(err, atlasmigrate.ErrChecksumMismatch) {
		t.Errorf("Apply with an edited file: %v, want ErrChecksumMismatch", err)
	}
	// Without the option the (missing) directories on disk are read: no
	// files, so nothing is pending and nothing is applied.
	res, err = Apply(t.Context(), pool, &cfg)
	if err != nil || len(res.Shared.Applied) != 0 || len(res.Tenants) != 0 {
		t.Errorf("Apply from an empty disk directory = %+v, %v", res, err)
	}
}

// Migrators that share one small pool must not starve the lock holder:
// waiting for the lock holds no connection.
func TestApplyConcurrentSharedSmallPool(t *testing.T) {
	p, big := fleetProject(t)
	ids := tenantIDs(12)
	addTenants(t, big, p.cfg, ids...)
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	pool := pgtest.Connect(t, big.Config().ConnString(), pgtest.WithMaxConns(3))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const runs = 4
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() { _, errs[i] = Apply(ctx, pool, p.cfg, WithParallel(2)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Apply %d on a shared 3-connection pool: %v", i, err)
		}
	}
	for id, vs := range tenantVersions(t, big) {
		if id != "" && len(vs) != 2 {
			t.Errorf("tenant %s has versions %v, want 2", id, vs)
		}
	}
}

// TestApplyAtomicFailsEnteringTenant fails a tenant before its first file
// (its schema is missing) after a tenant with more pending files: the
// failure is recorded at the failing tenant's own first pending version.
func TestApplyAtomicFailsEnteringTenant(t *testing.T) {
	p, pool := fleetProject(t)
	ctx := t.Context()
	addTenants(t, pool, p.cfg, "b")
	if _, err := Apply(ctx, pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	addTenants(t, pool, p.cfg, "a") // nothing applied: two pending files
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	if _, err := pool.Exec(ctx, `DROP SCHEMA t_b CASCADE`); err != nil {
		t.Fatal(err)
	}
	var failed []TenantFailed
	res, err := Apply(ctx, pool, p.cfg, WithAtomic(true, 0), WithProgress(func(e Event) {
		if f, ok := e.(TenantFailed); ok {
			failed = append(failed, f)
		}
	}))
	if !errors.Is(err, ErrTenantsFailed) {
		t.Fatalf("Apply: %v, want ErrTenantsFailed", err)
	}
	if len(failed) != 1 || failed[0].ID != "b" || failed[0].Version != "20260101000002" {
		t.Errorf("failed events = %+v, want b at 20260101000002", failed)
	}
	var version string
	if err := pool.QueryRow(ctx, `SELECT version FROM app.tenantc_revisions WHERE tenant_id = 'b' AND error IS NOT NULL`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != "20260101000002" {
		t.Errorf("failure recorded at %s, want 20260101000002", version)
	}
	if res.Failed != 1 {
		t.Errorf("result failed = %d, want 1", res.Failed)
	}
}

// TestApplyFailureKeepsDetailAndHint checks that a tenant's recorded and
// reported error carries PostgreSQL's DETAIL and HINT.
func TestApplyFailureKeepsDetailAndHint(t *testing.T) {
	p, pool := fleetProject(t)
	ctx := t.Context()
	addTenants(t, pool, p.cfg, "a")
	if _, err := Apply(ctx, pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO t_a.tickets (id, plan_id, title) VALUES (1, 1, 'x'), (2, 1, 'x')`); err != nil {
		t.Fatal(err)
	}
	p.migration(TenantDir, "20260101000002_unique.sql", `CREATE UNIQUE INDEX "tickets_title" ON "tickets" ("title");
`)
	res, err := Apply(ctx, pool, p.cfg)
	if !errors.Is(err, ErrTenantsFailed) {
		t.Fatalf("Apply: %v, want ErrTenantsFailed", err)
	}
	if want := "DETAIL: Key (title)=(x) is duplicated."; !strings.Contains(res.Tenants[0].Error, want) {
		t.Errorf("error %q lacks %q", res.Tenants[0].Error, want)
	}
	p.migration(TenantDir, "20260101000002_unique.sql", `SELECT no_such_function(1);
`)
	res, _ = Apply(ctx, pool, p.cfg)
	if want := "HINT: No function matches the given name and argument types."; len(res.Tenants) != 1 || !strings.Contains(res.Tenants[0].Error, want) {
		t.Fatalf("result %+v lacks %q", res.Tenants, want)
	}
	st, err := Status(ctx, pool, p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if e := st.Tenants[0].Error; e == nil || !strings.Contains(*e, "HINT: No function matches") {
		t.Errorf("recorded error = %v, want the HINT", e)
	}
}

// A pool whose connections the server dropped (a restart) still takes the
// migration lock: the dead sessions held none.
func TestApplyAfterTheServerDroppedThePoolsConnections(t *testing.T) {
	p, pool := fleetProject(t)
	if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	// Hold every connection of the pool, so that they all stay in it, and
	// end their sessions from another connection.
	conns := make([]*pgxpool.Conn, pool.Config().MaxConns)
	for i := range conns {
		c, err := pool.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	admin, err := pgx.Connect(t.Context(), pool.Config().ConnConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(t.Context())
	if _, err := admin.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.Release()
	}
	if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatalf("Apply on a pool of dropped connections: %v", err)
	}
}
