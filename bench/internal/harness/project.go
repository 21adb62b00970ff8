package harness

import (
	"fmt"
	"os"
	"path/filepath"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/tenantc/tenantc/config"
)

// migrateProject is a tenantc project on disk with a shared schema "app"
// and migration directories, for P4 and P5.
type migrateProject struct {
	cfg  *config.Config
	dir  string
	next int
}

// newMigrateProject writes a project whose shared migrations create the
// plans table.
func newMigrateProject() (*migrateProject, error) {
	dir, err := os.MkdirTemp("", "tenantc-bench-")
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"schema", "migrations/shared", "migrations/tenant"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	cfg, err := config.Parse(filepath.Join(dir, "tenantc.yaml"), []byte("version: \"1\"\nschema: [schema]\nqueries: [schema]\nshared_schema: app\n"))
	if err != nil {
		return nil, err
	}
	p := &migrateProject{cfg: cfg, dir: dir, next: 1}
	if _, err := p.add("shared", `CREATE TABLE "app"."plans" ("id" bigint NOT NULL, PRIMARY KEY ("id"));`); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *migrateProject) remove() { os.RemoveAll(p.dir) }

// add writes the next migration version into side ("shared" or "tenant")
// and refreshes atlas.sum.
func (p *migrateProject) add(side, sql string) (string, error) {
	v := fmt.Sprintf("2026%010d", p.next)
	p.next++
	d, err := atlasmigrate.NewLocalDir(filepath.Join(p.dir, "migrations", side))
	if err != nil {
		return "", err
	}
	if err := d.WriteFile(v+"_m.sql", []byte(sql+"\n")); err != nil {
		return "", err
	}
	sum, err := d.Checksum()
	if err != nil {
		return "", err
	}
	return v, atlasmigrate.WriteSumFile(d, sum)
}
