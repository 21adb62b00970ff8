package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGoVet builds tenantc-vet and runs it under go vet -vettool on a small
// module, as users do in CI.
func TestGoVet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary and runs go vet")
	}
	dir := t.TempDir()
	bin := filepath.Join(t.TempDir(), "tenantc-vet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	files := map[string]string{
		"go.mod":       "module example.com/shop\n\ngo 1.26\n",
		"tenantc.yaml": "version: \"1\"\n",
		"schema/schema.sql": `-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY);
-- tenantc:tenant
CREATE TABLE tickets (id bigint PRIMARY KEY);
`,
		"queries/queries.sql": "-- name: ListPlans :many\nSELECT id FROM plans;\n",
		"app/app.go": `package app

import (
	"context"
	"database/sql"
)

func Purge(ctx context.Context, db *sql.DB) {
	db.ExecContext(ctx, "DELETE FROM plans")
	db.ExecContext(ctx, "DELETE FROM tickets")
}
`,
	}
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", "-vettool="+bin, "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("go vet: %v, want a non-zero exit\n%s", err, stderr.String())
	}
	want := regexp.MustCompile(`(?m)^app[/\\]app\.go:10:22: unscoped query: table "tickets" is tenant-scoped; use the generated TenantQueries, or tenancy\.ParseSQL with the name in braces \(\{name\}\) and Conn\.SQL for a one-off statement$`)
	if !want.Match(stderr.Bytes()) {
		t.Errorf("go vet output does not match %s:\n%s", want, stderr.String())
	}
	if bytes.Contains(stderr.Bytes(), []byte(`"plans"`)) {
		t.Errorf("shared table reported:\n%s", stderr.String())
	}
}
