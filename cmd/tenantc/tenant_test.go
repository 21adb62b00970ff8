package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate"
)

func TestTenantFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   string
		want  any
		usage bool
	}{
		{
			name: "create",
			args: []string{"create", "acme", "--schema", "s_acme", "--url", "postgres://x"},
			want: tenantCreateOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "postgres://x"}, ID: "acme", Schema: "s_acme"},
		},
		{
			name: "create from DATABASE_URL", env: "postgres://env",
			args: []string{"create", "acme"},
			want: tenantCreateOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "postgres://env"}, ID: "acme"},
		},
		{
			name: "create --set",
			args: []string{"create", "acme", "--set", "name=ACME Corp", "--set", "note=a=b", "--url", "u"},
			want: tenantCreateOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "u"}, ID: "acme",
				Set: []string{"name=ACME Corp", "note=a=b"}, text: map[string]string{"name": "ACME Corp", "note": "a=b"}},
		},
		{name: "create --set without =", args: []string{"create", "acme", "--set", "name", "--url", "u"}, usage: true},
		{name: "create --set twice", args: []string{"create", "acme", "--set", "a=1", "--set", "a=2", "--url", "u"}, usage: true},
		{name: "create without id", args: []string{"create", "--url", "u"}, usage: true},
		{name: "create without database", args: []string{"create", "acme"}, usage: true},
		{
			name: "drop --yes",
			args: []string{"drop", "acme", "--yes", "--url", "u"},
			want: tenantDropOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "u"}, ID: "acme", Yes: true},
		},
		{name: "drop without --yes off a terminal", args: []string{"drop", "acme", "--url", "u"}, usage: true},
		{
			name: "list json",
			args: []string{"list", "--format", "json", "--url", "u", "-f", "x.yaml"},
			want: tenantListOptions{tenantFlags: tenantFlags{ConfigPath: "x.yaml", URL: "u"}, Format: "json"},
		},
		{name: "list bad format", args: []string{"list", "--format", "xml", "--url", "u"}, usage: true},
		{
			name: "adopt",
			args: []string{"adopt", "first", "--from", "public", "--url", "u"},
			want: tenantAdoptOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "u"}, ID: "first", From: "public"},
		},
		{name: "adopt without --from", args: []string{"adopt", "first", "--url", "u"}, usage: true},
		{
			name: "rename",
			args: []string{"rename", "a", "b", "--schema", "t_b", "--url", "u"},
			want: tenantRenameOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "u"}, Old: "a", New: "b", Schema: "t_b"},
		},
		{name: "rename with one id", args: []string{"rename", "a", "--url", "u"}, usage: true},
		{
			name: "move",
			args: []string{"move", "acme", "--to", "eu", "--grace", "10m", "--json", "--url", "u"},
			want: tenantMoveOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "u"}, ID: "acme", To: "eu", Grace: 10 * time.Minute, JSON: true},
		},
		{
			name: "move default grace",
			args: []string{"move", "acme", "--to", "eu", "--url", "u"},
			want: tenantMoveOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "u"}, ID: "acme", To: "eu", Grace: time.Minute},
		},
		{name: "move without --to", args: []string{"move", "acme", "--url", "u"}, usage: true},
		{
			name: "move abort",
			args: []string{"move", "acme", "--abort", "--url", "u"},
			want: tenantMoveOptions{tenantFlags: tenantFlags{ConfigPath: "tenantc.yaml", URL: "u"}, ID: "acme", Grace: time.Minute, Abort: true},
		},
		{name: "move abort with --to", args: []string{"move", "acme", "--abort", "--to", "eu", "--url", "u"}, usage: true},
		{name: "move negative grace", args: []string{"move", "acme", "--to", "eu", "--grace", "-1s", "--url", "u"}, usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", tt.env)
			s := &streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			var got any
			cmd := newTenantCmd(s)
			cmd.RemoveCommand(cmd.Commands()...)
			cmd.AddCommand(
				newTenantCreateCmd(s, func(o *tenantCreateOptions) error { o.IO, o.cmdPath = nil, ""; got = *o; return nil }),
				newTenantDropCmd(s, func(o *tenantDropOptions) error { o.IO, o.cmdPath = nil, ""; got = *o; return nil }),
				newTenantListCmd(s, func(o *tenantListOptions) error { o.IO = nil; got = *o; return nil }),
				newTenantAdoptCmd(s, func(o *tenantAdoptOptions) error { o.IO, o.cmdPath = nil, ""; got = *o; return nil }),
				newTenantRenameCmd(s, func(o *tenantRenameOptions) error { o.IO, o.cmdPath = nil, ""; got = *o; return nil }),
				newTenantMoveCmd(s, func(o *tenantMoveOptions) error { o.IO, o.cmdPath = nil, ""; got = *o; return nil }),
			)
			cmd.SetArgs(tt.args)
			cmd.SetOut(s.Out)
			cmd.SetErr(s.Err)
			err := cmd.Execute()
			var usage *usageError
			if tt.usage {
				if !errors.As(err, &usage) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(tenantCreateOptions{}, tenantDropOptions{}, tenantListOptions{}, tenantAdoptOptions{}, tenantRenameOptions{}, tenantMoveOptions{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// runTenant runs `tenantc tenant args...` and returns the exit code and
// outputs.
func runTenant(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errOut}
	cmd := newTenantCmd(s)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	printError(&errOut, err)
	return exitCode(err), out.String(), errOut.String()
}

func TestTenantCommands(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tenantc.yaml":   "version: \"1\"\nschema: [schema]\nqueries: [schema]\nshared_schema: app\ntenant_schema: \"t_{id}\"\n",
		"schema/app.sql": "-- tenantc:tenant\nCREATE TABLE tickets (id bigint PRIMARY KEY);\n",
		"migrations/shared/20260101000001_init.sql": `CREATE TABLE "app"."plans" ("id" bigint PRIMARY KEY);` + "\n",
		"migrations/tenant/20260101000001_init.sql": `CREATE TABLE "tickets" ("id" bigint PRIMARY KEY, "title" text NOT NULL);` + "\n",
	})
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
	cfgPath := filepath.Join(dir, "tenantc.yaml")
	db := pgtest.New(t)
	t.Setenv("DATABASE_URL", db.URL)
	cfgArgs := []string{"-f", cfgPath}

	// Before the first apply, creating is refused: migrations pending.
	code, _, stderr := runTenant(t, append([]string{"create", "acme"}, cfgArgs...)...)
	if code != exitFailure || !strings.Contains(stderr, "pending") {
		t.Fatalf("create before apply: exit %d, stderr %q", code, stderr)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(t.Context(), db.Pool, cfg); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		args   []string
		code   int
		stdout string // regexp
		stderr string // regexp
	}{
		{[]string{"create", "acme"}, 0, `^created tenant acme \(schema t_acme\) at version 20260101000001 in [0-9.]+(ms|s)\n$`, `^$`},
		{[]string{"create", "globex", "--schema", "custom_globex"}, 0, `^created tenant globex \(schema custom_globex\)`, ``},
		{[]string{"create", "acme"}, 1, `^$`, `tenantc: create tenant "acme": tenant "acme": migrate: tenant already exists`},
		{[]string{"create", "Bad-Id"}, 2, `^$`, `invalid tenant id`},
		{[]string{"list"}, 0, `(?m)^ID +SCHEMA +VERSION +CREATED_AT\nacme +t_acme +20260101000001 +\d{4}-\d\d-\d\dT`, ``},
		{[]string{"rename", "globex", "initech", "--schema", "t_initech"}, 0, `^renamed tenant globex to initech \(schema t_initech\)\n$`, ``},
		{[]string{"drop", "acme"}, 2, `^$`, `--yes`},
		{[]string{"drop", "acme", "--yes"}, 0, `^dropped tenant acme\n$`, ``},
		{[]string{"drop", "acme", "--yes"}, 1, `^$`, `no such tenant`},
		{[]string{"adopt", "first", "--from", "nowhere"}, 1, `^$`, `schema "nowhere" does not exist`},
	}
	for _, st := range steps {
		code, stdout, stderr := runTenant(t, append(st.args, cfgArgs...)...)
		if code != st.code || !regexp.MustCompile(st.stdout).MatchString(stdout) || !regexp.MustCompile(st.stderr).MatchString(stderr) {
			t.Errorf("tenant %s: exit %d, stdout %q, stderr %q; want exit %d, stdout ~ %s, stderr ~ %s",
				strings.Join(st.args, " "), code, stdout, stderr, st.code, st.stdout, st.stderr)
		}
	}

	code, stdout, _ := runTenant(t, append([]string{"list", "--format", "json"}, cfgArgs...)...)
	var list []migrate.TenantInfo
	if err := json.Unmarshal([]byte(stdout), &list); code != 0 || err != nil {
		t.Fatalf("list --format json: exit %d, %v: %s", code, err, stdout)
	}
	if len(list) != 1 || list[0].ID != "initech" || list[0].Schema != "t_initech" || list[0].Version != "20260101000001" || list[0].CreatedAt.IsZero() {
		t.Errorf("list --format json = %+v", list)
	}
	if !strings.Contains(stdout, `"created_at": "`) {
		t.Errorf("list --format json lacks created_at: %s", stdout)
	}
}

// TestTenantCreateSet fills a declared registry table's own columns, typed
// by the column, from --set.
func TestTenantCreateSet(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tenantc.yaml":   "version: \"1\"\nschema: [schema]\nqueries: [schema]\nshared_schema: app\ntenant_schema: \"t_{id}\"\nregistry: {table: clinics}\n",
		"schema/app.sql": "-- tenantc:tenant\nCREATE TABLE notes (id bigint PRIMARY KEY);\n",
		"migrations/shared/20260101000001_init.sql": `CREATE TABLE "app"."clinics" ("id" text PRIMARY KEY, "schema_name" text UNIQUE NOT NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(), "name" text NOT NULL, "seats" integer NOT NULL, "opened" date);` + "\n",
		"migrations/tenant/20260101000001_init.sql": `CREATE TABLE "notes" ("id" bigint PRIMARY KEY);` + "\n",
	})
	cfgPath := filepath.Join(dir, "tenantc.yaml")
	if code, _, stderr := runTenantMigrate(t, "hash", "-f", cfgPath); code != 0 {
		t.Fatalf("migrate hash: %s", stderr)
	}
	db := pgtest.New(t)
	t.Setenv("DATABASE_URL", db.URL)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Apply(t.Context(), db.Pool, cfg); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runTenant(t, "create", "acme", "-f", cfgPath)
	if code != exitFailure || !strings.Contains(stderr, `"name"`) {
		t.Errorf("create without --set: exit %d, stderr %q; want the NOT NULL name refused", code, stderr)
	}
	code, _, stderr = runTenant(t, "create", "acme", "-f", cfgPath, "--set", "name=ACME Clinic", "--set", "seats=12", "--set", "opened=2026-02-01")
	if code != 0 {
		t.Fatalf("create --set: exit %d, stderr %q", code, stderr)
	}
	var (
		name, opened string
		seats        int
	)
	err = db.Pool.QueryRow(t.Context(), `SELECT name, seats, opened::text FROM app.clinics WHERE id = 'acme'`).Scan(&name, &seats, &opened)
	if err != nil {
		t.Fatal(err)
	}
	if name != "ACME Clinic" || seats != 12 || opened != "2026-02-01" {
		t.Errorf("registry row = %q %d %q", name, seats, opened)
	}
	code, _, stderr = runTenant(t, "create", "beta", "-f", cfgPath, "--set", "name=B", "--set", "seats=many")
	if code != exitFailure || !strings.Contains(stderr, "invalid input syntax for type integer") {
		t.Errorf("create --set seats=many: exit %d, stderr %q", code, stderr)
	}
}

// runTenantMigrate runs `tenantc migrate args...`.
func runTenantMigrate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"migrate"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}
