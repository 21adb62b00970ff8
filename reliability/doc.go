// Package reliability holds tenantc's reliability suite: long mixed
// workloads over many tenants through generated code, directly and through
// PgBouncer in transaction mode, and the faults a production app meets —
// PostgreSQL crashing and restarting, a tenant dropped while it is in use,
// exhausted connections, statement timeouts. Every row read must belong to
// the tenant that asked, every row written must land in its schema, and
// every failure must surface as an error, never as another tenant's data.
//
// The tests drive the workload of internal/isolation/workload, the one the
// isolation test runs, over the generated package of internal/isolation,
// counting errors instead of failing on them. The default
// run is a reduced size; TENANTC_RELIABILITY=full runs 1,000 tenants, 64
// goroutines and 1,000,000 operations (see RELIABILITY.md at the
// repository root). The package has no code of its own.
package reliability
