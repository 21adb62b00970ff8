package migratedev

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/migratetest"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

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

// project is a tenantc project in a temporary directory, from
// migratetest.NewProject.
type project struct {
	t   *testing.T
	dir string
	cfg *config.Config
}

func newProject(t *testing.T, schemaSQL string) *project {
	t.Helper()
	dir, cfg := migratetest.NewProject(t, schemaSQL)
	return &project{t: t, dir: dir, cfg: cfg}
}

func (p *project) write(name, content string) {
	p.t.Helper()
	migratetest.WriteFile(p.t, p.dir, name, content)
}

func (p *project) setSchema(sql string) { p.write("schema/app.sql", sql) }

func (p *project) read(rel string) string { p.t.Helper(); return migratetest.ReadFile(p.t, p.dir, rel) }

// migration writes a migration file into migrations/<side> and refreshes
// that directory's atlas.sum.
func (p *project) migration(side, file, content string) {
	p.t.Helper()
	migratetest.WriteMigration(p.t, p.dir, side, file, content)
}

// addTenants registers tenants and creates their (empty) schemas, as
// tenant provisioning would before migrating them.
func addTenants(t *testing.T, pool *pgxpool.Pool, cfg *config.Config, ids ...string) {
	t.Helper()
	migratetest.AddTenants(t, pool, cfg, ids...)
}

// fleetProject is a project with one migration per side, on a fresh
// database.
func fleetProject(t *testing.T) (*project, *pgxpool.Pool) {
	p := newProject(t, "")
	p.migration(migrate.SharedDir, "20260101000001_init.sql", sharedV1)
	p.migration(migrate.TenantDir, "20260101000001_init.sql", tenantV1)
	return p, pgtest.New(t).Pool
}

func (p *project) catalog() *schema.Catalog {
	p.t.Helper()
	cat, err := schema.Load(context.Background(), p.cfg)
	if err != nil {
		p.t.Fatalf("schema.Load: %v", err)
	}
	return cat
}

// diff runs Diff with a fixed version on the shared test server.
func (p *project) diff(name, version string, opts ...DiffOption) *DiffResult {
	p.t.Helper()
	opts = append([]DiffOption{WithDevURL(pgtest.Get(p.t).AdminURL()), WithVersion(version)}, opts...)
	res, err := Diff(context.Background(), p.cfg, p.catalog(), name, opts...)
	if err != nil {
		p.t.Fatalf("Diff %s: %v", name, err)
	}
	return res
}

func devURL(t *testing.T) string { return pgtest.Get(t).AdminURL() }
