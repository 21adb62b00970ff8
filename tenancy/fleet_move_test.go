package tenancy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// movedFleet is a registry on the control server "one", tenant acme's
// schema on "one" and "two" (each holding a row naming its server),
// placed on "one", and a Fleet on both opened with opts.
func movedFleet(t *testing.T, opts ...tenancy.FleetOption) (*tenancy.Fleet, [2]*pgxpool.Pool) {
	t.Helper()
	var pools [2]*pgxpool.Pool
	var servers []tenancy.Server
	for i, u := range pgtest.SharedServers(t, 2) {
		name := []string{"one", "two"}[i]
		pools[i] = pgtest.Connect(t, u)
		if i == 0 {
			pgtest.MustExec(t, pools[i], `CREATE TABLE tenants (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, server text);
INSERT INTO tenants VALUES ('acme', 'tenant_acme', 'one')`)
		}
		pgtest.MustExec(t, pools[i], "CREATE SCHEMA tenant_acme",
			"CREATE TABLE tenant_acme.items (server text)",
			"INSERT INTO tenant_acme.items VALUES ('"+name+"')")
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = 4
		servers = append(servers, tenancy.Server{Name: name, Config: cfg})
	}
	f, err := tenancy.NewFleet(t.Context(), servers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f, pools
}

var itemServer = tenancy.MustParseSQL("SELECT server FROM {items}")

// moveAcme does what a move's cutover does to acme: renames its schema on
// "one" and, after delay, places it on "two" and announces it.
func moveAcme(t *testing.T, pools [2]*pgxpool.Pool, delay time.Duration) {
	t.Helper()
	pgtest.MustExec(t, pools[0], "ALTER SCHEMA tenant_acme RENAME TO tenant_acme__moved_1")
	flip := func() {
		pgtest.MustExec(t, pools[0], "UPDATE tenants SET server = 'two' WHERE id = 'acme'",
			"SELECT pg_notify('"+tenancy.RegistryChannel+"', 'acme')")
	}
	if delay == 0 {
		flip()
		return
	}
	go func() {
		time.Sleep(delay)
		flip()
	}()
}

func TestFleetTenantMoved(t *testing.T) {
	ctx := context.Background()
	f, pools := movedFleet(t)
	stale, err := f.Registry().Lookup(ctx, "acme")
	if err != nil || stale.Server() != "one" {
		t.Fatalf("Lookup before the move = %q, %v", stale.Server(), err)
	}
	c := f.Bind(stale)
	var got string
	if err := c.QueryRow(ctx, c.SQL(itemServer)).Scan(&got); err != nil || got != "one" {
		t.Fatalf("before the move: %q, %v", got, err)
	}

	// The registry update comes after the rename, as in a move: the call
	// that fails in between waits for it.
	moveAcme(t, pools, 100*time.Millisecond)
	err = c.QueryRow(ctx, c.SQL(itemServer)).Scan(&got)
	var pgErr *pgconn.PgError
	if !errors.Is(err, tenancy.ErrTenantMoved) || !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Fatalf("QueryRow on the old server: %v, want ErrTenantMoved wrapping SQLSTATE 42P01", err)
	}
	// Every call path of the stale Conn says so.
	if _, err := c.Exec(ctx, c.SQL(itemServer)); !errors.Is(err, tenancy.ErrTenantMoved) {
		t.Errorf("Exec: %v, want ErrTenantMoved", err)
	}
	rows, err := c.Query(ctx, c.SQL(itemServer))
	if err == nil {
		rows.Close()
		err = rows.Err()
	}
	if !errors.Is(err, tenancy.ErrTenantMoved) {
		t.Errorf("Query: %v, want ErrTenantMoved", err)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txc := c.WithTx(tx)
	if err := txc.QueryRow(ctx, txc.SQL(itemServer)).Scan(&got); !errors.Is(err, tenancy.ErrTenantMoved) {
		t.Errorf("QueryRow in a transaction: %v, want ErrTenantMoved", err)
	}
	_ = tx.Rollback(ctx)

	// A new lookup finds the tenant on its new server.
	moved, err := f.Registry().Lookup(ctx, "acme")
	if err != nil || moved.Server() != "two" {
		t.Fatalf("Lookup after ErrTenantMoved = %q, %v; want two", moved.Server(), err)
	}
	c = f.Bind(moved)
	if err := c.QueryRow(ctx, c.SQL(itemServer)).Scan(&got); err != nil || got != "two" {
		t.Errorf("after the new lookup: %q, %v", got, err)
	}

	// A missing table in a schema that is there is the app's own error.
	_, err = c.Exec(ctx, c.SQL(tenancy.MustParseSQL("SELECT * FROM {nothing}")))
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" || errors.Is(err, tenancy.ErrTenantMoved) {
		t.Errorf("missing table: %v, want SQLSTATE 42P01 without ErrTenantMoved", err)
	}
}

func TestFleetWithListen(t *testing.T) {
	ctx := context.Background()
	f, pools := movedFleet(t, tenancy.WithListen())
	if tn, err := f.Registry().Lookup(ctx, "acme"); err != nil || tn.Server() != "one" {
		t.Fatalf("Lookup before the move = %q, %v", tn.Server(), err)
	}
	// The listener may connect after the first Lookup; wait until it
	// listens, then move.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := pools[0].QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no listening session after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	moveAcme(t, pools, 0)
	for {
		tn, err := f.Registry().Lookup(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if tn.Server() == "two" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the cached placement survived the notification for 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
