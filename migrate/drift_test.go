package migrate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDriftNamesTheAlteredTenant(t *testing.T) {
	p, pool := fleetProject(t)
	p.migration(TenantDir, "20260101000002_title.sql", tenantV2+`CREATE TYPE "state" AS ENUM ('open', 'closed');
ALTER TABLE "tickets" ADD COLUMN "state" "state" NOT NULL DEFAULT 'open';
`)
	addTenants(t, pool, p.cfg, "a", "b", "c", "d")
	if _, err := Apply(t.Context(), pool, p.cfg, WithTenants("a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	// d stays unmigrated (expected: an empty schema); c is altered by hand.
	if _, err := pool.Exec(t.Context(), `ALTER TABLE t_c.tickets ADD COLUMN hacked int; DROP INDEX t_c.tickets_plan;
ALTER TABLE t_c.tickets ALTER COLUMN title TYPE varchar(20), ALTER COLUMN title DROP NOT NULL, ALTER COLUMN title SET DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	rep, err := Drift(t.Context(), pool, p.cfg, WithDevURL(devURL(t)))
	if err != nil {
		t.Fatal(err)
	}
	want := []TenantDrift{{
		ID: "c", Schema: "t_c", Version: "20260101000002",
		Differences: []string{
			`~ column "tickets"."title" differs: expected text NOT NULL, found character varying(20) NULL DEFAULT 'x'`,
			`+ column "tickets"."hacked"`, `- index "tickets_plan" on "tickets" (missing)`,
		},
	}}
	if diff := cmp.Diff(want, rep.Tenants); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	if rep.Checked != 4 {
		t.Errorf("checked %d tenants, want 4", rep.Checked)
	}
}
