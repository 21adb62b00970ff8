package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/bench/internal/harness"
	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
)

// migrateProject is a tenantc project whose migrations create one tenant
// table; add appends tenant migrations.
type migrateProject struct {
	cfg  *config.Config
	dir  string
	next int
}

func newMigrateProject(b *testing.B) *migrateProject {
	b.Helper()
	dir := b.TempDir()
	for _, d := range []string{"schema", "migrations/shared", "migrations/tenant"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	cfg, err := config.Parse(filepath.Join(dir, "tenantc.yaml"), []byte("version: \"1\"\nschema: [schema]\nqueries: [schema]\nshared_schema: app\n"))
	if err != nil {
		b.Fatal(err)
	}
	p := &migrateProject{cfg: cfg, dir: dir, next: 1}
	p.add(b, "shared", `CREATE TABLE "app"."plans" ("id" bigint NOT NULL, PRIMARY KEY ("id"));`)
	p.add(b, "tenant", `CREATE TABLE "tickets" ("id" bigint NOT NULL, "title" text NOT NULL, PRIMARY KEY ("id"));`)
	return p
}

// add writes the next migration version into side and refreshes atlas.sum.
func (p *migrateProject) add(b *testing.B, side, sql string) string {
	b.Helper()
	v := fmt.Sprintf("2026%010d", p.next)
	p.next++
	d, err := atlasmigrate.NewLocalDir(filepath.Join(p.dir, "migrations", side))
	if err != nil {
		b.Fatal(err)
	}
	if err := d.WriteFile(v+"_m.sql", []byte(sql+"\n")); err != nil {
		b.Fatal(err)
	}
	sum, err := d.Checksum()
	if err != nil {
		b.Fatal(err)
	}
	if err := atlasmigrate.WriteSumFile(d, sum); err != nil {
		b.Fatal(err)
	}
	return v
}

// migrateFleet creates n registered tenant schemas, migrated by tenantc,
// each also holding an Atlas-style revisions table for the baseline.
func migrateFleet(b *testing.B, pool *pgxpool.Pool, p *migrateProject, n int) {
	b.Helper()
	ctx := context.Background()
	if _, err := migrate.Apply(ctx, pool, p.cfg); err != nil { // shared schema, registry
		b.Fatal(err)
	}
	const chunk = 500
	for lo := 0; lo < n; lo += chunk {
		var sb strings.Builder
		for i := lo; i < min(lo+chunk, n); i++ {
			s := fmt.Sprintf("tenant_%05d", i)
			fmt.Fprintf(&sb, `CREATE SCHEMA %[1]s;
CREATE TABLE %[1]s.atlas_schema_revisions (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO app.tenants (id, schema_name) VALUES ('%05[2]d', '%[1]s');
`, s, i)
		}
		if _, err := pool.Exec(ctx, sb.String()); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := migrate.Apply(ctx, pool, p.cfg, migrate.WithParallel(4)); err != nil {
		b.Fatal(err)
	}
	// The baseline's own records say the same.
	syncRevisions(b, pool, harness.ToBaseline)
}

// BenchmarkMigrateApplyNew applies one new tenant migration (a column and
// an index) to every tenant of a 1,000-tenant fleet per iteration:
// tenantc's Apply against the per-schema baseline.
func BenchmarkMigrateApplyNew(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	db := pgtest.New(b)
	pool := pgtest.Connect(b, db.URL, pgtest.WithMaxConns(5))
	p := newMigrateProject(b)
	migrateFleet(b, pool, p, n)
	col := 0
	newMigration := func() {
		col++
		p.add(b, "tenant", fmt.Sprintf(`ALTER TABLE "tickets" ADD COLUMN "c%d" integer NOT NULL DEFAULT 0;
CREATE INDEX "tickets_c%[1]d" ON "tickets" ("c%[1]d");`, col))
	}
	b.Run(fmt.Sprintf("impl=tenantc/tenants=%d", n), func(b *testing.B) {
		for b.Loop() {
			newMigration()
			res, err := migrate.Apply(ctx, pool, p.cfg, migrate.WithParallel(4))
			if err != nil || len(res.Tenants) != n {
				b.Fatalf("Apply: %v (%d tenants)", err, len(res.Tenants))
			}
			b.StopTimer()
			syncRevisions(b, pool, harness.ToBaseline)
			b.StartTimer()
		}
	})
	b.Run(fmt.Sprintf("impl=per-schema/tenants=%d", n), func(b *testing.B) {
		for b.Loop() {
			newMigration()
			if err := harness.ApplyPerSchema(ctx, db.URL, filepath.Join(p.dir, "migrations", "tenant"), harness.SchemaNames(n)); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			syncRevisions(b, pool, toTenantc)
			b.StartTimer()
		}
	})
}

// toTenantc copies the baseline's revision records into tenantc's, so
// tenantc sees the fleet as the baseline left it.
const toTenantc = `DO $$ DECLARE t record; BEGIN
FOR t IN SELECT id, schema_name FROM app.tenants LOOP
	EXECUTE format('INSERT INTO app.tenantc_revisions (tenant_id, version) SELECT %L, version FROM %I.atlas_schema_revisions ON CONFLICT DO NOTHING', t.id, t.schema_name);
END LOOP; END $$`

// syncRevisions copies one implementation's records to the other's, so
// each sees the fleet as it is.
func syncRevisions(b *testing.B, pool *pgxpool.Pool, sql string) {
	b.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMigrateApplyNoop runs an apply with nothing pending over a
// 10,000-tenant fleet: tenantc's one query against the baseline's
// connection and revisions read per schema.
func BenchmarkMigrateApplyNoop(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	db := pgtest.New(b)
	pool := pgtest.Connect(b, db.URL, pgtest.WithMaxConns(5))
	p := newMigrateProject(b)
	migrateFleet(b, pool, p, n)
	b.Run(fmt.Sprintf("impl=tenantc/tenants=%d", n), func(b *testing.B) {
		for b.Loop() {
			res, err := migrate.Apply(ctx, pool, p.cfg)
			if err != nil || len(res.Tenants) != 0 || res.Total != n {
				b.Fatalf("Apply: %v (%d pending of %d)", err, len(res.Tenants), res.Total)
			}
		}
	})
	b.Run(fmt.Sprintf("impl=per-schema/tenants=%d", n), func(b *testing.B) {
		for b.Loop() {
			if err := harness.ApplyPerSchema(ctx, db.URL, filepath.Join(p.dir, "migrations", "tenant"), harness.SchemaNames(n)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
