package isolation_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
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

// setupFleet builds the fleet as an application would, with tenantc's
// migrate package: the schema files as the first shared and tenant
// migrations, applied on every server (which publishes the shared tables
// on the control server and subscribes the others), then each tenant
// created on its server. The decoys are added on every server, and the
// setup waits until the registry rows, which the tag+join query reads on
// the tenant's own server, have reached every replica.
func setupFleet(t *testing.T, ctx context.Context, pools []*pgxpool.Pool) {
	t.Helper()
	dir := t.TempDir()
	for side, file := range map[string]string{migrate.SharedDir: "001_shared.sql", migrate.TenantDir: "002_tenant.sql"} {
		src, err := os.ReadFile(filepath.Join("schema", file))
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dir, "migrations", side)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "20260101000001_init.sql"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		ld, err := atlasmigrate.NewLocalDir(d)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ld.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		if err := atlasmigrate.WriteSumFile(ld, sum); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Dir = dir
	fleet := make(migrate.Servers, len(pools))
	for i, pool := range pools {
		fleet[i] = migrate.Server{Name: fmt.Sprintf("s%d", i), DB: pool}
	}
	if _, err := fleet.Apply(ctx, &cfg); err != nil {
		t.Fatal(err)
	}
	for i := range fleetTenants {
		if _, err := fleet.CreateTenant(ctx, &cfg, tenantID(i), migrate.WithServer(fleetServer(i))); err != nil {
			t.Fatal(err)
		}
	}
	for si, pool := range pools {
		if _, err := pool.Exec(ctx, decoySQL); err != nil {
			t.Fatalf("server %d: create decoys: %v", si, err)
		}
		for n := 0; n != fleetTenants; {
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM public.tenants").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if err := ctx.Err(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
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
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	setupFleet(t, setupCtx, pools)
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
