// Package x passes every option to the operations it concerns: it compiles.
package x

import (
	"context"
	"log/slog"
	"testing/fstest"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/migrate/migratedev"
	"github.com/tenantc/tenantc/schema"
)

var (
	_ = slog.Default
	_ = fstest.MapFS{}
	_ *schema.Catalog
	_ = migratedev.Diff
)

func run(ctx context.Context, pool migrate.DB, cfg *config.Config, cat *schema.Catalog) {
	log := migrate.WithLogger(slog.Default())
	fsys := migrate.WithMigrationsFS(fstest.MapFS{})
	_, _ = migrate.Apply(ctx, pool, cfg, log, fsys, migrate.WithTenants("a"), migrate.WithParallel(2),
		migrate.WithProgress(nil), migrate.WithFailFast(true), migrate.WithDryRun(true),
		migrate.WithAtomic(true, 10), migrate.WithLockTimeout(0))
	_, _ = migrate.Status(ctx, pool, cfg, log, fsys, migrate.WithTenants("a"))
	reg := migrate.WithRegistryValues(nil)
	_, _ = migrate.CreateTenant(ctx, pool, cfg, "a", log, fsys, migrate.WithSchemaName("s"), reg, migrate.WithRegistryText(nil))
	_, _ = migrate.AdoptTenant(ctx, pool, cfg, "a", "s", log, fsys, migrate.WithSchemaName("s"), reg)
	_, _ = migrate.RenameTenant(ctx, pool, cfg, "a", "b", log, fsys, migrate.WithSchemaName("s"))
	_ = migrate.DropTenant(ctx, pool, cfg, "a", log, fsys)
	_, _ = migrate.ListTenants(ctx, pool, cfg, log, fsys)
	dev := migratedev.WithDevURL("postgres://")
	_, _ = migratedev.Diff(ctx, cfg, cat, "x", dev, migratedev.WithLogger(slog.Default()),
		migratedev.WithAllowDestructive(true), migratedev.WithVersion("20260101000000"), migratedev.WithRename("a:b"))
	_, _ = migratedev.Lint(ctx, pool, cfg, dev, migratedev.WithMigrationsFS(fstest.MapFS{}), migratedev.WithLatest(1))
	_, _ = migratedev.Drift(ctx, pool, cfg, dev, migratedev.WithMigrationsFS(fstest.MapFS{}), migratedev.WithTenants("a"))
}
