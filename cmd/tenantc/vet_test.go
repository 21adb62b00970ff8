package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// vetProject writes a small module with a tenant table, a shared table and
// a Go package in app/ that runs SQL through database/sql.
func vetProject(t *testing.T, app string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":       "module example.com/shop\n\ngo 1.26\n",
		"tenantc.yaml": "version: \"1\"\n",
		"schema/schema.sql": `-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);

-- tenantc:tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, title text NOT NULL);
`,
		"queries/queries.sql": "-- name: ListTickets :many\nSELECT id, title FROM tickets;\n",
		"app/app.go":          app,
	})
	return dir
}

const vetAppHeader = `package app

import (
	"context"
	"database/sql"
)

`

// runVet runs tenantc vet as run does, returning the exit code and output.
func runVet(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &stdout, Err: &stderr}
	cmd := newVetCmd(s)
	cmd.SetArgs(append([]string{"-f", filepath.Join(dir, "tenantc.yaml")}, args...))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{cmd: c.CommandPath(), err: err} })
	err := cmd.ExecuteContext(context.Background())
	printError(&stderr, err)
	return exitCode(err), stdout.String(), stderr.String()
}

// vetGenerate runs tenantc generate in dir, so that staleness checks pass.
func vetGenerate(t *testing.T, dir string) {
	t.Helper()
	var stderr bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &stderr}
	cmd := newGenerateCmd(s, nil)
	cmd.SetArgs([]string{"-f", filepath.Join(dir, "tenantc.yaml")})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr.String())
	}
}

const vetUnscopedApp = vetAppHeader + `func Run(ctx context.Context, db *sql.DB, col string) {
	db.ExecContext(ctx, "DELETE FROM tickets")
	db.ExecContext(ctx, "SELECT id FROM plans")
	db.QueryContext(ctx, "SELECT "+col+" FROM plans")
}
`

const vetWarningApp = vetAppHeader + `func Run(ctx context.Context, db *sql.DB, table string) {
	db.ExecContext(ctx, "SELECT id FROM "+table)
}
`

const vetCleanApp = vetAppHeader + `func Run(ctx context.Context, db *sql.DB) {
	db.ExecContext(ctx, "SELECT id FROM plans")
	//tenantc:ignore the retention job deletes old tickets of every tenant
	db.ExecContext(ctx, "DELETE FROM tickets")
}
`

func TestVetText(t *testing.T) {
	tests := []struct {
		name   string
		app    string
		args   []string
		code   int
		stdout string
	}{
		{name: "clean", app: vetCleanApp, args: []string{"./app"}, code: 0, stdout: ""},
		{name: "unscoped", app: vetUnscopedApp, args: []string{"./app"}, code: 1,
			stdout: "app/app.go:9:22: unscoped query: table \"tickets\" is tenant-scoped; use the generated TenantQueries, or tenancy.ParseSQL with the name in braces ({name}) and Conn.SQL for a one-off statement (unscoped-tenant-ref)\n"},
		{name: "warning passes", app: vetWarningApp, args: []string{"./app"}, code: 0,
			stdout: "app/app.go:9:22: warning: dynamic SQL: a table name is built at run time, so tenantc cannot check it (dynamic-sql)\n"},
		{name: "warning fails strict", app: vetWarningApp, args: []string{"--strict", "./app"}, code: 1,
			stdout: "app/app.go:9:22: warning: dynamic SQL: a table name is built at run time, so tenantc cannot check it (dynamic-sql)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := vetProject(t, tt.app)
			vetGenerate(t, dir)
			code, stdout, stderr := runVet(t, dir, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if diff := cmp.Diff(tt.stdout, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVetUsageAndConfigErrors(t *testing.T) {
	dir := vetProject(t, vetCleanApp)
	tests := []struct {
		name   string
		args   []string
		stderr string // regexp
	}{
		{name: "bad format", args: []string{"--format", "xml"}, stderr: `unknown format "xml"`},
		{name: "bad flag", args: []string{"--nope"}, stderr: `unknown flag: --nope`},
		{name: "no config", args: []string{"-f", filepath.Join(dir, "missing.yaml")}, stderr: `no tenantc.yaml found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runVet(t, dir, tt.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if !regexp.MustCompile(tt.stderr).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, tt.stderr)
			}
		})
	}
	if err := os.WriteFile(filepath.Join(dir, "tenantc.yaml"), []byte("version: \"1\"\nnope: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runVet(t, dir, "./app"); code != exitUsage || !strings.Contains(stderr, "tenantc.yaml:2:") {
		t.Errorf("bad config: exit code %d, stderr %q; want %d and tenantc.yaml:2:...", code, stderr, exitUsage)
	}
}

func TestVetSQLChecks(t *testing.T) {
	dir := vetProject(t, vetCleanApp)
	vetGenerate(t, dir)
	// A new tenant table without a key: the schema check fires, and the
	// generated models are stale.
	f, err := os.OpenFile(filepath.Join(dir, "schema", "schema.sql"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n-- tenantc:tenant\nCREATE TABLE audit_log (at timestamptz NOT NULL);\n")
	f.Close()
	code, stdout, stderr := runVet(t, dir, "./app")
	if code != exitFailure {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitFailure, stderr)
	}
	want := []string{
		`internal/db/models.go:1:1: generated code is stale; run tenantc generate (stale-generated)`,
		`schema/schema.sql:8:14: tenant table "audit_log" has no primary key; rows of a per-tenant copy cannot be addressed, replicated or moved between servers by key (tenant-table-no-pk)`,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(stdout), "\n")); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}

func TestVetSQLIgnore(t *testing.T) {
	dir := vetProject(t, vetCleanApp)
	writeFiles(t, dir, map[string]string{"schema/schema.sql": `-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);

-- tenantc:tenant
-- tenantc:ignore at most 50 tenants: the key is worth its triggers
CREATE TABLE tickets (id bigint PRIMARY KEY, title text NOT NULL, plan_id bigint REFERENCES plans (id));
`})
	// generate reads the directive as no scope annotation.
	vetGenerate(t, dir)
	code, stdout, stderr := runVet(t, dir, "--strict", "./app")
	if code != 0 || stdout != "" {
		t.Errorf("vet --strict: exit code %d, stdout %q, stderr %q; want 0 and no findings", code, stdout, stderr)
	}
}

func TestVetJSON(t *testing.T) {
	dir := vetProject(t, vetUnscopedApp)
	vetGenerate(t, dir)
	code, stdout, _ := runVet(t, dir, "--format", "json", "./app")
	if code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	want := []map[string]any{{
		"file": "app/app.go", "line": 9.0, "col": 22.0, "rule": "unscoped-tenant-ref", "severity": "error",
		"message": `unscoped query: table "tickets" is tenant-scoped; use the generated TenantQueries, or tenancy.ParseSQL with the name in braces ({name}) and Conn.SQL for a one-off statement`,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}

	// A clean run prints an empty array, not null.
	dir = vetProject(t, vetCleanApp)
	vetGenerate(t, dir)
	if code, stdout, _ := runVet(t, dir, "--format", "json", "./app"); code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("clean: exit code %d, stdout %q; want 0 and []", code, stdout)
	}
}

func TestVetGitHub(t *testing.T) {
	dir := vetProject(t, vetUnscopedApp)
	vetGenerate(t, dir)
	_, stdout, _ := runVet(t, dir, "--format", "github", "./app")
	want := "::error file=app/app.go,line=9,col=22,title=tenantc unscoped-tenant-ref::unscoped query: table \"tickets\" is tenant-scoped; use the generated TenantQueries, or tenancy.ParseSQL with the name in braces ({name}) and Conn.SQL for a one-off statement (unscoped-tenant-ref)\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}

func TestVetSARIF(t *testing.T) {
	dir := vetProject(t, vetUnscopedApp+"\nfunc W(ctx context.Context, db *sql.DB, t string) { db.ExecContext(ctx, \"DELETE FROM \"+t) }\n")
	vetGenerate(t, dir)
	code, stdout, _ := runVet(t, dir, "--format", "sarif", "./app")
	if code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	// The fields SARIF 2.1.0 requires, and those code scanning reads.
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "tenantc" {
		t.Fatalf("version %q, %d runs; want 2.1.0, 1 run by tenantc:\n%s", log.Version, len(log.Runs), stdout)
	}
	type result struct {
		Rule, Level, URI string
		Line, Col        int
		HasMessage       bool
	}
	var got []result
	run := log.Runs[0]
	for _, r := range run.Results {
		if len(r.Locations) != 1 || r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Fatalf("result %+v: want one location and ruleIndex pointing at its rule", r)
		}
		l := r.Locations[0].PhysicalLocation
		got = append(got, result{r.RuleID, r.Level, l.ArtifactLocation.URI, l.Region.StartLine, l.Region.StartColumn, r.Message.Text != ""})
	}
	want := []result{
		{"unscoped-tenant-ref", "error", "app/app.go", 9, 22, true},
		{"dynamic-sql", "warning", "app/app.go", 14, 73, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}
