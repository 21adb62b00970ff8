package migratedev

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/google/go-cmp/cmp"
	"github.com/tenantc/tenantc/migrate"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestDiffGolden runs each testdata/diff/<case>: the schema files 1.sql,
// 2.sql, … in turn, a Diff after each (versions 20260101000001, …), and
// compares the resulting migration directories with <case>/want.
func TestDiffGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/diff/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			steps, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
			p := newProject(t, "")
			for i, step := range steps {
				src, err := os.ReadFile(step)
				if err != nil {
					t.Fatal(err)
				}
				p.setSchema(string(src))
				p.diff(fmt.Sprintf("step%d", i+1), fmt.Sprintf("2026010100000%d", i+1))
			}
			for _, side := range []string{migrate.SharedDir, migrate.TenantDir} {
				d, err := atlasmigrate.NewLocalDir(filepath.Join(p.dir, "migrations", side))
				if err != nil {
					continue // a side that never changed has no directory
				}
				if err := atlasmigrate.Validate(d); err != nil {
					t.Errorf("migrate.Validate(%s): %v", side, err)
				}
			}
			got := readTree(t, filepath.Join(p.dir, "migrations"))
			wantDir := filepath.Join(dir, "want")
			if *update {
				os.RemoveAll(wantDir)
				for name, content := range got {
					path := filepath.Join(wantDir, name)
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			if diff := cmp.Diff(readTree(t, wantDir), got); diff != "" {
				t.Errorf("migrations (-want +got):\n%s", diff)
			}
		})
	}
}

// readTree returns every file under dir by slash path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDiffRenameAndDestructive(t *testing.T) {
	p := newProject(t, `-- tenantc:default tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, note text);
`)
	p.diff("init", "20260101000001")
	p.setSchema(`-- tenantc:default tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, remark text);
`)
	_, err := Diff(t.Context(), p.cfg, p.catalog(), "rename", WithDevURL(devURL(t)), WithVersion("20260101000002"))
	var de *DestructiveError
	if !errors.As(err, &de) {
		t.Fatalf("Diff without a hint: err = %v, want a *DestructiveError", err)
	}
	if want := []string{`tenant: drop column "tickets"."note"`}; !cmp.Equal(want, de.Changes) {
		t.Errorf("destructive changes = %q, want %q", de.Changes, want)
	}
	if want := []RenameCandidate{{Side: "tenant", Table: "tickets", From: "note", To: "remark"}}; !cmp.Equal(want, de.Renames) {
		t.Errorf("rename candidates = %+v, want %+v", de.Renames, want)
	}
	if !strings.Contains(err.Error(), "tickets.note:remark") {
		t.Errorf("error does not name the hint:\n%v", err)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "migrations/tenant/20260101000002_rename.sql")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused diff wrote a file (stat err %v)", err)
	}
	p.diff("rename", "20260101000002", WithRename("tickets.note:remark"))
	got := p.read("migrations/tenant/20260101000002_rename.sql")
	if !strings.Contains(got, `ALTER TABLE "tickets" RENAME COLUMN "note" TO "remark"`) || strings.Contains(got, "DROP") {
		t.Errorf("rename plan:\n%s", got)
	}
}

func TestDiffEnumValues(t *testing.T) {
	const base = `-- tenantc:default tenant
CREATE TYPE status AS ENUM (%s);
CREATE TABLE tickets (id bigint PRIMARY KEY, status status NOT NULL);
`
	tests := []struct {
		name, values, want string
	}{
		{"drop", `'open', 'closed'`, `tenant: enum "status" drops value "held"`},
		{"reorder", `'closed', 'open', 'held'`, `tenant: enum "status" reorders its values`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t, fmt.Sprintf(base, `'open', 'held', 'closed'`))
			p.diff("init", "20260101000001")
			p.setSchema(fmt.Sprintf(base, tt.values))
			_, err := Diff(t.Context(), p.cfg, p.catalog(), "change", WithDevURL(devURL(t)), WithVersion("20260101000002"))
			if !errors.Is(err, ErrUnplannable) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Diff: %v, want ErrUnplannable with %q", err, tt.want)
			}
		})
	}
}

func TestDiffRenameCandidates(t *testing.T) {
	p := newProject(t, `-- tenantc:default tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, note text, size int);
CREATE TABLE labels (id bigint PRIMARY KEY, name text NOT NULL);
`)
	p.diff("init", "20260101000001")
	// note → remark keeps its type; size → weight does not (int → numeric);
	// labels → tags keeps its columns.
	p.setSchema(`-- tenantc:default tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, remark text, weight numeric);
CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
`)
	_, err := Diff(t.Context(), p.cfg, p.catalog(), "rename", WithDevURL(devURL(t)), WithVersion("20260101000002"))
	var de *DestructiveError
	if !errors.As(err, &de) {
		t.Fatalf("Diff: err = %v, want a *DestructiveError", err)
	}
	var hints []string
	for _, r := range de.Renames {
		hints = append(hints, r.Hint())
	}
	slices.Sort(hints)
	if want := []string{"labels:tags", "tickets.note:remark"}; !cmp.Equal(want, hints) {
		t.Errorf("rename hints = %q, want %q", hints, want)
	}
	p.diff("rename", "20260101000002", WithRename("labels:tags"), WithRename("tickets.note:remark"), WithAllowDestructive(true))
	got := p.read("migrations/tenant/20260101000002_rename.sql")
	for _, want := range []string{`ALTER TABLE "labels" RENAME TO "tags"`, `RENAME COLUMN "note" TO "remark"`, `DROP COLUMN "size"`} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %s:\n%s", want, got)
		}
	}
}
