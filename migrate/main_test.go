package migrate

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	pgtest.Main(m)
}

// project is a tenantc project in a temporary directory.
type project struct {
	t   *testing.T
	dir string
	cfg *config.Config
}

const testConfig = `version: "1"
schema: [schema]
queries: [schema]
shared_schema: app
tenant_schema: "t_{id}"
`

func newProject(t *testing.T, schemaSQL string) *project {
	t.Helper()
	dir := t.TempDir()
	p := &project{t: t, dir: dir}
	p.write("tenantc.yaml", testConfig)
	p.setSchema(schemaSQL)
	cfg, err := config.Load(filepath.Join(dir, "tenantc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p.cfg = cfg
	return p
}

func (p *project) write(name, content string) {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *project) setSchema(sql string) { p.write("schema/app.sql", sql) }

func (p *project) read(rel string) string {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, rel))
	if err != nil {
		p.t.Fatal(err)
	}
	return string(b)
}

// migration writes a migration file into migrations/<side> and refreshes
// that directory's atlas.sum.
func (p *project) migration(side, file, content string) {
	p.t.Helper()
	p.write(filepath.Join("migrations", side, file), content)
	d, err := atlasmigrate.NewLocalDir(filepath.Join(p.dir, "migrations", side))
	if err != nil {
		p.t.Fatal(err)
	}
	sum, err := d.Checksum()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := atlasmigrate.WriteSumFile(d, sum); err != nil {
		p.t.Fatal(err)
	}
}

// addTenants registers tenants and creates their (empty) schemas, as
// tenant provisioning would before migrating them.
func addTenants(t *testing.T, pool *pgxpool.Pool, cfg *config.Config, ids ...string) {
	t.Helper()
	ctx := t.Context()
	reg := pgx.Identifier{cfg.SharedSchema, cfg.Registry.Table}.Sanitize()
	_, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{cfg.SharedSchema}.Sanitize()+`;
CREATE TABLE IF NOT EXISTS `+reg+` (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		t.Fatal(err)
	}
	b := &pgx.Batch{}
	for _, id := range ids {
		s := cfg.TenantSchemaFor(id)
		b.Queue("CREATE SCHEMA " + pgx.Identifier{s}.Sanitize())
		b.Queue("INSERT INTO "+reg+" (id, schema_name) VALUES ($1, $2)", id, s)
	}
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
}

func tenantIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%04d", i)
	}
	return ids
}
