package migrate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
)

// crashChildEnv makes the test binary a migrator child: it applies the
// project of TENANTC_CRASH_CONFIG to TENANTC_CRASH_URL and exits.
const crashChildEnv = "TENANTC_CRASH_CHILD"

// crashChildApp is the child's application_name.
const crashChildApp = "tenantc_crash_child"

func crashChild() {
	ctx := context.Background()
	cfg, err := config.Load(os.Getenv("TENANTC_CRASH_CONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pc, err := pgxpool.ParseConfig(os.Getenv("TENANTC_CRASH_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pc.ConnConfig.RuntimeParams["application_name"] = crashChildApp
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if _, err := Apply(ctx, pool, cfg, WithParallel(4)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestApplyCrashConverges kills a migrating child process with SIGKILL at
// random points, checking after each kill that no tenant is half-migrated
// (its recorded versions match what its schema holds), then checks that a
// final apply brings every tenant to the latest version.
//
// Every one of the ten kills lands part-way through a run: half of them
// after a random delay early in the run (while the child connects, takes
// the lock, migrates the first tenants), the other half once a random
// number of tenant versions is recorded. A fleet that gets close to done is
// reset to unmigrated schemas first, so there is always work to interrupt.
// A kill that comes too late fails the test rather than passing quietly.
func TestApplyCrashConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	const (
		tenants = 300
		total   = 3 * tenants // tenant versions when every tenant is current
		margin  = 60          // versions left when a counted kill lands, at the latest
	)
	p, pool := fleetProject(t)
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	p.migration(TenantDir, "20260101000003_notes.sql", `CREATE TABLE "notes" ("id" bigint NOT NULL, "ticket_id" bigint NOT NULL REFERENCES "tickets" ("id"), PRIMARY KEY ("id"));
ALTER TABLE "tickets" ADD COLUMN "note_count" integer NOT NULL DEFAULT 0;
`)
	addTenants(t, pool, p.cfg, tenantIDs(tenants)...)
	url := pool.Config().ConnString()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	applied := func() int {
		var n int
		// Before the child's first setup the table does not exist: 0.
		_ = pool.QueryRow(t.Context(), `SELECT count(*) FROM app.tenantc_revisions WHERE tenant_id <> '' AND error IS NULL`).Scan(&n)
		return n
	}
	for i := range 10 {
		// A timed kill needs a run long enough to outlast its delay.
		if n := applied(); n > total-3*margin || (i%2 == 0 && n > total/3) {
			resetFleet(t, pool, tenants)
		}
		before := applied()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"=1", "TENANTC_CRASH_CONFIG="+p.cfg.Path, "TENANTC_CRASH_URL="+url)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var at string
		if i%2 == 0 {
			delay := time.Duration(rng.IntN(150)) * time.Millisecond
			at = fmt.Sprintf("after %v", delay)
			select {
			case <-time.After(delay):
			case err := <-done:
				t.Fatalf("run %d finished (%v) before the kill %s", i, err, at)
			}
		} else {
			target := before + 1 + rng.IntN(total-margin-before)
			at = fmt.Sprintf("at %d applied versions", target)
			for applied() < target {
				select {
				case err := <-done:
					t.Fatalf("run %d finished (%v) before the kill %s", i, err, at)
				case <-time.After(time.Millisecond):
				}
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err == nil {
			t.Fatalf("run %d finished before the kill %s", i, at)
		}
		pgtest.EndSessions(t, pool, crashChildApp)
		checkConsistent(t, pool)
		n := applied()
		if n >= total {
			t.Fatalf("kill %d %s landed after the run: all %d versions applied", i, at, n)
		}
		t.Logf("kill %d %s: %d → %d of %d tenant versions applied", i, at, before, n, total)
	}
	if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatalf("final Apply: %v", err)
	}
	checkConsistent(t, pool)
	vs := tenantVersions(t, pool)
	for _, id := range tenantIDs(tenants) {
		if len(vs[id]) != 3 {
			t.Fatalf("tenant %s at versions %q after the final apply, want all 3", id, vs[id])
		}
	}
}

// resetFleet drops every tenant's migrations: empty schemas, no tenant
// revisions.
func resetFleet(t *testing.T, pool *pgxpool.Pool, tenants int) {
	t.Helper()
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM app.tenantc_revisions WHERE tenant_id <> ''`)
	for _, id := range tenantIDs(tenants) {
		b.Queue(fmt.Sprintf(`DROP SCHEMA t_%s CASCADE`, id))
		b.Queue(fmt.Sprintf(`CREATE SCHEMA t_%s`, id))
	}
	if err := pool.SendBatch(t.Context(), b).Close(); err != nil {
		t.Fatal(err)
	}
}

// checkConsistent fails when a tenant's schema does not match its
// recorded versions: v1 ⇔ tickets exists, v2 ⇔ the tickets_plan index
// exists, v3 ⇔ notes exists.
func checkConsistent(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	// A kill before the child's setup leaves no revisions table: then no
	// tenant may have been migrated either.
	var setUp bool
	if err := pool.QueryRow(t.Context(), `SELECT to_regclass('app.tenantc_revisions') IS NOT NULL`).Scan(&setUp); err != nil {
		t.Fatal(err)
	}
	if !setUp {
		if n := countTables(t, pool, "tickets"); n != 0 {
			t.Errorf("no revisions table, but %d tenants have tickets", n)
		}
		return
	}
	// One query, one snapshot: a killed child's backend may still be
	// finishing its transaction, which either commits whole or not at all.
	rows, err := pool.Query(t.Context(), `
SELECT t.id,
	EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = t.schema_name AND tablename = 'tickets') AS has1,
	EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = t.schema_name AND indexname = 'tickets_plan') AS has2,
	EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = t.schema_name AND tablename = 'notes') AS has3,
	EXISTS (SELECT 1 FROM app.tenantc_revisions r WHERE r.tenant_id = t.id AND version = '20260101000001' AND error IS NULL) AS rec1,
	EXISTS (SELECT 1 FROM app.tenantc_revisions r WHERE r.tenant_id = t.id AND version = '20260101000002' AND error IS NULL) AS rec2,
	EXISTS (SELECT 1 FROM app.tenantc_revisions r WHERE r.tenant_id = t.id AND version = '20260101000003' AND error IS NULL) AS rec3
FROM app.tenants t ORDER BY t.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	bad := 0
	for rows.Next() {
		var id string
		var has, rec [3]bool
		if err := rows.Scan(&id, &has[0], &has[1], &has[2], &rec[0], &rec[1], &rec[2]); err != nil {
			t.Fatal(err)
		}
		if has != rec {
			bad++
			if bad <= 5 {
				t.Errorf("tenant %s half-migrated: schema has v1..v3 = %v, revisions say %v", id, has, rec)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
