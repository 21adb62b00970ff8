package migratedev

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tenantc/tenantc/migrate"
)

func TestLint(t *testing.T) {
	p, pool := fleetProject(t)
	addTenants(t, pool, p.cfg, "a")
	if _, err := migrate.Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	p.migration(migrate.TenantDir, "20260101000002_title.sql", tenantV2)
	p.migration(migrate.TenantDir, "20260101000003_drop.sql", `-- drop the title
ALTER TABLE "tickets" DROP COLUMN "title";
`)
	rep, err := Lint(t.Context(), pool, p.cfg, WithDevURL(devURL(t)))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"migrations/tenant/20260101000002_title.sql", "migrations/tenant/20260101000003_drop.sql"}; !cmp.Equal(want, rep.Files) {
		t.Errorf("linted %q, want %q", rep.Files, want)
	}
	var got []string
	for _, d := range rep.Diagnostics {
		got = append(got, d.File+":"+itoa(d.Line)+":"+itoa(d.Col)+" "+d.Rule+" "+d.Severity)
	}
	want := []string{
		"migrations/tenant/20260101000002_title.sql:1:1 MF104 warning",
		"migrations/tenant/20260101000003_drop.sql:2:1 DS103 error",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%+v", diff, rep.Diagnostics)
	}
	if !rep.HasErrors() {
		t.Error("HasErrors = false")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
