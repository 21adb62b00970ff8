// Package migrate plans and applies schema migrations for schema-per-tenant
// PostgreSQL: once for the shared schema, once for every tenant schema.
//
// # Directories
//
// A project keeps two standard Atlas migration directories under
// migrations.dir: migrations/shared, whose files are qualified with the
// shared schema, and migrations/tenant, whose files are unqualified (they
// run once per tenant schema) and qualify only references to shared
// objects. Each has an atlas.sum, so the Atlas CLI can read them.
//
// # Planning
//
// [Diff] replays both directories on a dev database, loads the annotated
// schema next to them ([schema.Statements] splits it by scope), compares
// the two with Atlas and writes one file per side that changed. Drops are
// refused without [WithAllowDestructive]; [WithRename] turns a drop and
// add into a rename. [Lint] runs Atlas's analyzers on pending files.
//
// # Applying
//
// [Apply] takes an advisory lock, applies pending shared files, then
// migrates every tenant of the registry table in parallel, one transaction
// per tenant with a transaction-local search_path. Versions are recorded in
// <shared_schema>.tenantc_revisions; pending work is found with one query
// over that table, so a no-op run over a large fleet is cheap and a run
// that crashed or failed converges when repeated. [Status] reads the same
// table; [Drift] inspects the tenant schemas and compares each with the
// state its recorded version should have.
//
// # Usage
//
// Migrating at start-up:
//
//	cfg, err := config.Load("tenantc.yaml")
//	...
//	res, err := migrate.Apply(ctx, pool, cfg,
//		migrate.WithParallel(8),
//		migrate.WithProgress(func(e migrate.Event) {
//			if f, ok := e.(migrate.TenantFailed); ok {
//				logger.Error("tenant migration failed", "tenant", f.ID, "err", f.Err)
//			}
//		}))
//	if errors.Is(err, migrate.ErrTenantsFailed) {
//		// res.Tenants says which; the others are migrated.
//	}
//
// Writing a new migration (what `tenantc migrate diff NAME` does):
//
//	cat, err := schema.Load(ctx, cfg)
//	...
//	res, err := migrate.Diff(ctx, cfg, cat, "add_orders")
//	if err == nil && !res.Changed() {
//		fmt.Println("no changes")
//	}
//
// # Objects Atlas does not plan
//
// The open-source Atlas library compares tables, columns, indexes, foreign
// keys, checks and enum types. Views, materialized views, functions,
// triggers, domains, composite types and standalone sequences are compared
// by tenantc through the dev databases' catalogs; a new or changed one gets
// the statement written in the schema (CREATE OR REPLACE for views and
// functions, drop and create for triggers and materialized views). A
// changed domain, composite type or sequence needs a hand-written migration
// ([ErrUnplannable]). Tenant functions get SET search_path FROM CURRENT, so
// each captures its own tenant schema when it is created.
package migrate
