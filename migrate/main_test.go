package migrate

import (
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/migratetest"
	"github.com/tenantc/tenantc/internal/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	if os.Getenv(moveChildEnv) != "" {
		moveChild()
		return
	}
	pgtest.Main(m)
}

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

func tenantIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%04d", i)
	}
	return ids
}
