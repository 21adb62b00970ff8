//go:generate go run github.com/tenantc/tenantc/cmd/tenantc generate

// Package isolation holds tenantc's end-to-end isolation test: many
// goroutines run tenant queries for many tenants at once, directly and
// through PgBouncer in transaction mode, and every row read or written must
// belong to the tenant that asked. The queries are real tenantc output:
// tenantc.yaml, schema/ and queries/ generate the package in db/; the
// workload the test runs, shared with the reliability suite, is in
// workload/.
package isolation
