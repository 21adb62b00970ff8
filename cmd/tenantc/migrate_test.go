package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
