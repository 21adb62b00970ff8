package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/migrate/migratedev"
)

// runCLI runs tenantc with args and returns the exit code and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeSums writes the atlas.sum of each migration directory under dir.
func writeSums(t *testing.T, dir string) {
	t.Helper()
	for _, side := range []string{"shared", "tenant"} {
		d, err := atlasmigrate.NewLocalDir(filepath.Join(dir, "migrations", side))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := d.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		if err := atlasmigrate.WriteSumFile(d, sum); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServersCommands(t *testing.T) {
	srvs := pgtest.Servers(t, 2)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tenantc.yaml": "version: \"1\"\nschema: [schema]\nqueries: [schema]\nshared_schema: app\ntenant_schema: \"t_{id}\"\n" +
			"servers:\n  main: $MAIN_URL\n  eu: " + srvs[1].URL("postgres") + "\n",
		"schema/app.sql": "-- tenantc:tenant\nCREATE TABLE tickets (id bigint PRIMARY KEY);\n",
		"migrations/shared/20260101000001_init.sql": `CREATE TABLE "app"."plans" ("id" bigint PRIMARY KEY);` + "\n",
		"migrations/tenant/20260101000001_init.sql": `CREATE TABLE "tickets" ("id" bigint PRIMARY KEY);` + "\n",
	})
	writeSums(t, dir)
	t.Setenv("MAIN_URL", srvs[0].URL("postgres"))
	t.Setenv("DATABASE_URL", "")
	f := []string{"-f", filepath.Join(dir, "tenantc.yaml")}
	dev := srvs[0].URL("postgres")

	type step struct {
		args           []string
		code           int
		stdout, stderr string // regexps
	}
	check := func(steps ...step) {
		t.Helper()
		for _, st := range steps {
			code, stdout, stderr := runCLI(t, append(st.args, f...)...)
			if code != st.code || !regexp.MustCompile(st.stdout).MatchString(stdout) || !regexp.MustCompile(st.stderr).MatchString(stderr) {
				t.Errorf("tenantc %s: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout ~ %s, stderr ~ %s",
					strings.Join(st.args, " "), code, stdout, stderr, st.code, st.stdout, st.stderr)
			}
		}
	}
	check(
		step{[]string{"migrate", "apply"}, 0, `(?m)^server main: shared: 1 applied; tenants: 0 migrated, 0 failed\nserver eu: shared: 1 applied; tenants: 0 migrated, 0 failed\n`, `^$`},
		step{[]string{"tenant", "create", "acme"}, 0, `^created tenant acme \(schema t_acme\) on server main at version 20260101000001`, `^$`},
		step{[]string{"tenant", "create", "globex"}, 0, `on server eu `, `^$`},
		step{[]string{"tenant", "create", "initech", "--server", "eu"}, 0, `on server eu `, `^$`},
		step{[]string{"tenant", "create", "hooli", "--server", "us"}, 2, `^$`, `--server "us" is not one of tenantc.yaml's servers \(main, eu\)`},
		step{[]string{"tenant", "create", "hooli", "--url", "postgres://x"}, 2, `^$`, `--url names one server`},
		step{[]string{"tenant", "list"}, 0, `(?m)^ID +SCHEMA +SERVER +VERSION +CREATED_AT\nacme +t_acme +main +20260101000001 .*\nglobex +t_globex +eu +20260101000001 .*\ninitech +t_initech +eu `, `^$`},
		step{[]string{"tenant", "rename", "acme", "acme2"}, 1, `^$`, `does not run across several servers yet`},
		step{[]string{"migrate", "drift", "--dev-url", dev}, 0, `(?m)^server main: shared \(app\) at version 20260101000001: no drift\nserver eu: shared \(app\) at version 20260101000001: no drift\nno drift: 3 tenants checked on 2 servers\n$`, `^$`},
		step{[]string{"migrate", "lint", "--dev-url", dev}, 0, `^no findings: 0 pending files linted\n$`, `^$`},
		step{[]string{"migrate", "lint", "--url", "postgres://x"}, 2, `^$`, `--url names one server`},
	)
	if _, err := pgtest.Connect(t, srvs[1].URL("postgres")).Exec(t.Context(), `ALTER TABLE t_initech.tickets ADD COLUMN hacked int`); err != nil {
		t.Fatal(err)
	}
	check(step{[]string{"migrate", "drift", "--dev-url", dev}, 1, `(?m)^tenant initech \(t_initech\) on eu:\n  \+ column "tickets"."hacked"\n$`, `^$`})
	code, stdout, _ := runCLI(t, append([]string{"migrate", "drift", "--format", "json", "--dev-url", dev}, f...)...)
	var drift migratedev.DriftReport
	if err := json.Unmarshal([]byte(stdout), &drift); code != 1 || err != nil || drift.Checked != 3 || len(drift.Tenants) != 1 || drift.Tenants[0].Server != "eu" || len(drift.Servers) != 2 {
		t.Errorf("migrate drift --format json: exit %d, %v, %+v", code, err, drift)
	}
	code, stdout, _ = runCLI(t, append([]string{"tenant", "list", "--format", "json"}, f...)...)
	var list []migrate.TenantInfo
	if err := json.Unmarshal([]byte(stdout), &list); code != 0 || err != nil || len(list) != 3 || list[1].Server != "eu" {
		t.Errorf("tenant list --format json: exit %d, %v, %+v", code, err, list)
	}

	// eu down: its tenants fail, naming it; main's tenant migrates.
	writeFiles(t, dir, map[string]string{"migrations/tenant/20260101000002_title.sql": `ALTER TABLE "tickets" ADD COLUMN "title" text;` + "\n"})
	writeSums(t, dir)
	srvs[1].Kill()
	check(
		step{[]string{"migrate", "apply"}, 1, `(?m)^server main: shared: 0 applied; tenants: 1 migrated, 0 failed\nserver eu: shared: 0 applied; tenants: 0 migrated, 2 failed; acquire lock connection: .*\ntenants: 1 migrated, 2 failed, 0 up to date\n$`, `(?m)^server eu: acquire lock connection`},
		step{[]string{"migrate", "status"}, 1, `(?m)^tenant globex \(t_globex\) on eu: version none, 0 pending, failed: server "eu": `, ``},
		step{[]string{"migrate", "drift", "--dev-url", dev}, 1, `(?m)^server main: shared \(app\) at version 20260101000001: no drift\nserver eu: failed: .*\ntenant globex \(t_globex\) on eu: failed: server "eu": .*\ntenant initech \(t_initech\) on eu: failed: server "eu": `, ``},
		step{[]string{"migrate", "lint", "--dev-url", dev}, 1, `^no findings: 3 pending files linted\n$`, `server "eu"`},
	)
	code, stdout, _ = runCLI(t, append([]string{"migrate", "status", "--format", "json"}, f...)...)
	var st migrate.StatusReport
	if err := json.Unmarshal([]byte(stdout), &st); code != 1 || err != nil || st.Summary.Failed != 2 || len(st.Servers) != 2 || st.Servers[1].Error == "" {
		t.Errorf("migrate status --format json with eu down: exit %d, %v, %+v", code, err, st)
	}

	// Back up: a re-run converges.
	if err := srvs[1].Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	check(
		step{[]string{"migrate", "apply"}, 0, `(?m)^server eu: shared: 0 applied; tenants: 2 migrated, 0 failed\ntenants: 2 migrated, 0 failed, 1 up to date\n$`, `^$`},
		step{[]string{"migrate", "status"}, 0, `(?m)^3 tenants: 3 current, 0 pending, 0 failed\n$`, `^$`},
		step{[]string{"tenant", "drop", "globex", "--yes"}, 0, `^dropped tenant globex\n$`, `^$`},
		step{[]string{"tenant", "drop", "globex", "--yes"}, 1, `^$`, `no such tenant`},
		step{[]string{"tenant", "list"}, 0, `(?m)^acme .*\ninitech .*\n$`, `^$`},
	)
}

func TestTenantMoveCommand(t *testing.T) {
	urls := pgtest.SharedServers(t, 2)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tenantc.yaml": "version: \"1\"\nschema: [schema]\nqueries: [schema]\nshared_schema: app\ntenant_schema: \"t_{id}\"\n" +
			"servers:\n  main: " + urls[0] + "\n  eu: " + urls[1] + "\n",
		"schema/app.sql": "-- tenantc:tenant\nCREATE TABLE tickets (id bigint PRIMARY KEY);\n",
		"migrations/shared/20260101000001_init.sql": `CREATE TABLE "app"."plans" ("id" bigint PRIMARY KEY);` + "\n",
		"migrations/tenant/20260101000001_init.sql": `CREATE TABLE "tickets" ("id" bigserial PRIMARY KEY, "title" text);` + "\n",
	})
	writeSums(t, dir)
	t.Setenv("DATABASE_URL", "")
	f := []string{"-f", filepath.Join(dir, "tenantc.yaml")}
	for _, args := range [][]string{{"migrate", "apply"}, {"tenant", "create", "acme", "--server", "eu"}} {
		if code, stdout, stderr := runCLI(t, append(args, f...)...); code != 0 {
			t.Fatalf("tenantc %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	if _, err := pgtest.Connect(t, urls[1]).Exec(t.Context(), "INSERT INTO t_acme.tickets (title) SELECT 'ticket ' || g FROM generate_series(1, 100) g"); err != nil {
		t.Fatal(err)
	}

	// Bad input: exit 2, nothing moved.
	for _, args := range [][]string{
		{"tenant", "move", "acme", "--to", "eu", "--grace", "soon"},
		{"tenant", "move", "acme"},
		{"tenant", "move", "acme", "--to", "us"},
	} {
		code, stdout, stderr := runCLI(t, append(args, f...)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "--") {
			t.Errorf("tenantc %s: exit %d\nstdout: %s\nstderr: %s\nwant exit 2 and a usage error", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	if code, _, stderr := runCLI(t, append([]string{"tenant", "move", "acme", "--to", "eu"}, f...)...); code != 1 || !strings.Contains(stderr, "already on that server") {
		t.Errorf("tenant move to its own server: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, append([]string{"tenant", "move", "acme", "--abort"}, f...)...); code != 1 || !strings.Contains(stderr, "no unfinished move") {
		t.Errorf("tenant move --abort without a move: exit %d, %s", code, stderr)
	}

	code, stdout, stderr := runCLI(t, append([]string{"tenant", "move", "acme", "--to", "main", "--grace", "0s", "--json"}, f...)...)
	if code != 0 {
		t.Fatalf("tenant move: exit %d\n%s%s", code, stdout, stderr)
	}
	var rep migrate.MoveReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("tenant move --json: %v\n%s", err, stdout)
	}
	if rep.Tenant != "acme" || rep.From != "eu" || rep.To != "main" || rep.RowsCopied != 100 || rep.PauseMS <= 0 || len(rep.Steps) != 6 {
		t.Errorf("tenant move --json = %+v", rep)
	}
	for _, step := range []string{"schema", "publish", "subscribe", "cutover", "cleanup", "drop"} {
		if !regexp.MustCompile(`(?m)^move acme: ` + step + ` done in \S+: `).MatchString(stderr) {
			t.Errorf("tenant move: no progress line for step %s on stderr:\n%s", step, stderr)
		}
	}
	code, stdout, _ = runCLI(t, append([]string{"tenant", "list"}, f...)...)
	if code != 0 || !regexp.MustCompile(`(?m)^acme +t_acme +main +20260101000001 `).MatchString(stdout) {
		t.Errorf("tenant list after the move: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, append([]string{"tenant", "move", "acme", "--to", "eu", "--grace", "0s"}, f...)...)
	if code != 0 || !regexp.MustCompile(`^moved tenant acme \(schema t_acme\) from main to eu: 100 rows copied, writes paused [0-9.]+ ms, \S+ in all\n$`).MatchString(stdout) {
		t.Errorf("tenant move back: exit %d\n%s", code, stdout)
	}
}
