package migratedev

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
)

// TestServersDriftAndLint runs drift and lint over two servers: tenants
// and the shared schema checked on their own server, a hand-made change
// found where it was made, and a server down failing its own tenants
// only.
func TestServersDriftAndLint(t *testing.T) {
	srvs := pgtest.Servers(t, 2)
	fleet := migrate.Servers{
		{Name: "main", DB: pgtest.Connect(t, srvs[0].URL("postgres"), pgtest.WithMaxConns(4))},
		{Name: "eu", DB: pgtest.Connect(t, srvs[1].URL("postgres"), pgtest.WithMaxConns(4))},
	}
	p := newProject(t, "")
	p.migration(migrate.SharedDir, "20260101000001_init.sql", sharedV1)
	p.migration(migrate.TenantDir, "20260101000001_init.sql", tenantV1)
	ctx := t.Context()
	if _, err := fleet.Apply(ctx, p.cfg); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for id, server := range map[string]string{"a": "main", "b": "eu", "c": "eu"} {
		if _, err := fleet.CreateTenant(ctx, p.cfg, id, migrate.WithServer(server)); err != nil {
			t.Fatalf("CreateTenant %s: %v", id, err)
		}
	}
	rep, err := DriftServers(ctx, fleet, p.cfg, WithDevURL(devURL(t)))
	if err != nil {
		t.Fatalf("DriftServers: %v", err)
	}
	if rep.Checked != 3 || len(rep.Tenants) != 0 || len(rep.Servers) != 2 {
		t.Fatalf("drift = %+v, want 3 checked, none drifted, 2 servers", rep)
	}
	for _, s := range rep.Servers {
		if len(s.Differences) != 0 || s.Error != "" || s.SharedVersion != "20260101000001" {
			t.Errorf("server %+v: want no drift at the shared version", s)
		}
	}

	// A change by hand on eu: to tenant c, and to eu's copy of the shared
	// schema; main's tenant a and shared schema are untouched.
	if _, err := fleet[1].DB.Exec(ctx, `ALTER TABLE t_c.tickets ADD COLUMN hacked int; ALTER TABLE app.plans ADD COLUMN note text`); err != nil {
		t.Fatal(err)
	}
	rep, err = DriftServers(ctx, fleet, p.cfg, WithDevURL(devURL(t)))
	if err != nil {
		t.Fatalf("DriftServers: %v", err)
	}
	want := []TenantDrift{{ID: "c", Schema: "t_c", Server: "eu", Version: "20260101000001", Differences: []string{`+ column "tickets"."hacked"`}}}
	if diff := cmp.Diff(want, rep.Tenants); diff != "" {
		t.Errorf("drifted tenants (-want +got):\n%s", diff)
	}
	if len(rep.Servers[0].Differences) != 0 || !cmp.Equal(rep.Servers[1].Differences, []string{`+ column "plans"."note"`}) {
		t.Errorf("shared drift: main %q, eu %q; want eu's added column only", rep.Servers[0].Differences, rep.Servers[1].Differences)
	}

	// A pending tenant file is pending on both servers: lint finds it.
	p.migration(migrate.TenantDir, "20260101000002_drop.sql", `ALTER TABLE "tickets" DROP COLUMN "title";`)
	lint, err := LintServers(ctx, fleet, p.cfg, WithDevURL(devURL(t)))
	if err != nil {
		t.Fatalf("LintServers: %v", err)
	}
	if len(lint.Files) != 1 || !strings.HasSuffix(lint.Files[0], "20260101000002_drop.sql") || !lint.HasErrors() {
		t.Errorf("lint = %+v, want the pending drop file, with an error", lint)
	}
	// Applied on main's tenants only, it is still pending on eu's.
	if _, err := migrate.Apply(ctx, fleet[0].DB, p.cfg, migrate.WithTenants("a")); err != nil {
		t.Fatalf("Apply on main: %v", err)
	}
	if lint, err = LintServers(ctx, fleet, p.cfg, WithDevURL(devURL(t))); err != nil || len(lint.Files) != 1 {
		t.Errorf("lint after main applied: %v, files %q; want the file still pending on eu", err, lint.Files)
	}

	// eu down: its tenants and shared schema fail naming it; main's are
	// checked.
	srvs[1].Kill()
	rep, err = DriftServers(ctx, fleet, p.cfg, WithDevURL(devURL(t)))
	if !errors.Is(err, migrate.ErrServersFailed) || !strings.Contains(err.Error(), `server "eu"`) {
		t.Fatalf("DriftServers with eu down: %v, want ErrServersFailed naming eu", err)
	}
	if rep.Checked != 1 || rep.Servers[0].Error != "" || rep.Servers[1].Error == "" {
		t.Errorf("drift with eu down: checked %d, servers %+v; want main's tenant checked, eu failed", rep.Checked, rep.Servers)
	}
	for _, d := range rep.Tenants {
		if d.Server != "eu" || !strings.HasPrefix(d.Error, `server "eu": `) {
			t.Errorf("tenant %+v: want only eu's tenants, failed naming eu", d)
		}
	}
	if len(rep.Tenants) != 2 {
		t.Errorf("%d tenants reported, want eu's 2 failed", len(rep.Tenants))
	}
	lint, err = LintServers(ctx, fleet, p.cfg, WithDevURL(devURL(t)))
	if !errors.Is(err, migrate.ErrServersFailed) || lint == nil || len(lint.Files) == 0 {
		t.Errorf("LintServers with eu down: %v, report %+v; want the files pending on eu linted, and an error", err, lint)
	}
}
