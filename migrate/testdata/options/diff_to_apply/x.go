// Package x passes a Diff option to Apply: it does not compile.
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
	_, _ = migrate.Apply(ctx, pool, cfg, migratedev.WithVersion("20260101000000"))
}
