package isolation_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/isolation/db"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// The fleet workload: fleetTenants tenants over fleetServers servers,
// tenant i on server i % fleetServers.
const (
	fleetTenants = 60
	fleetServers = 3
)

// fleetServer names the server of tenant i.
func fleetServer(i int) string { return fmt.Sprintf("s%d", i%fleetServers) }

// setupFleet creates, on every server, the shared tables and the decoys,
// the registry rows of every tenant (the shared data a fleet keeps alike
// on every server, which the tag+join query reads on the tenant's own
// server), and the schemas of the tenants placed there. The control
// server's registry has the server column.
func setupFleet(ctx context.Context, pools []*pgxpool.Pool) error {
	shared, err := os.ReadFile(filepath.Join("schema", "001_shared.sql"))
	if err != nil {
		return err
	}
	tenantDDL, err := os.ReadFile(filepath.Join("schema", "002_tenant.sql"))
	if err != nil {
		return err
	}
	for si, pool := range pools {
		if _, err := pool.Exec(ctx, string(shared)+decoySQL); err != nil {
			return fmt.Errorf("server %d: create shared tables: %w", si, err)
		}
		if si == 0 {
			if _, err := pool.Exec(ctx, "ALTER TABLE tenants ADD COLUMN server text"); err != nil {
				return err
			}
		}
		q := db.New(pool)
		for i := range fleetTenants {
			id, schema := tenantID(i), "tenant_"+tenantID(i)
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				if err := q.WithTx(tx).CreateTenant(ctx, db.CreateTenantParams{ID: id, SchemaName: schema}); err != nil {
					return err
				}
				if si == 0 {
					if _, err := tx.Exec(ctx, "UPDATE tenants SET server = $2 WHERE id = $1", id, fleetServer(i)); err != nil {
						return err
					}
				}
				if fleetServer(i) != fmt.Sprintf("s%d", si) {
					return nil
				}
				ident := pgx.Identifier{schema}.Sanitize()
				if _, err := tx.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", ident); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, string(tenantDDL))
				return err
			})
			if err != nil {
				return fmt.Errorf("server %d: tenant %s: %w", si, id, err)
			}
		}
	}
	return nil
}

// resetFleet runs resetSQL on each server of fleet for its own tenants.
func resetFleet(t *testing.T, fleet *tenancy.Fleet) {
	t.Helper()
	for si, name := range fleet.Servers() {
		var ids []string
		for i := si; i < fleetTenants; i += fleetServers {
			ids = append(ids, tenantID(i))
		}
		p, _ := fleet.Pool(name)
		if _, err := p.Exec(context.Background(), resetSQL(ids...)); err != nil {
			t.Fatalf("reset server %s: %v", name, err)
		}
	}
}

// TestIsolationAcrossServers runs the workload through a tenancy.Fleet of
// three servers: every tenant's calls, transactions and batches must
// reach its own schema on its own server, and every row read must be its
// own.
func TestIsolationAcrossServers(t *testing.T) {
	srvs := pgtest.Servers(t, fleetServers)
	ctx := context.Background()
	var pools []*pgxpool.Pool
	var servers []tenancy.Server
	for i, srv := range srvs {
		pools = append(pools, pgtest.Connect(t, srv.URL("postgres")))
		cfg, err := pgxpool.ParseConfig(srv.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		// The workers spread over the servers: a third of them each,
		// and some to spare.
		cfg.MaxConns = numWorkers/fleetServers + 2
		servers = append(servers, tenancy.Server{Name: fmt.Sprintf("s%d", i), Config: cfg})
	}
	if err := setupFleet(ctx, pools); err != nil {
		t.Fatal(err)
	}
	fleet, err := tenancy.NewFleet(ctx, servers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	ops := numOps
	if testing.Short() {
		ops = numOps / 5
	}
	run(t, fleet, 7, ops)

	// Every tenant was looked up with its placement, and its rows are on
	// its server only.
	for i := range fleetTenants {
		tn, err := fleet.Registry().Lookup(ctx, tenantID(i))
		if err != nil || tn.Server() != fleetServer(i) {
			t.Fatalf("Lookup(%s) = %v, %v; want server %s", tenantID(i), tn, err, fleetServer(i))
		}
		for si, pool := range pools {
			var ok bool
			if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", tn.Schema()+".items").Scan(&ok); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("s%d", si) == tn.Server(); ok != want {
				t.Errorf("tenant %s: its items table on s%d is %v, want %v", tn.ID(), si, ok, want)
			}
		}
	}
}
