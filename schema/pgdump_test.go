package schema

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/internal/pgtest"
)

// exampleDump loads the shop example's schema files, as plain SQL, into a
// fresh database (every object lands in public) and returns what
// pg_dump --schema-only writes for it.
func exampleDump(t *testing.T) string {
	t.Helper()
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	files, err := filepath.Glob(filepath.Join("..", "examples", "shop", "schema", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example schema files: %v (%d found)", err, len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, string(src)); err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
	}
	bin, err := pgserver.BinDir()
	if err != nil {
		// A server given by TENANTC_TEST_DATABASE_URL, without local
		// binaries; CI has both.
		if os.Getenv("CI") == "true" {
			t.Fatalf("pg_dump: %v", err)
		}
		t.Skipf("pg_dump: %v", err)
	}
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "pg_dump"), "--schema-only", "--dbname="+db.URL).Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("pg_dump: %v: %s", err, stderr)
	}
	return string(out)
}

// TestLoadPgDump loads a real pg_dump --schema-only of the shop example's
// database, annotated as a user switching to tenantc would: a file default
// and a tenantc:tenant line before each tenant object. The catalog is the
// one the example's own files give, and the statements migrate replays
// rebuild it with the tenant objects in a tenant schema.
func TestLoadPgDump(t *testing.T) {
	dump := exampleDump(t)
	const config = "registry:\n  table: shops\n"

	t.Run("file default only", func(t *testing.T) {
		cat, err := load(t, config, schemaFile{"dump.sql", "-- tenantc:default shared\n" + dump})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		want := []string{
			"shared enum order_status",
			"shared table orders (id product_id buyer_id quantity status created_at)",
			"shared sequence orders_id_seq",
			"shared table products (id name price_cents tags attributes created_at)",
			"shared sequence products_id_seq",
			"shared table shops (id schema_name name owner_id created_at)",
			"shared table users (id email password_hash created_at)",
			"shared sequence users_id_seq",
		}
		if diff := cmp.Diff(want, describeObjects(cat)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
	})

	t.Run("tenant objects annotated", func(t *testing.T) {
		annotated := "-- tenantc:default shared\n" + dump
		for _, create := range []string{
			"CREATE TYPE public.order_status ",
			"CREATE TABLE public.orders ",
			"CREATE SEQUENCE public.orders_id_seq\n",
			"CREATE TABLE public.products ",
			"CREATE SEQUENCE public.products_id_seq\n",
		} {
			if strings.Count(annotated, "\n"+create) != 1 {
				t.Fatalf("pg_dump output has no single %q", create)
			}
			annotated = strings.Replace(annotated, "\n"+create, "\n-- tenantc:tenant\n"+create, 1)
		}
		cat, err := load(t, config, schemaFile{"dump.sql", annotated})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		want := []string{
			"tenant enum order_status",
			"tenant table orders (id product_id buyer_id quantity status created_at)",
			"tenant sequence orders_id_seq",
			"tenant table products (id name price_cents tags attributes created_at)",
			"tenant sequence products_id_seq",
			"shared table shops (id schema_name name owner_id created_at)",
			"shared table users (id email password_hash created_at)",
			"shared sequence users_id_seq",
		}
		if diff := cmp.Diff(want, describeObjects(cat)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		replay(t, cat)
	})
}

// describeObjects renders the catalog's objects one per line.
func describeObjects(cat *Catalog) []string {
	var out []string
	for _, o := range cat.Objects {
		s := fmt.Sprintf("%s %s %s", o.Scope, o.Kind, o.Name)
		if o.Columns != nil {
			s += " (" + strings.Join(o.Columns, " ") + ")"
		}
		out = append(out, s)
	}
	return out
}

// replay runs the catalog's statements on a fresh database as migrate's
// dev database does: the shared ones in public, then the tenant ones with
// the search path set to a tenant schema and public. Every tenant object
// must land in the tenant schema, every shared one in public.
func replay(t *testing.T, cat *Catalog) {
	t.Helper()
	stmts, err := Statements(cat)
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	run := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, scope := range []Scope{Shared, Tenant} {
		if scope == Tenant {
			run("CREATE SCHEMA shop_acme; SET search_path = shop_acme, public")
		}
		for _, s := range stmts {
			if s.Scope == scope {
				run(s.SQL)
			}
		}
	}
	rows, err := conn.Query(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname IN ('public', 'shop_acme') AND c.relkind IN ('r', 'S')
		UNION ALL SELECT n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname IN ('public', 'shop_acme') AND t.typtype = 'e'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"public.shops", "public.users", "public.users_id_seq",
		"shop_acme.order_status", "shop_acme.orders", "shop_acme.orders_id_seq",
		"shop_acme.products", "shop_acme.products_id_seq",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replayed objects (-want +got):\n%s", diff)
	}
}
