package reliability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/tenancy"
)

// tenantID returns the id of tenant i; its schema is "tenant_" + the id.
func tenantID(i int) string { return fmt.Sprintf("%04d", i) }

// decoySQL creates tables named like the tenant tables in public, each
// with one row: an unqualified statement would reach them through the
// default search_path, and the final check counts them.
const decoySQL = `
CREATE TABLE public.items (id bigserial PRIMARY KEY, tenant text NOT NULL, n int NOT NULL, note text NOT NULL);
CREATE TABLE public.tags (item_id bigint NOT NULL REFERENCES public.items (id) ON DELETE CASCADE,
	tenant text NOT NULL, tag text NOT NULL);
INSERT INTO public.items (tenant, n, note) VALUES ('public', 0, 'decoy');
INSERT INTO public.tags (item_id, tenant, tag) VALUES (1, 'public', 'decoy');
`

// setupBatch is how many tenants one setup transaction creates: one
// transaction per tenant makes the full size's setup slow, and all of
// them in one exceeds max_locks_per_transaction.
const setupBatch = 50

// setup creates the shared registry and the decoys, then n tenants: each a
// schema with the tenant DDL of internal/isolation and a registry row.
func setup(ctx context.Context, pool *pgxpool.Pool, n int) error {
	dir := filepath.Join("..", "internal", "isolation", "schema")
	shared, err := os.ReadFile(filepath.Join(dir, "001_shared.sql"))
	if err != nil {
		return err
	}
	tenantDDL, err := os.ReadFile(filepath.Join(dir, "002_tenant.sql"))
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, string(shared)+decoySQL); err != nil {
		return fmt.Errorf("create shared tables: %w", err)
	}
	for first := 0; first < n; first += setupBatch {
		var b strings.Builder
		for i := first; i < min(first+setupBatch, n); i++ {
			id := tenantID(i)
			schema := "tenant_" + id
			ident := pgx.Identifier{schema}.Sanitize()
			// Transaction-local, as tenantc migrate applies tenant DDL.
			fmt.Fprintf(&b, "CREATE SCHEMA %s;\nSELECT set_config('search_path', '%s', true);\n%s\n", ident, ident, tenantDDL)
			fmt.Fprintf(&b, "INSERT INTO public.tenants (id, schema_name) VALUES ('%s', '%s');\n", id, schema)
		}
		// The next batch must not see this one's search_path.
		b.WriteString("SELECT set_config('search_path', '\"$user\", public', true);\n")
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, b.String())
			return err
		})
		if err != nil {
			return fmt.Errorf("create tenants %d to %d: %w", first, min(first+setupBatch, n)-1, err)
		}
	}
	return nil
}

// reset empties the tables of tenants 0 to n-1 and restarts their id
// sequences, so that ids overlap across schemas: a statement run against
// the wrong schema finds a row, and its tenant marker gives it away.
func reset(ctx context.Context, pool *pgxpool.Pool, n int) error {
	tables := make([]string, 0, 2*n)
	for i := range n {
		tables = append(tables, "tenant_"+tenantID(i)+".items", "tenant_"+tenantID(i)+".tags")
	}
	if _, err := pool.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")+" RESTART IDENTITY"); err != nil {
		return fmt.Errorf("reset tenant tables: %w", err)
	}
	return nil
}

// lookupTenants resolves tenants 0 to n-1 through the registry, as an app
// does.
func lookupTenants(ctx context.Context, pool *pgxpool.Pool, n int) ([]tenancy.Tenant, error) {
	reg := tenancy.NewRegistry(pool)
	tenants := make([]tenancy.Tenant, n)
	for i := range tenants {
		tn, err := reg.Lookup(ctx, tenantID(i))
		if err != nil {
			return nil, fmt.Errorf("look up tenant %d: %w", i, err)
		}
		tenants[i] = tn
	}
	return tenants, nil
}
