// Package bench measures the query code tenantc generates against the code
// sqlc's own Go generator writes for the same schema and queries, on a real
// PostgreSQL (internal/pgtest, or TENANTC_TEST_DATABASE_URL).
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
package bench
