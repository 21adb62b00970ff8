// Package migrate applies schema migrations for schema-per-tenant
// PostgreSQL, once for the shared schema and once for every tenant schema,
// and creates, drops, adopts and renames tenants. It is the runtime side
// that applications link: it builds with CGO_ENABLED=0 and links no SQL
// parser and no server launcher. Writing, linting and drift-checking
// migrations, which replay them on a dev database, live in
// [github.com/tenantc/tenantc/migrate/migratedev], used by the tenantc CLI.
//
// # Directories
//
// A project keeps two standard Atlas migration directories under
// migrations.dir: migrations/shared, whose files are qualified with the
// shared schema, and migrations/tenant, whose files are unqualified (they
// run once per tenant schema) and qualify only references to shared
// objects. Each has an atlas.sum, so the Atlas CLI can read them, and every
// reader validates it. [WithMigrationsFS] reads both from an fs.FS instead,
// such as directories embedded in an app's binary.
//
// # Applying
//
// [Apply] takes an advisory lock, applies pending shared files, then
// migrates every tenant of the registry table in parallel, one transaction
// per tenant with a transaction-local search_path. Versions are recorded in
// <shared_schema>.tenantc_revisions; pending work is found with one query
// over that table, so a no-op run over a large fleet is cheap and a run
// that crashed or failed converges when repeated. [Status] reads the same
// table.
//
// # Tenants
//
// [CreateTenant], [DropTenant], [AdoptTenant] and [RenameTenant] each run in
// one transaction that holds the migration lock in shared mode (they wait
// for a running Apply and run side by side with each other) and an
// exclusive lock per tenant id and schema name, so concurrent creates of
// one id yield one tenant and [ErrTenantExists] for the others.
// CreateTenant refuses with [ErrPendingMigrations] unless the shared schema
// and every registered tenant are at the latest versions. At signup:
//
//	info, err := migrate.CreateTenant(ctx, pool, cfg, shopID)
//	switch {
//	case errors.Is(err, migrate.ErrTenantExists):
//		// 409: the id is taken
//	case errors.Is(err, tenancy.ErrInvalidTenantID):
//		// 400
//	case err != nil:
//		// 500; nothing was created
//	}
//	registry.Invalidate(info.ID) // if the app's registry cached a miss
//
// A new tenant's schema is not built by replaying the history. The first
// create at a tenant version replays the history once into a scratch
// schema inside a rolled-back transaction on the target database, plans
// the empty → latest script with Atlas (plus the views, functions,
// triggers, domains, composite types and sequences read back from the
// catalog, functions with SET search_path FROM CURRENT), checks that the
// script rebuilds the same schema, and stores it in
// <shared_schema>.tenantc_baselines. Every later create runs that one
// script, so its cost follows the schema's size, not the history's length.
// A history holding data statements (seed INSERTs), or one whose planned
// script would not rebuild it exactly, is stored as the replayed history
// instead, which is always correct.
//
// Each stored script carries an HMAC keyed by the tenant directory's
// atlas.sum digest; a create runs a cached script only when it matches,
// and otherwise plans it again and overwrites the row. The scripts run in
// every new tenant schema, so only the roles that migrate and create
// tenants may write the table (SELECT, INSERT, UPDATE); tenantc creates it
// with no privileges for PUBLIC, and no other role should be granted any.
//
// # Many servers
//
// [Servers] runs the same operations over a fleet of PostgreSQL servers,
// the first being the control server, which holds the registry; its
// server column says where each tenant lives (NULL: on the control
// server). [Servers.Apply] applies the shared files on every server, then
// every tenant on its server, the servers in parallel; a server that is
// down fails its own tenants, with errors naming it, and the others are
// migrated. [Servers.CreateTenant] places a tenant on the server with the
// fewest tenants, or that of [WithServer]. [Servers.Status] and
// [Servers.ListTenants] report the server of each tenant. Apply also
// keeps the shared tables alike on every server with logical replication:
// the control server publishes them ([Publication]), every other server
// subscribes, runs the shared files without their row-only statements and
// refuses shared writes of its own.
//
// [Servers.MoveTenant] moves a tenant to another server while the app
// runs, with logical replication of its schema, in steps recorded on the
// control server ([MovesTable]) so that a re-run resumes a move that
// stopped anywhere; the tenant's writes pause only for the cutover
// ([MoveReport.PauseMS]).
//
//	rep, err := fleet.MoveTenant(ctx, cfg, "acme", "eu", migrate.WithGrace(time.Minute))
//	if errors.Is(err, migrate.ErrPendingMigrations) {
//		// run Apply first
//	}
//
// # Options
//
// Each operation takes its own option type ([ApplyOption], [StatusOption],
// [CreateOption], …), so that an option given to an operation it does not
// concern is a compile error rather than silently ignored. An option
// several operations take implements each of their types: [Option]
// ([WithLogger], [WithMigrationsFS]) every one, [FleetOption]
// ([WithTenants]) Apply and Status, [SchemaOption] ([WithSchemaName])
// CreateTenant, AdoptTenant and RenameTenant, [RegistryOption]
// ([WithRegistryValues], [WithRegistryText]) CreateTenant and AdoptTenant;
// [MoveOption] ([WithGrace], [WithMoveProgress]) is Servers.MoveTenant's.
//
// # Usage
//
// Migrating at start-up, with the migration directories embedded in the
// binary ([WithMigrationsFS]) and the settings built in code, so that no
// tenantc.yaml, schema or query file needs to ship with the app
// ([config.Load] works too, when it does):
//
//	//go:embed migrations
//	var migrations embed.FS
//
//	cfg := config.Default()
//	cfg.SharedSchema = "app"       // shared_schema
//	cfg.TenantSchema = "t_{id}"    // tenant_schema
//	cfg.Registry.Table = "tenants" // registry.table
//	dirs, _ := fs.Sub(migrations, "migrations") // holds shared/ and tenant/
//	res, err := migrate.Apply(ctx, pool, &cfg,
//		migrate.WithMigrationsFS(dirs),
//		migrate.WithParallel(8),
//		migrate.WithLogger(logger),
//		migrate.WithProgress(func(e migrate.Event) {
//			if f, ok := e.(migrate.TenantFailed); ok {
//				logger.Error("tenant migration failed", "tenant", f.ID, "err", f.Err)
//			}
//		}))
//	if errors.Is(err, migrate.ErrTenantsFailed) {
//		// res.Tenants says which; the others are migrated.
//	}
//
// Apply needs a pool of at least two connections: one holds the migration
// lock for the whole run.
package migrate
