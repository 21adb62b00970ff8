package migrate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/internal/pgtest"
)

// testServers starts n servers and returns them as a fleet named s0, s1,
// …, each with a pool of 8 connections.
func testServers(t *testing.T, n int) ([]*pgserver.Server, Servers) {
	t.Helper()
	srvs := pgtest.Servers(t, n)
	fleet := make(Servers, n)
	for i, srv := range srvs {
		fleet[i] = Server{Name: fmt.Sprintf("s%d", i), DB: pgtest.Connect(t, srv.URL("postgres"), pgtest.WithMaxConns(8))}
	}
	return srvs, fleet
}

// sharedTestServers is testServers on the test binary's shared servers
// (pgtest.SharedServers), each test on databases of its own, for tests
// that neither kill nor restart a server.
func sharedTestServers(t *testing.T, n int) Servers {
	t.Helper()
	fleet := make(Servers, n)
	for i, u := range pgtest.SharedServers(t, n) {
		fleet[i] = Server{Name: fmt.Sprintf("s%d", i), DB: pgtest.Connect(t, u, pgtest.WithMaxConns(8))}
	}
	return fleet
}

// placeTenants registers tenants on the control server as placed on
// server, and creates their (empty) schemas there, as a create would
// before migrating them.
func placeTenants(t *testing.T, fleet Servers, cfg *config.Config, server int, ids ...string) {
	t.Helper()
	ctx := t.Context()
	reg := pgx.Identifier{cfg.SharedSchema, cfg.Registry.Table}.Sanitize()
	if _, err := fleet[0].DB.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{cfg.SharedSchema}.Sanitize()+`;
CREATE TABLE IF NOT EXISTS `+reg+` (id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), server text)`); err != nil {
		t.Fatal(err)
	}
	schemas, regs := &pgx.Batch{}, &pgx.Batch{}
	for _, id := range ids {
		s := cfg.TenantSchemaFor(id)
		schemas.Queue("CREATE SCHEMA " + pgx.Identifier{s}.Sanitize())
		regs.Queue("INSERT INTO "+reg+" (id, schema_name, server) VALUES ($1, $2, $3)", id, s, fleet[server].Name)
	}
	if err := fleet[server].DB.SendBatch(ctx, schemas).Close(); err != nil {
		t.Fatal(err)
	}
	if err := fleet[0].DB.SendBatch(ctx, regs).Close(); err != nil {
		t.Fatal(err)
	}
}

// serverVersions returns each tenant's applied versions on one server.
func serverVersions(t *testing.T, db DB) map[string][]string {
	t.Helper()
	return tenantVersions(t, db.(*pgxpool.Pool))
}

func TestServersApplyConvergesWithAServerDown(t *testing.T) {
	const perServer = 300
	srvs, fleet := testServers(t, 3)
	p := newProject(t, "")
	p.migration(SharedDir, "20260101000001_init.sql", sharedV1)
	p.migration(TenantDir, "20260101000001_init.sql", tenantV1)
	ids := map[int][]string{}
	for i := range fleet {
		for j := range perServer {
			ids[i] = append(ids[i], fmt.Sprintf("s%dt%04d", i, j))
		}
		placeTenants(t, fleet, p.cfg, i, ids[i]...)
	}
	res, err := fleet.Apply(t.Context(), p.cfg)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if res.Total != 3*perServer || res.Failed != 0 || len(res.Tenants) != 3*perServer || len(res.Servers) != 3 {
		t.Fatalf("Result total=%d failed=%d tenants=%d servers=%d", res.Total, res.Failed, len(res.Tenants), len(res.Servers))
	}
	for i := range fleet {
		vs := serverVersions(t, fleet[i].DB)
		if !cmp.Equal(vs[""], []string{"20260101000001"}) {
			t.Errorf("server %d: shared versions %q", i, vs[""])
		}
		if len(vs) != perServer+1 {
			t.Errorf("server %d records %d tenants, want its own %d", i, len(vs)-1, perServer)
		}
		if got := countTables(t, fleet[i].DB.(*pgxpool.Pool), "tickets"); got != perServer {
			t.Errorf("server %d: %d tickets tables, want %d", i, got, perServer)
		}
	}

	// One server down: its tenants fail, naming it; the others migrate.
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	srvs[2].Kill()
	res, err = fleet.Apply(t.Context(), p.cfg)
	if !errors.Is(err, ErrServersFailed) || !errors.Is(err, ErrTenantsFailed) || !strings.Contains(err.Error(), `server "s2"`) {
		t.Fatalf("Apply with s2 down: %v, want ErrServersFailed and ErrTenantsFailed naming s2", err)
	}
	if res.Failed != perServer || res.Servers[2].Error == "" || res.Servers[0].Error != "" || res.Servers[1].Error != "" {
		t.Errorf("Result failed=%d servers=%+v; want s2's %d tenants failed", res.Failed, res.Servers, perServer)
	}
	for _, tr := range res.Tenants {
		down := strings.HasPrefix(tr.ID, "s2")
		if down != (tr.Error != "") || tr.Server != "s"+tr.ID[1:2] {
			t.Fatalf("tenant %+v: want an error exactly for s2's tenants, and its server", tr)
		}
		if down && !strings.HasPrefix(tr.Error, `server "s2": `) {
			t.Fatalf("tenant %s error %q does not name its server first", tr.ID, tr.Error)
		}
	}
	for i := range 2 {
		for id, vs := range serverVersions(t, fleet[i].DB) {
			if id != "" && len(vs) != 2 {
				t.Fatalf("server %d: tenant %s at %q, want both versions", i, id, vs)
			}
		}
	}
	rep, err := fleet.Status(t.Context(), p.cfg)
	if !errors.Is(err, ErrServersFailed) || rep.Summary.Failed != perServer || rep.Summary.Current != 2*perServer {
		t.Errorf("Status with s2 down: %v, summary %+v", err, rep.Summary)
	}

	// Back up: a re-run converges.
	if err := srvs[2].Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err = fleet.Apply(t.Context(), p.cfg)
	if err != nil || res.Failed != 0 || len(res.Tenants) != perServer {
		t.Fatalf("re-run: %v, failed=%d, %d tenants migrated; want s2's %d", err, res.Failed, len(res.Tenants), perServer)
	}
	rep, err = fleet.Status(t.Context(), p.cfg)
	if err != nil || rep.Summary.Current != 3*perServer || rep.Summary.Pending != 0 {
		t.Fatalf("Status after the re-run: %v, summary %+v", err, rep.Summary)
	}
	for i := range fleet {
		if rep.Servers[i].Shared.Pending != 0 || rep.Servers[i].Error != "" {
			t.Errorf("server %s: %+v", fleet[i].Name, rep.Servers[i])
		}
	}
}

func TestServersCreateListStatus(t *testing.T) {
	fleet := sharedTestServers(t, 3)
	p := newProject(t, "")
	p.migration(SharedDir, "20260101000001_init.sql", sharedV1)
	p.migration(TenantDir, "20260101000001_init.sql", tenantV1)
	ctx := t.Context()

	// A registry from before the fleet: its tenant stays on control.
	if _, err := Apply(ctx, fleet[0].DB, p.cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateTenant(ctx, fleet[0].DB, p.cfg, "old"); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.CreateTenant(ctx, p.cfg, "early"); !errors.Is(err, ErrPendingMigrations) {
		t.Errorf("CreateTenant before the fleet's apply: %v, want ErrPendingMigrations", err)
	}
	if _, err := fleet.Apply(ctx, p.cfg); err != nil {
		t.Fatal(err)
	}

	// Fewest tenants first: s1, s2, then s0 (which has "old") ties and
	// wins by order.
	want := map[string]string{"old": "s0"}
	for i, server := range []string{"s1", "s2", "s0", "s1"} {
		id := fmt.Sprintf("new%d", i)
		info, err := fleet.CreateTenant(ctx, p.cfg, id)
		if err != nil {
			t.Fatalf("CreateTenant(%s): %v", id, err)
		}
		if info.Server != server || info.Version != "20260101000001" {
			t.Errorf("CreateTenant(%s) = %+v, want server %s", id, info, server)
		}
		want[id] = server
	}
	info, err := fleet.CreateTenant(ctx, p.cfg, "pinned", WithServer("s2"))
	if err != nil || info.Server != "s2" {
		t.Fatalf("CreateTenant WithServer(s2) = %+v, %v", info, err)
	}
	want["pinned"] = "s2"
	if _, err := fleet.CreateTenant(ctx, p.cfg, "lost", WithServer("s9")); !errors.Is(err, ErrUnknownServer) {
		t.Errorf("CreateTenant WithServer(s9): %v, want ErrUnknownServer", err)
	}
	if _, err := fleet.CreateTenant(ctx, p.cfg, "new0"); !errors.Is(err, ErrTenantExists) {
		t.Errorf("CreateTenant of a registered id: %v, want ErrTenantExists", err)
	}

	list, err := fleet.ListTenants(ctx, p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ti := range list {
		got[ti.ID] = ti.Server
		if ti.Version != "20260101000001" {
			t.Errorf("ListTenants: %s at %q", ti.ID, ti.Version)
		}
		// The schema is on its server only.
		for _, srv := range fleet {
			var ok bool
			if err := srv.DB.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", ti.Schema+".tickets").Scan(&ok); err != nil {
				t.Fatal(err)
			}
			if ok != (srv.Name == ti.Server) {
				t.Errorf("tenant %s on %s: tickets on %s is %v", ti.ID, ti.Server, srv.Name, ok)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("placement (-want +got)\n%s", diff)
	}

	// A new tenant version: status sees it pending on every server.
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2)
	rep, err := fleet.Status(ctx, p.cfg)
	if err != nil || rep.Summary.Pending != len(want) {
		t.Fatalf("Status: %v, summary %+v", err, rep.Summary)
	}
	if _, err := fleet.CreateTenant(ctx, p.cfg, "behind"); !errors.Is(err, ErrPendingMigrations) {
		t.Errorf("CreateTenant with tenants behind: %v, want ErrPendingMigrations", err)
	}
	if _, err := fleet.Apply(ctx, p.cfg); err != nil {
		t.Fatal(err)
	}
	rep, err = fleet.Status(ctx, p.cfg)
	if err != nil || rep.Summary.Current != len(want) {
		t.Fatalf("Status after Apply: %v, summary %+v", err, rep.Summary)
	}
	for _, ts := range rep.Tenants {
		if ts.Server != want[ts.ID] {
			t.Errorf("Status: %s on %q, want %q", ts.ID, ts.Server, want[ts.ID])
		}
	}

	// Drop, on the control server and on another: schema, revisions and
	// registry row go; the id can be created again.
	for _, id := range []string{"old", "pinned"} {
		server := fleet[fleet.index(want[id])]
		if err := fleet.DropTenant(ctx, p.cfg, id); err != nil {
			t.Fatalf("DropTenant(%s): %v", id, err)
		}
		var schema, revs bool
		if err := server.DB.QueryRow(ctx, `SELECT to_regnamespace($1) IS NOT NULL,
	EXISTS (SELECT 1 FROM app.tenantc_revisions WHERE tenant_id = $2)`, "t_"+id, id).Scan(&schema, &revs); err != nil {
			t.Fatal(err)
		}
		if schema || revs {
			t.Errorf("after DropTenant(%s): schema left %v, revisions left %v", id, schema, revs)
		}
		if err := fleet.DropTenant(ctx, p.cfg, id); !errors.Is(err, ErrNoSuchTenant) {
			t.Errorf("second DropTenant(%s): %v, want ErrNoSuchTenant", id, err)
		}
	}
	if info, err := fleet.CreateTenant(ctx, p.cfg, "pinned", WithServer("s2")); err != nil || info.Version != "20260101000002" {
		t.Errorf("CreateTenant after the drop = %+v, %v", info, err)
	}
	if list, err := fleet.ListTenants(ctx, p.cfg); err != nil || len(list) != len(want)-1 {
		t.Errorf("ListTenants after the drops: %d tenants, %v; want %d", len(list), err, len(want)-1)
	}
}
