package reliability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
)

// Migration fleet size at full size; the default run leaves migrations to
// migrate's own tests (crash convergence at 300 tenants, concurrent
// migrators at 40).
const (
	fleetTenants = 1000
	fleetKills   = 5
)

// migratorChildEnv makes the test binary a migrator: it applies the
// project of TENANTC_MIGRATOR_CONFIG to TENANTC_MIGRATOR_URL and exits.
const migratorChildEnv = "TENANTC_MIGRATOR_CHILD"

// migratorApp is a migrator child's application_name.
const migratorApp = "tenantc_migrator_child"

// migratorChild is the body of a migrator child process.
func migratorChild() int {
	ctx := context.Background()
	cfg, err := config.Load(os.Getenv("TENANTC_MIGRATOR_CONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	pc, err := pgxpool.ParseConfig(os.Getenv("TENANTC_MIGRATOR_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	pc.ConnConfig.RuntimeParams["application_name"] = migratorApp
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer pool.Close()
	if _, err := migrate.Apply(ctx, pool, cfg, migrate.WithParallel(4)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// Migrations of the fleet: one shared, three per tenant, each visible in
// the catalog so that a tenant's schema can be compared with its recorded
// versions.
const (
	fleetShared = `CREATE TABLE "app"."plans" ("id" bigint NOT NULL, PRIMARY KEY ("id"));
INSERT INTO "app"."plans" VALUES (1);
`
	fleetV1 = `CREATE TABLE "tickets" ("id" bigint NOT NULL, "plan_id" bigint NOT NULL REFERENCES "app"."plans" ("id"), "title" text NULL, PRIMARY KEY ("id"));
`
	fleetV2 = `ALTER TABLE "tickets" ALTER COLUMN "title" SET NOT NULL;
CREATE INDEX "tickets_plan" ON "tickets" ("plan_id");
`
	fleetV3 = `CREATE TABLE "notes" ("id" bigint NOT NULL, "ticket_id" bigint NOT NULL REFERENCES "tickets" ("id"), PRIMARY KEY ("id"));
ALTER TABLE "tickets" ADD COLUMN "note_count" integer NOT NULL DEFAULT 0;
`
)

// fleetProject writes a tenantc project with the fleet's migrations and
// returns its config.
func fleetProject(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"tenantc.yaml": "version: \"1\"\nschema: [schema]\nqueries: [schema]\nshared_schema: app\ntenant_schema: \"t_{id}\"\n",
		"schema/.keep": "",
		"migrations/shared/20260101000001_init.sql":  fleetShared,
		"migrations/tenant/20260101000001_init.sql":  fleetV1,
		"migrations/tenant/20260101000002_title.sql": fleetV2,
		"migrations/tenant/20260101000003_notes.sql": fleetV3,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, side := range []string{"shared", "tenant"} {
		d, err := atlasmigrate.NewLocalDir(filepath.Join(dir, "migrations", side))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := d.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		if err := atlasmigrate.WriteSumFile(d, sum); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "tenantc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fleetIDs returns the ids of the fleet's n tenants.
func fleetIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%04d", i)
	}
	return ids
}

// addFleet registers n tenants and creates their empty schemas, as
// provisioning does before migrating them.
func addFleet(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `CREATE SCHEMA app;
CREATE TABLE app.tenants (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		t.Fatal(err)
	}
	b := &pgx.Batch{}
	for _, id := range fleetIDs(n) {
		b.Queue("CREATE SCHEMA " + pgx.Identifier{"t_" + id}.Sanitize())
		b.Queue("INSERT INTO app.tenants (id, schema_name) VALUES ($1, $2)", id, "t_"+id)
	}
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
}

// resetFleet undoes every tenant migration: empty schemas, no tenant
// revisions.
func resetFleet(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM app.tenantc_revisions WHERE tenant_id <> ''`)
	for _, id := range fleetIDs(n) {
		ident := pgx.Identifier{"t_" + id}.Sanitize()
		b.Queue("DROP SCHEMA " + ident + " CASCADE")
		b.Queue("CREATE SCHEMA " + ident)
	}
	if err := pool.SendBatch(context.Background(), b).Close(); err != nil {
		t.Fatal(err)
	}
}

// fleetState compares each tenant's schema with its recorded versions in
// one snapshot: v1 ⇔ tickets exists, v2 ⇔ the tickets_plan index exists,
// v3 ⇔ notes exists. It returns the number of recorded tenant versions and
// of tenants whose schema and record disagree.
func fleetState(t *testing.T, pool *pgxpool.Pool) (versions, inconsistent int) {
	t.Helper()
	ctx := context.Background()
	var setUp bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('app.tenantc_revisions') IS NOT NULL`).Scan(&setUp); err != nil {
		t.Fatal(err)
	}
	if !setUp {
		// Killed before its setup: no tenant may be migrated either.
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'tickets'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return 0, n
	}
	err := pool.QueryRow(ctx, `
WITH s AS (
	SELECT t.id,
		EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = t.schema_name AND tablename = 'tickets') AS has1,
		EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = t.schema_name AND indexname = 'tickets_plan') AS has2,
		EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = t.schema_name AND tablename = 'notes') AS has3,
		EXISTS (SELECT 1 FROM app.tenantc_revisions r WHERE r.tenant_id = t.id AND version = '20260101000001' AND error IS NULL) AS rec1,
		EXISTS (SELECT 1 FROM app.tenantc_revisions r WHERE r.tenant_id = t.id AND version = '20260101000002' AND error IS NULL) AS rec2,
		EXISTS (SELECT 1 FROM app.tenantc_revisions r WHERE r.tenant_id = t.id AND version = '20260101000003' AND error IS NULL) AS rec3
	FROM app.tenants t)
SELECT (SELECT count(*) FROM app.tenantc_revisions WHERE tenant_id <> '' AND error IS NULL),
	count(*) FILTER (WHERE has1 <> rec1 OR has2 <> rec2 OR has3 <> rec3)
FROM s`).Scan(&versions, &inconsistent)
	if err != nil {
		t.Fatal(err)
	}
	return versions, inconsistent
}

// recorded returns the number of tenant versions recorded: a cheap poll,
// unlike fleetState.
func recorded(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	ctx := context.Background()
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('app.tenantc_revisions') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	var n int
	if exists {
		// The table cannot disappear: the migrator creates it once.
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM app.tenantc_revisions WHERE tenant_id <> '' AND error IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// TestMigrateFleet runs tenantc's migrator on 1,000 tenants at full size:
// four migrators at once must apply each tenant version exactly once, and
// a migrator killed at random points must leave no tenant half-migrated
// and converge on the next run.
func TestMigrateFleet(t *testing.T) {
	if !full() {
		t.Skipf("full size only (%s=full); migrate's tests cover crash convergence at 300 tenants and concurrent migrators at 40", EnvSize)
	}
	ctx := context.Background()
	const total = 3 * fleetTenants

	t.Run("concurrent migrators", func(t *testing.T) {
		pg := pgtest.New(t)
		cfg := fleetProject(t)
		addFleet(t, pg.Pool, fleetTenants)
		const runs = 4
		results := make([]*migrate.Result, runs)
		errs := make([]error, runs)
		start := time.Now()
		var wg sync.WaitGroup
		for i := range runs {
			// A pool each, as separate processes have: migrators waiting
			// for the lock on one shared pool hold the connections the
			// lock holder needs.
			pool := pgtest.Connect(t, pg.URL, pgtest.WithMaxConns(6))
			wg.Go(func() {
				results[i], errs[i] = migrate.Apply(ctx, pool, cfg, migrate.WithParallel(4))
			})
		}
		wg.Wait()
		applied := map[string]int{}
		for i := range runs {
			if errs[i] != nil {
				t.Fatalf("migrator %d: %v", i, errs[i])
			}
			for _, tr := range results[i].Tenants {
				applied[tr.ID] += len(tr.Applied)
			}
		}
		for _, id := range fleetIDs(fleetTenants) {
			if applied[id] != 3 {
				t.Errorf("tenant %s: %d versions applied across the migrators, want exactly 3", id, applied[id])
			}
		}
		versions, bad := fleetState(t, pg.Pool)
		if versions != total || bad != 0 {
			t.Errorf("%d tenant versions recorded (want %d), %d tenants inconsistent", versions, total, bad)
		}
		t.Logf("%d migrators at once on %d tenants: %d tenant versions applied once each in %v", runs, fleetTenants, versions, time.Since(start).Round(time.Millisecond))
	})

	t.Run("crash convergence", func(t *testing.T) {
		pg := pgtest.New(t)
		cfg := fleetProject(t)
		addFleet(t, pg.Pool, fleetTenants)
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 1))
		for i := range fleetKills {
			if v, _ := fleetState(t, pg.Pool); v > total/2 {
				resetFleet(t, pg.Pool, fleetTenants)
			}
			before, _ := fleetState(t, pg.Pool)
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), migratorChildEnv+"=1", "TENANTC_MIGRATOR_CONFIG="+cfg.Path, "TENANTC_MIGRATOR_URL="+pg.URL)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill once the child has recorded a random number of tenant
			// versions, so the kill lands mid-fleet.
			target := before + 50 + rng.IntN(total-before-150)
			deadline := time.Now().Add(5 * time.Minute)
			for recorded(t, pg.Pool) < target && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			// The killed child's backends may still be finishing: a
			// transaction commits whole or not at all, so any snapshot
			// must be consistent.
			versions, bad := fleetState(t, pg.Pool)
			t.Logf("kill %d: %d tenant versions recorded (%d before the run), %d tenants inconsistent", i+1, versions, before, bad)
			if bad != 0 {
				t.Errorf("kill %d left %d tenants half-migrated", i+1, bad)
			}
			pgtest.EndSessions(t, pg.Pool, migratorApp)
		}
		if _, err := migrate.Apply(ctx, pg.Pool, cfg, migrate.WithParallel(4)); err != nil {
			t.Fatalf("final apply: %v", err)
		}
		versions, bad := fleetState(t, pg.Pool)
		if versions != total || bad != 0 {
			t.Errorf("after the final apply: %d tenant versions (want %d), %d tenants inconsistent", versions, total, bad)
		}
		t.Logf("%d kills on %d tenants; the final apply converged to %d tenant versions", fleetKills, fleetTenants, versions)
	})
}
