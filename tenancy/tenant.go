package tenancy

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Identifier limits from the tenantc contract: a tenant id is short enough
// that "tenant_{id}" still fits PostgreSQL's 63-byte identifier limit, and a
// schema name must be one PostgreSQL keeps without truncation.
const (
	maxTenantIDLen   = 48
	maxSchemaNameLen = 63
)

// ErrInvalidTenantID is returned by [ValidateTenantID] for an id outside the
// contract (1–48 bytes of [a-z0-9_], starting with a letter or digit).
// [Registry.Lookup] returns it together with [ErrUnknownTenant], since an id
// that cannot exist is not a tenant either. Test with errors.Is.
var ErrInvalidTenantID = errors.New("tenancy: invalid tenant id")

// ErrInvalidSchemaName is returned by [ValidateSchemaName] for a schema name
// outside the contract ([a-z_][a-z0-9_]*, at most 63 bytes, no pg_ prefix).
// Test with errors.Is.
var ErrInvalidSchemaName = errors.New("tenancy: invalid schema name")

// Tenant identifies one tenant and the PostgreSQL schema that holds its data.
// It is a small comparable value: copy it, compare it with ==, keep it in a
// context. The zero Tenant means "no tenant"; a [Conn] bound to it refuses
// every call with [ErrUnbound].
//
// A Tenant comes from [Registry.Lookup] only (tests that need one without a
// database use tenanttest.NewTenant, which goes through a Registry too), so
// its schema name has always been validated.
type Tenant struct {
	id     string
	schema string
	// server is the registry's placement of the tenant on a [Fleet]; ""
	// from a Registry without [WithPlacement] (one server).
	server string
	// prefix is `"schema".`, quoted once here so that [Conn.SQL] only copies.
	prefix string
}

// newTenant validates id and schema and precomputes the quoted prefix.
func newTenant(id, schema string) (Tenant, error) {
	if err := ValidateTenantID(id); err != nil {
		return Tenant{}, err
	}
	if err := ValidateSchemaName(schema); err != nil {
		return Tenant{}, err
	}
	return Tenant{
		id:     id,
		schema: schema,
		prefix: pgx.Identifier{schema}.Sanitize() + ".",
	}, nil
}

// ID returns the tenant's id, as stored in the registry's id column.
func (t Tenant) ID() string { return t.id }

// Schema returns the tenant's schema name, as stored in the registry's
// schema_name column (unquoted).
func (t Tenant) Schema() string { return t.schema }

// Server returns the name of the PostgreSQL server holding the tenant's
// schema, as a [Registry] opened [WithPlacement] (the one of a [Fleet])
// reads it from the registry's server column; "" from a Registry of one
// server, or for a test tenant, which a Fleet binds to its control server.
func (t Tenant) Server() string { return t.server }

// IsZero reports whether t is the zero Tenant, which no query can run for.
func (t Tenant) IsZero() bool { return t.id == "" }

// String returns the tenant id and schema for logs, or "(no tenant)" for the
// zero Tenant.
func (t Tenant) String() string {
	if t.IsZero() {
		return "(no tenant)"
	}
	if t.server != "" {
		return t.id + " (" + t.schema + " on " + t.server + ")"
	}
	return t.id + " (" + t.schema + ")"
}

// LogValue implements slog.LogValuer: a tenant logs as a group of its id
// and schema, so `logger.Info("…", "tenant", t)` gives tenant.id and
// tenant.schema. The zero Tenant logs as an empty group, which handlers
// omit.
func (t Tenant) LogValue() slog.Value {
	if t.IsZero() {
		return slog.GroupValue()
	}
	if t.server != "" {
		return slog.GroupValue(slog.String("id", t.id), slog.String("schema", t.schema), slog.String("server", t.server))
	}
	return slog.GroupValue(slog.String("id", t.id), slog.String("schema", t.schema))
}

// ValidateTenantID reports whether id is a valid tenant id: 1–48 bytes of
// [a-z0-9_], starting with a letter or digit. The error wraps
// [ErrInvalidTenantID].
func ValidateTenantID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidTenantID)
	case len(id) > maxTenantIDLen:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidTenantID, len(id), maxTenantIDLen)
	case id[0] == '_':
		return fmt.Errorf("%w: %q starts with an underscore", ErrInvalidTenantID, id)
	}
	if i := indexInvalid(id); i >= 0 {
		return fmt.Errorf("%w: %q has byte %q at offset %d, want [a-z0-9_]", ErrInvalidTenantID, id, id[i], i)
	}
	return nil
}

// ValidateSchemaName reports whether s is a valid schema name:
// [a-z_][a-z0-9_]*, at most 63 bytes, not starting with pg_ (reserved by
// PostgreSQL). The error wraps [ErrInvalidSchemaName].
func ValidateSchemaName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrInvalidSchemaName)
	case len(s) > maxSchemaNameLen:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidSchemaName, len(s), maxSchemaNameLen)
	case s[0] >= '0' && s[0] <= '9':
		return fmt.Errorf("%w: %q starts with a digit", ErrInvalidSchemaName, s)
	case strings.HasPrefix(s, "pg_"):
		return fmt.Errorf("%w: %q starts with pg_, reserved for system schemas", ErrInvalidSchemaName, s)
	}
	if i := indexInvalid(s); i >= 0 {
		return fmt.Errorf("%w: %q has byte %q at offset %d, want [a-z0-9_]", ErrInvalidSchemaName, s, s[i], i)
	}
	return nil
}

// indexInvalid returns the offset of the first byte of s outside [a-z0-9_],
// or -1.
func indexInvalid(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return i
		}
	}
	return -1
}
