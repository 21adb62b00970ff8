package migrate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
)

// crashChildEnv makes the test binary a migrator child: it applies the
// project of TENANTC_CRASH_CONFIG to TENANTC_CRASH_URL and exits.
const crashChildEnv = "TENANTC_CRASH_CHILD"

func crashChild() {
	ctx := context.Background()
	cfg, err := config.Load(os.Getenv("TENANTC_CRASH_CONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pool, err := pgxpool.New(ctx, os.Getenv("TENANTC_CRASH_URL"))
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
func TestApplyCrashConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	const tenants = 300
	p, pool := fleetProject(t)
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	p.migration(TenantDir, "20260101000003_notes.sql", `CREATE TABLE "notes" ("id" bigint NOT NULL, "ticket_id" bigint NOT NULL REFERENCES "tickets" ("id"), PRIMARY KEY ("id"));
ALTER TABLE "tickets" ADD COLUMN "note_count" integer NOT NULL DEFAULT 0;
`)
	addTenants(t, pool, p.cfg, tenantIDs(tenants)...)
	url := pool.Config().ConnString()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := range 10 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"=1", "TENANTC_CRASH_CONFIG="+p.cfg.Path, "TENANTC_CRASH_URL="+url)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(50+rng.IntN(600)) * time.Millisecond
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-time.After(delay):
			cmd.Process.Kill()
			<-done
		case err := <-done:
			t.Logf("run %d finished before the kill at %v: %v", i, delay, err)
		}
		checkConsistent(t, pool)
		var n int
		pool.QueryRow(t.Context(), `SELECT count(*) FROM app.tenantc_revisions WHERE tenant_id <> '' AND error IS NULL`).Scan(&n)
		t.Logf("kill %d after %v: %d of %d tenant versions applied", i, delay, n, 3*tenants)
		if i == 4 {
			// Half-way, start over from unmigrated tenants so that kills
			// also land early in a run, not only near its end.
			if _, err := pool.Exec(t.Context(), `DELETE FROM app.tenantc_revisions WHERE tenant_id <> ''`); err != nil {
				t.Fatal(err)
			}
			for _, id := range tenantIDs(tenants) {
				if _, err := pool.Exec(t.Context(), fmt.Sprintf(`DROP SCHEMA t_%s CASCADE; CREATE SCHEMA t_%s`, id, id)); err != nil {
					t.Fatal(err)
				}
			}
		}
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

// checkConsistent fails when a tenant's schema does not match its
// recorded versions: v1 ⇔ tickets exists, v2 ⇔ the tickets_plan index
// exists, v3 ⇔ notes exists.
func checkConsistent(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
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
