// Package migratetest sets up what the tests of migrate and
// migrate/migratedev start from: a tenantc project in a temporary
// directory, migration files with their atlas.sum, and tenants registered
// with empty schemas.
package migratetest

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
)

// Config is the tenantc.yaml of a project from [NewProject]: the schema in
// schema/, the shared schema app, tenant schemas t_{id}.
const Config = `version: "1"
schema: [schema]
queries: [schema]
shared_schema: app
tenant_schema: "t_{id}"
`

// NewProject writes a project with [Config] and schemaSQL as
// schema/app.sql into a temporary directory, and returns the directory and
// the loaded configuration.
func NewProject(t *testing.T, schemaSQL string) (dir string, cfg *config.Config) {
	t.Helper()
	dir = t.TempDir()
	WriteFile(t, dir, "tenantc.yaml", Config)
	WriteFile(t, dir, "schema/app.sql", schemaSQL)
	cfg, err := config.Load(filepath.Join(dir, "tenantc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

// WriteFile writes content to name under dir, creating directories.
func WriteFile(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadFile returns the contents of rel under dir.
func ReadFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// WriteMigration writes a migration file into dir's migrations/<side> and
// refreshes that directory's atlas.sum.
func WriteMigration(t *testing.T, dir, side, file, content string) {
	t.Helper()
	WriteFile(t, dir, filepath.Join("migrations", side, file), content)
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

// AddTenants registers tenants and creates their (empty) schemas, as
// tenant provisioning would before migrating them.
func AddTenants(t *testing.T, pool *pgxpool.Pool, cfg *config.Config, ids ...string) {
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

// MigrationsFS is an embed-style tree of migration directories, each with
// the atlas.sum Atlas would write for it.
func MigrationsFS(t testing.TB, dirs map[string]map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for dir, files := range dirs {
		var af []atlasmigrate.File
		names := slices.Sorted(maps.Keys(files))
		for _, name := range names {
			fsys[dir+"/"+name] = &fstest.MapFile{Data: []byte(files[name])}
			af = append(af, atlasmigrate.NewLocalFile(name, []byte(files[name])))
		}
		sum, err := atlasmigrate.NewHashFile(af)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sum.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		fsys[dir+"/"+atlasmigrate.HashFileName] = &fstest.MapFile{Data: b}
	}
	return fsys
}
