package tenancy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// TestKeepPrepared runs one tenant statement for more tenants than pgx's
// default statement cache holds, on one connection: with KeepPrepared,
// every tenant's statement is still prepared at the end (none was
// evicted), the session plans generically, and each row comes from its
// own tenant.
func TestKeepPrepared(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	const tenants = 600 // > pgx's default cache of 512
	var script strings.Builder
	for i := range tenants {
		fmt.Fprintf(&script, "CREATE SCHEMA tenant_%03[1]d; CREATE TABLE tenant_%03[1]d.items (id bigint PRIMARY KEY, note text NOT NULL); INSERT INTO tenant_%03[1]d.items VALUES (1, 'tenant_%03[1]d');\n", i)
	}
	if _, err := db.Pool.Exec(ctx, script.String(), pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}

	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	tenancy.KeepPrepared(cfg, tenants+1)
	if got := cfg.ConnConfig.StatementCacheCapacity; got < tenants+1 {
		t.Errorf("StatementCacheCapacity = %d, want at least %d", got, tenants+1)
	}
	if got := cfg.ConnConfig.DefaultQueryExecMode; got != pgx.QueryExecModeCacheStatement {
		t.Errorf("DefaultQueryExecMode = %v, want cache_statement", got)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	get := tenancy.NewSQL("SELECT note FROM items WHERE id = $1", 17)
	for round := range 2 {
		for i := range tenants {
			tn := tenancy.NewTenantForTest(t, fmt.Sprintf("t%03d", i), fmt.Sprintf("tenant_%03d", i))
			c := tenancy.Bind(pool, tn)
			var note string
			if err := c.QueryRow(ctx, c.SQL(get), 1).Scan(&note); err != nil {
				t.Fatalf("round %d, tenant %d: %v", round, i, err)
			}
			if note != tn.Schema() {
				t.Fatalf("round %d: tenant %s read %q", round, tn.Schema(), note)
			}
		}
	}
	var mode string
	var prepared int
	err = pool.QueryRow(ctx, `SELECT current_setting('plan_cache_mode'),
	(SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT note FROM %' AND generic_plans > 0 AND custom_plans = 0)`).Scan(&mode, &prepared)
	if err != nil {
		t.Fatal(err)
	}
	if mode != "force_generic_plan" {
		t.Errorf("plan_cache_mode = %q, want force_generic_plan", mode)
	}
	// Each statement was prepared once and planned generically only.
	if prepared != tenants {
		t.Errorf("%d tenant statements prepared with generic plans only, want %d", prepared, tenants)
	}
}
