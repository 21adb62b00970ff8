// Package unscoped defines an Analyzer that reports SQL which bypasses
// tenantc's tenant scoping.
//
// # Analyzer unscoped
//
// unscoped: report raw SQL that names tenant objects
//
// tenantc's generated TenantQueries and the tenancy runtime qualify every
// reference to a tenant object with the bound tenant's schema. SQL passed
// straight to pgx or database/sql skips that: it resolves through whatever
// search_path the connection has, which behind a pool is whichever tenant
// used it last. The analyzer finds the SQL argument of
//
//   - pgx (Conn, Tx) and pgxpool (Pool, Conn, Tx): Exec, Query, QueryRow,
//     Prepare, CopyFrom (its table identifier), and Batch.Queue;
//   - pgconn.PgConn: Exec, ExecParams, Prepare;
//   - database/sql (DB, Tx, Conn): Exec, Query, QueryRow, Prepare and their
//     Context variants (a Stmt's SQL is checked where it is prepared);
//
// works out its text — string literals, constants declared anywhere, the
// initializers of the package's variables, and strings built in the same
// function with +, +=, fmt.Sprintf and strings.Builder where the constant
// parts are visible — parses it with pg_query (falling back to a tokenizer
// for fragments that do not parse) and reports:
//
//	unscoped-tenant-ref   a tenant table, view, sequence, type or function
//	qualified-tenant-ref  a tenant object qualified with a hard-coded schema
//	search-path           SET search_path, set_config('search_path', ...)
//	dynamic-sql           (warning) SQL whose table is built at run time
//	ignore-reason         a //tenantc:ignore comment without a reason
//
// For example, with tickets declared as a tenant table:
//
//	rows, err := pool.Query(ctx, "SELECT id FROM tickets") // unscoped query: table "tickets" is tenant-scoped; ...
//
// Names fold as PostgreSQL folds them ("Tickets" is not tickets), a WITH
// query shadows a table of the same name, and a name the catalog does not
// hold is not reported: shared tables and tables tenantc does not manage
// stay silent. Generated files and the tenancy package are exempt.
//
// A finding is suppressed by a comment on its line or the line above the
// statement:
//
//	//tenantc:ignore the nightly report reads every tenant on purpose
//
// A reason is required; a bare //tenantc:ignore suppresses nothing and is
// itself reported.
//
// # Catalog
//
// The analyzer reads the annotated schema named by its -config flag (a
// tenantc.yaml), or the first tenantc.yaml found in the analyzed package's
// directory or above it. It is loaded once per process. Programs that have
// loaded the catalog already build their own analyzer with [New] and
// [WithCatalog].
//
// # Use
//
//	go vet -vettool=$(which tenantc-vet) ./...
//	go vet -vettool=$(which tenantc-vet) -unscoped.config=$PWD/tenantc.yaml ./...
//
// or tenantc vet, which runs the same checks and the SQL-side ones.
package unscoped
