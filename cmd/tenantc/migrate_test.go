package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate/migratedev"
)

func TestMigrateApplyFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   string
		want  migrateApplyOptions
		usage bool
	}{
		{
			name: "defaults from DATABASE_URL",
			env:  "postgres://db",
			want: migrateApplyOptions{dbFlags: dbFlags{ConfigPath: "tenantc.yaml", URL: "postgres://db", Format: "text"}, AtomicLimit: 100, LockTimeout: time.Minute},
		},
		{
			name: "every flag",
			args: []string{"--url", "postgres://x", "--tenant", "a", "--tenant", "b", "--parallel", "8", "--fail-fast", "--dry-run", "--atomic", "--atomic-limit", "5", "--lock-timeout", "2s", "--format", "json", "-f", "x.yaml"},
			want: migrateApplyOptions{
				dbFlags:  dbFlags{ConfigPath: "x.yaml", URL: "postgres://x", Tenants: []string{"a", "b"}, Format: "json"},
				Parallel: 8, FailFast: true, DryRun: true, Atomic: true, AtomicLimit: 5, LockTimeout: 2 * time.Second,
			},
		},
		{name: "no database", usage: true},
		{name: "bad format", args: []string{"--url", "u", "--format", "xml"}, usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", tt.env)
			var got *migrateApplyOptions
			s := &streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			cmd := newMigrateApplyCmd(s, func(o *migrateApplyOptions) error { got = o; return nil })
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
			got.IO = nil
			if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(migrateApplyOptions{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMigrateDiffArgs(t *testing.T) {
	s := &streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	var got *migrateDiffOptions
	cmd := newMigrateDiffCmd(s, func(o *migrateDiffOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"add_orders", "--rename", "orders.note:remark", "--allow-destructive"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Name != "add_orders" || !cmp.Equal(got.Renames, []string{"orders.note:remark"}) || !got.AllowDestructive {
		t.Errorf("options = %+v", got)
	}
	cmd = newMigrateDiffCmd(s, func(*migrateDiffOptions) error { return nil })
	cmd.SetArgs(nil)
	var usage *usageError
	if err := cmd.Execute(); !errors.As(err, &usage) {
		t.Errorf("diff without NAME: %v, want a usage error", err)
	}
}

func TestAskRenames(t *testing.T) {
	cands := []migratedev.RenameCandidate{
		{Side: "tenant", Table: "tickets", From: "note", To: "remark"},
		{Side: "tenant", Table: "tickets", From: "note", To: "summary"}, // note is taken by then
		{Side: "tenant", Table: "tickets", From: "body", To: "remark"},  // so is remark
		{Side: "shared", From: "labels", To: "tags"},
		{Side: "shared", From: "kinds", To: "sorts"},
	}
	tests := []struct {
		name, answers string
		want          []string
		asked         int
	}{
		{"yes to the first, no to the next", "y\nn\nno\n", []string{"tickets.note:remark"}, 3},
		{"default is no; end of input stops asking", "\n\n\n", nil, 4},
		{"yes to all asked", "yes\nY\ny\n", []string{"tickets.note:remark", "labels:tags", "kinds:sorts"}, 3},
		{"end of input stops asking", "n\n", nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errOut bytes.Buffer
			s := &streams{In: strings.NewReader(tt.answers), Out: &bytes.Buffer{}, Err: &errOut}
			got, err := askRenames(s, cands)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(tt.want, got) {
				t.Errorf("hints = %q, want %q", got, tt.want)
			}
			if n := strings.Count(errOut.String(), "[y/N]"); n != tt.asked {
				t.Errorf("asked %d questions, want %d:\n%s", n, tt.asked, errOut.String())
			}
			if !strings.HasPrefix(errOut.String(), `tenant: did you rename column "tickets"."note" to "remark"? [y/N] `) {
				t.Errorf("first question:\n%s", errOut.String())
			}
		})
	}
}

// TestMigrateDiffAsksRename runs diff as on a terminal: the answer turns
// the drop and add into a rename.
func TestMigrateDiffAsksRename(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tenantc.yaml":        "version: \"1\"\nshared_schema: app\n",
		"queries/queries.sql": "-- name: ListPlans :many\nSELECT id FROM plans;\n",
		"schema/schema.sql":   "-- tenantc:shared\nCREATE TABLE plans (id bigint PRIMARY KEY);\n-- tenantc:tenant\nCREATE TABLE tickets (id bigint PRIMARY KEY, note text);\n",
	})
	dev := pgtest.Get(t).AdminURL()
	diff := func(name, answers string) (string, string, error) {
		var out, errOut bytes.Buffer
		s := &streams{In: strings.NewReader(answers), Out: &out, Err: &errOut}
		err := migrateDiffRun(t.Context(), &migrateDiffOptions{IO: s, ConfigPath: filepath.Join(dir, "tenantc.yaml"), Name: name, DevURL: dev, Interactive: true})
		return out.String(), errOut.String(), err
	}
	if _, _, err := diff("init", ""); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{
		"schema/schema.sql": "-- tenantc:shared\nCREATE TABLE plans (id bigint PRIMARY KEY);\n-- tenantc:tenant\nCREATE TABLE tickets (id bigint PRIMARY KEY, remark text);\n",
	})
	// "no" keeps the refusal, which names the flag.
	_, errOut, err := diff("rename_note", "n\n")
	if err == nil || !strings.Contains(err.Error(), "pass --rename tickets.note:remark") {
		t.Fatalf("answered no: err = %v", err)
	}
	if !strings.Contains(errOut, `did you rename column "tickets"."note" to "remark"? [y/N]`) {
		t.Errorf("no question asked:\n%s", errOut)
	}
	out, errOut, err := diff("rename_note", "y\n")
	if err != nil {
		t.Fatalf("answered yes: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "planning it as --rename tickets.note:remark") {
		t.Errorf("stderr:\n%s", errOut)
	}
	m := regexp.MustCompile(`wrote (migrations/tenant/\d{14}_rename_note\.sql)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, m[1]))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `ALTER TABLE "tickets" RENAME COLUMN "note" TO "remark"`) || strings.Contains(string(b), "DROP") {
		t.Errorf("plan:\n%s", b)
	}
}

// TestWriteLint checks lint's output formats: GitHub annotations are
// escaped as vet's are, and warnings say so in text.
func TestWriteLint(t *testing.T) {
	diags := []migratedev.LintDiagnostic{
		{File: "migrations/tenant/1_a,b.sql", Line: 2, Col: 3, Rule: "DS103", Severity: "error", Message: "drops column \"x\"\n::error::forged"},
		{File: "migrations/tenant/1_a.sql", Line: 4, Col: 1, Rule: "MF103", Severity: "warning", Message: "data-dependent change"},
	}
	tests := []struct {
		format, want string
	}{
		{"github", "::error file=migrations/tenant/1_a%2Cb.sql,line=2,col=3,title=tenantc DS103::drops column \"x\"%0A::error::forged (DS103)\n" +
			"::warning file=migrations/tenant/1_a.sql,line=4,col=1,title=tenantc MF103::data-dependent change (MF103)\n"},
		{"text", "migrations/tenant/1_a,b.sql:2:3: drops column \"x\"\n::error::forged (DS103)\n" +
			"migrations/tenant/1_a.sql:4:1: warning: data-dependent change (MF103)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeLint(&b, tt.format, diags); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
