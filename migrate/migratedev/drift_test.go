package migratedev

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/migratetest"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
)

func TestDriftNamesTheAlteredTenant(t *testing.T) {
	p, pool := fleetProject(t)
	p.migration(migrate.TenantDir, "20260101000002_title.sql", tenantV2+`CREATE TYPE "state" AS ENUM ('open', 'closed');
ALTER TABLE "tickets" ADD COLUMN "state" "state" NOT NULL DEFAULT 'open';
`)
	addTenants(t, pool, p.cfg, "a", "b", "c", "d")
	if _, err := migrate.Apply(t.Context(), pool, p.cfg, migrate.WithTenants("a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	// d stays unmigrated (expected: an empty schema); c is altered by hand.
	if _, err := pool.Exec(t.Context(), `ALTER TABLE t_c.tickets ADD COLUMN hacked int; DROP INDEX t_c.tickets_plan;
ALTER TABLE t_c.tickets ALTER COLUMN title TYPE varchar(20), ALTER COLUMN title DROP NOT NULL, ALTER COLUMN title SET DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	rep, err := Drift(t.Context(), pool, p.cfg, WithDevURL(devURL(t)))
	if err != nil {
		t.Fatal(err)
	}
	want := []TenantDrift{{
		ID: "c", Schema: "t_c", Version: "20260101000002",
		Differences: []string{
			`~ column "tickets"."title" differs: expected text NOT NULL, found character varying(20) NULL DEFAULT 'x'`,
			`+ column "tickets"."hacked"`, `- index "tickets_plan" on "tickets" (missing)`,
		},
	}}
	if diff := cmp.Diff(want, rep.Tenants); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	if rep.Checked != 4 {
		t.Errorf("checked %d tenants, want 4", rep.Checked)
	}
}

// TestDriftAndLintFromFS read the migrations an app embeds, with a config
// built in code and no migrations directory on disk.
func TestDriftAndLintFromFS(t *testing.T) {
	pool := pgtest.New(t).Pool
	cfg := config.Default()
	cfg.SharedSchema = "app"
	cfg.TenantSchema = "t_{id}"
	// Nothing under this directory exists: every read must go to fsys.
	cfg.Dir = t.TempDir()
	fsys := migratetest.MigrationsFS(t, map[string]map[string]string{
		migrate.SharedDir: {"20260101000001_init.sql": sharedV1},
		migrate.TenantDir: {"20260101000001_init.sql": tenantV1, "20260101000002_title.sql": tenantV2},
	})
	addTenants(t, pool, &cfg, "a", "b")
	if _, err := migrate.Apply(t.Context(), pool, &cfg, migrate.WithMigrationsFS(fsys)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	rep, err := Drift(t.Context(), pool, &cfg, WithMigrationsFS(fsys), WithDevURL(devURL(t)))
	if err != nil {
		t.Fatalf("Drift: %v", err)
	}
	if rep.Checked != 2 || len(rep.Tenants) != 0 {
		t.Errorf("drift = %+v, want 2 checked, none drifted", rep)
	}
	lint, err := Lint(t.Context(), nil, &cfg, WithMigrationsFS(fsys), WithDevURL(devURL(t)))
	if err != nil {
		t.Fatalf("Lint: %v", err)
	}
	if want := []string{"shared/20260101000001_init.sql", "tenant/20260101000002_title.sql"}; !cmp.Equal(want, lint.Files) {
		t.Errorf("linted %q, want %q", lint.Files, want)
	}
}

// TestDriftRefusesUnsafeSchema: a registry row naming a schema that is not
// a tenant's is refused before anything is inspected.
func TestDriftRefusesUnsafeSchema(t *testing.T) {
	p, pool := fleetProject(t)
	addTenants(t, pool, p.cfg, "a")
	if _, err := pool.Exec(t.Context(), `INSERT INTO app.tenants (id, schema_name) VALUES ('evil', 'app')`); err != nil {
		t.Fatal(err)
	}
	if _, err := Drift(t.Context(), pool, p.cfg, WithDevURL(devURL(t))); !errors.Is(err, migrate.ErrUnsafeSchema) {
		t.Errorf("Drift: %v, want ErrUnsafeSchema", err)
	}
}

// TestDiffThenApply applies what Diff wrote for tables, a domain, a
// trigger function and a view to two tenants, and checks that the tenant
// function captured its own schema.
func TestDiffThenApply(t *testing.T) {
	src, err := os.ReadFile("testdata/diff/views_functions/2.sql")
	if err != nil {
		t.Fatal(err)
	}
	p := newProject(t, string(src))
	p.diff("init", "20260101000001")
	pool := pgtest.New(t).Pool
	addTenants(t, pool, p.cfg, "a", "b")
	if _, err := migrate.Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(t.Context(), `INSERT INTO app.plans VALUES (1, 'gold');
INSERT INTO t_a.tickets (id, plan_id, title) VALUES (1, 1, 'x');
UPDATE t_a.tickets SET title = 'y'`)
	if err != nil {
		t.Fatal(err)
	}
	var touched bool
	var plan string
	if err := pool.QueryRow(t.Context(), `SELECT t.updated_at IS NOT NULL, v.plan FROM t_a.tickets t, t_a.open_tickets v`).Scan(&touched, &plan); err != nil {
		t.Fatal(err)
	}
	if !touched || plan != "gold" {
		t.Errorf("trigger touched = %v, view plan = %q", touched, plan)
	}
	var cfg []string
	if err := pool.QueryRow(t.Context(), `SELECT proconfig FROM pg_proc WHERE oid = 't_b.touch'::regproc`).Scan(&cfg); err != nil {
		t.Fatal(err)
	}
	if want := []string{`search_path="t_b", "app"`}; !cmp.Equal(want, cfg) {
		t.Errorf("t_b.touch proconfig = %q, want %q", cfg, want)
	}
}
