package tenanttest

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/tenancy"
)

// NewTenant returns a Tenant for id and schema without a database, for
// tests that create their schemas themselves or need no server at all. It
// fails tb when either value is invalid for [tenancy.ValidateTenantID] or
// [tenancy.ValidateSchemaName].
//
// The Tenant comes from a [tenancy.Registry], as in production, over a
// registry of this one row: tenancy itself has no constructor that skips
// the registry, so application code cannot make a Tenant from a request.
func NewTenant(tb testing.TB, id, schema string) tenancy.Tenant {
	tb.Helper()
	t, err := tenancy.NewRegistry(oneRow{schema: schema}).Lookup(context.Background(), id)
	if err != nil {
		tb.Fatalf("tenanttest: new tenant %q: %v", id, err)
	}
	return t
}

// oneRow is a registry table holding one row, whose schema_name is schema.
// A Registry without placement only calls QueryRow and scans the schema
// name; the embedded nil DBTX leaves the other methods unimplemented.
type oneRow struct {
	tenancy.DBTX
	schema string
}

func (r oneRow) QueryRow(context.Context, string, ...any) pgx.Row { return schemaRow(r.schema) }

// schemaRow is the registry row's schema_name column.
type schemaRow string

func (s schemaRow) Scan(dest ...any) error {
	if len(dest) != 1 {
		return errors.New("tenanttest: the registry scanned more than the schema name")
	}
	p, ok := dest[0].(*string)
	if !ok {
		return errors.New("tenanttest: the registry scanned the schema name into a non-string")
	}
	*p = string(s)
	return nil
}
