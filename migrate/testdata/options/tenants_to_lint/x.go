// Package x passes a Drift option to Lint: it does not compile.
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
	_, _ = migratedev.Lint(ctx, pool, cfg, migratedev.WithTenants("a"))
}
