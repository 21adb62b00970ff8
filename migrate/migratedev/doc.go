// Package migratedev is the authoring side of tenantc's migrations: it
// writes new migration files ([Diff]), lints pending ones ([Lint]) and
// compares tenant schemas with the state their applied versions should
// have ([Drift]). Each replays the migration directories on a dev database
// (the config's migrations.dev_url, [WithDevURL], or a throwaway local
// server), and Diff parses SQL with PostgreSQL's own parser (cgo). The
// tenantc CLI links it; applications link only
// [github.com/tenantc/tenantc/migrate], which applies the files this
// package writes.
//
// # Planning
//
// [Diff] replays both directories on a dev database, loads the annotated
// schema next to them ([schema.Statements] splits it by scope), compares
// the two with Atlas and writes one file per side that changed. Drops are
// refused without [WithAllowDestructive]: the [DestructiveError] lists
// them, with a [RenameCandidate] for each drop that an add of the same shape
// may rename, and [WithRename] turns such a drop and add into a rename.
// [Lint] runs Atlas's analyzers on pending files. [Drift] inspects the
// tenant schemas and compares each with the state its recorded version
// should have.
//
// Writing a new migration (what `tenantc migrate diff NAME` does):
//
//	cat, err := schema.Load(ctx, cfg)
//	...
//	res, err := migratedev.Diff(ctx, cfg, cat, "add_orders")
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
package migratedev
