package tenancy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// fleetRegistry is the registry on the control server ("one") and a tenant
// schema per server, each holding a row that names its server.
const fleetRegistry = `
CREATE TABLE tenants (
	id text PRIMARY KEY,
	schema_name text UNIQUE NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	server text
);
INSERT INTO tenants (id, schema_name, server) VALUES
	('old', 'tenant_old', NULL), ('acme', 'tenant_acme', 'one'),
	('globex', 'tenant_globex', 'two'), ('lost', 'tenant_lost', 'nowhere');
`

func TestFleetRoutesEachTenantToItsServer(t *testing.T) {
	srvs := pgtest.Servers(t, 2)
	ctx := context.Background()
	var cfgs []tenancy.Server
	for i, name := range []string{"one", "two"} {
		pool := pgtest.Connect(t, srvs[i].URL("postgres"))
		if i == 0 {
			pgtest.MustExec(t, pool, fleetRegistry)
		}
		for _, id := range []string{"old", "acme", "globex"} {
			// Every schema on both servers, so that a wrong route reads
			// the other server's row instead of failing.
			pgtest.MustExec(t, pool, "CREATE SCHEMA tenant_"+id,
				"CREATE TABLE tenant_"+id+".items (server text)",
				"INSERT INTO tenant_"+id+".items VALUES ('"+name+"')")
		}
		cfg, err := pgxpool.ParseConfig(srvs[i].URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = 4
		cfgs = append(cfgs, tenancy.Server{Name: name, Config: cfg})
	}
	fleet, err := tenancy.NewFleet(ctx, cfgs)
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	itemServer := tenancy.MustParseSQL("SELECT server FROM {items}")

	for _, tt := range []struct{ id, server string }{
		{"old", "one"}, // registered before the fleet: on the control server
		{"acme", "one"},
		{"globex", "two"},
	} {
		tn, err := fleet.Registry().Lookup(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if tn.Server() != tt.server {
			t.Errorf("Lookup(%s).Server() = %q, want %q", tt.id, tn.Server(), tt.server)
		}
		for name, c := range map[string]tenancy.Conn{
			"Fleet.Bind":      fleet.Bind(tn),
			"Bind":            tenancy.Bind(fleet, tn),
			"ConnFromContext": tenancy.ConnFromContext(tenancy.NewContext(ctx, tn), fleet),
		} {
			var got string
			if err := c.QueryRow(ctx, c.SQL(itemServer)).Scan(&got); err != nil {
				t.Fatalf("%s(%s): %v", name, tt.id, err)
			}
			if got != tt.server {
				t.Errorf("%s(%s) ran on %q, want %q", name, tt.id, got, tt.server)
			}
		}
	}

	// Shared statements run on the control server, which has the registry.
	var n int
	if err := fleet.QueryRow(ctx, "SELECT count(*) FROM tenants").Scan(&n); err != nil || n != 4 {
		t.Errorf("shared query on the fleet: %d rows, %v; want 4 from the control server", n, err)
	}

	// A tenant on a server the fleet lacks fails before any round trip.
	lost, err := fleet.Registry().Lookup(ctx, "lost")
	if err != nil {
		t.Fatal(err)
	}
	c := fleet.Bind(lost)
	if _, err := c.Exec(ctx, c.SQL(itemServer)); !errors.Is(err, tenancy.ErrUnknownServer) || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Errorf("Exec for a tenant on an unknown server: %v, want ErrUnknownServer naming it", err)
	}
	var s string
	if err := c.QueryRow(ctx, c.SQL(itemServer)).Scan(&s); !errors.Is(err, tenancy.ErrUnknownServer) {
		t.Errorf("QueryRow for a tenant on an unknown server: %v, want ErrUnknownServer", err)
	}

	// A placement change shows after Invalidate, not before (the cache).
	if _, err := fleet.Exec(ctx, "UPDATE tenants SET server = 'one' WHERE id = 'globex'"); err != nil {
		t.Fatal(err)
	}
	if tn, _ := fleet.Registry().Lookup(ctx, "globex"); tn.Server() != "two" {
		t.Errorf("cached placement = %q, want two", tn.Server())
	}
	fleet.Invalidate("globex")
	if tn, _ := fleet.Registry().Lookup(ctx, "globex"); tn.Server() != "one" {
		t.Errorf("placement after Invalidate = %q, want one", tn.Server())
	}
	if err := fleet.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestRegistryWithPlacementNeedsTheServerColumn(t *testing.T) {
	db := pgtest.New(t)
	pgtest.MustExec(t, db.Pool, registrySchema)
	_, err := tenancy.NewRegistry(db.Pool, tenancy.WithPlacement("main")).Lookup(context.Background(), "acme")
	if err == nil || !strings.Contains(err.Error(), "has no server column") {
		t.Errorf("Lookup on a registry without a server column: %v, want an error that says so", err)
	}
	// Without WithPlacement the same registry still works, with no server.
	tn, err := tenancy.NewRegistry(db.Pool).Lookup(context.Background(), "acme")
	if err != nil || tn.Server() != "" {
		t.Errorf("Lookup without placement = %v, %v; want no server", tn, err)
	}
}

func TestNewFleetErrors(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig("postgres://127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		servers []tenancy.Server
		want    string
	}{
		{"none", nil, "no servers"},
		{"unnamed", []tenancy.Server{{Config: cfg}}, "has no name"},
		{"twice", []tenancy.Server{{Name: "a", Config: cfg}, {Name: "a", Config: cfg}}, `server "a" given twice`},
		{"nil config", []tenancy.Server{{Name: "a"}}, `server "a"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tenancy.NewFleet(ctx, tt.servers); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewFleet: %v, want %q", err, tt.want)
			}
		})
	}
}
