package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Execer runs a statement: a pool, a connection or a tenancy.Conn.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// MustExec runs each statement on db, failing tb on the first error.
func MustExec(tb testing.TB, db Execer, stmts ...string) {
	tb.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(context.Background(), s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}

// TwoTenants is a registry (public.tenants) with tenants a and b, each with
// an items table holding one row of its own, and a decoy public.items that
// an unqualified statement would read.
const TwoTenants = `
CREATE TABLE tenants (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL);
INSERT INTO tenants VALUES ('a', 'tenant_a'), ('b', 'tenant_b');
CREATE TABLE public.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
INSERT INTO public.items (owner, n) VALUES ('public', 0);
CREATE SCHEMA tenant_a;
CREATE TABLE tenant_a.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
INSERT INTO tenant_a.items (owner, n) VALUES ('a', 1);
CREATE SCHEMA tenant_b;
CREATE TABLE tenant_b.items (id serial PRIMARY KEY, owner text NOT NULL, n int NOT NULL);
INSERT INTO tenant_b.items (owner, n) VALUES ('b', 1);
`
