// Command bench measures tenantc against the alternatives, side by side, in
// one run on one machine, and prints a table of ratios (see BENCHMARKS.md):
//
//	go run ./bench [-short] [-tenants N] [-clients N] [-duration D] [-only P2,P8]
//
// It starts its own PostgreSQL and PgBouncer (transaction mode), loads
// schema/ into a fleet of tenant schemas and runs the scenarios of
// internal/harness, each against a baseline measured in the same run. The
// fleet scenarios connect the way an app does, with tenancy.NewPool
// (its defaults, one hand-tuned variant, and behind PgBouncer
// BehindPgBouncer), beside a plain pgxpool with tenancy.Bind, the
// unoptimised path: P2 runs the point select over 100, 1,000 and 10,000
// tenants, and measures with pgbench, PostgreSQL's C client, what the
// server itself does for one tenant and for each fleet size, every
// statement prepared, both with every connection serving every tenant and
// with each connection its own part of the fleet; P3 compares it with SET
// search_path and SET LOCAL; P8 runs a mix
// of ten tenant queries (queries/mix.sql and GetItem: reads, writes, joins,
// an aggregate, an upsert) with Zipf-distributed tenant popularity and
// uniformly; P9 runs the point select through a one-server tenancy.Fleet
// against the same server's tenancy.Pool, in alternating rounds, for the
// cost of routing a tenant to its server (target >= 0.97x); P10 starts two
// more servers with logical replication and moves a tenant of 100,000 rows
// between them five times (three with -short) with migrate's
// Servers.MoveTenant while four writers insert and update its rows through
// a tenancy.Fleet, and reports how long the writes paused (target: p99
// within 1 s) and each move's total time. Each fleet row reports the
// largest server backend's memory, and its plans, after the run. -short
// (about three minutes) is what CI runs; it asserts nothing.
//
// The package's Go benchmarks measure the query code tenantc generates
// against the code sqlc's own Go generator writes for the same schema and
// queries, on a real PostgreSQL (internal/pgtest, or
// TENANTC_TEST_DATABASE_URL):
//
//	go test ./bench -run '^$' -bench P1
//
// Both generated packages come from one set of inputs, schema/ and
// queries/: tenantc.yaml generates internal/tenantdb, and sqlc.yaml runs
// sqlc's pgx/v5 generator, embedded in tenantc, into internal/sqlcdb (the
// tenantc annotations are SQL comments, which sqlc ignores). Regenerate
// both from the repository root with
//
//	go generate ./bench
//
// The sqlc code runs on the public schema through the default search_path;
// the tenantc code runs on a tenant schema holding the same rows, through
// a tenancy.Conn. Compare the two with benchstat:
//
//	go test ./bench -run '^$' -bench P1 -count 10 > p1.txt
//	benchstat -col /impl p1.txt
//
//go:generate go run ../cmd/tenantc generate -f tenantc.yaml
//go:generate go run ../cmd/tenantc __sqlc generate -f sqlc.yaml
package main
