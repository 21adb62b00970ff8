package tenancy

import "time"

// SetClock replaces the registry's clock, so cache expiry is tested without
// waiting.
func SetClock(r *Registry, now func() time.Time) { r.now = now }

// QuotedPrefix exposes the precomputed `"schema".` of t.
func QuotedPrefix(t Tenant) string { return t.prefix }

// TenantSchemaIn exposes the tracer's schema detection.
var TenantSchemaIn = tenantSchemaIn
