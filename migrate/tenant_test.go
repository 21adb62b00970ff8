package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"ariga.io/atlas/sql/postgres"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
	"github.com/tenantc/tenantc/tenancy"
)

// tenantV3 adds every kind of object the baseline reads back from the
// catalog rather than from Atlas's plan.
const tenantV3 = `CREATE TYPE "status" AS ENUM ('open', 'closed');
ALTER TABLE "tickets" ADD COLUMN "status" "status" NOT NULL DEFAULT 'open';
CREATE SEQUENCE "ticket_no";
CREATE DOMAIN "title_text" AS text CHECK (VALUE <> '');
CREATE TYPE "pair" AS (a int, b text);
CREATE VIEW "open_tickets" AS SELECT id, title FROM tickets WHERE status = 'open';
CREATE FUNCTION "touch"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := lower(NEW.title); NEW.id := nextval('ticket_no'); RETURN NEW; END $$ SET search_path FROM CURRENT;
CREATE TRIGGER "tickets_touch" BEFORE INSERT ON "tickets" FOR EACH ROW EXECUTE FUNCTION "touch"();
`

// provisionProject is a project with three tenant versions, migrated.
func provisionProject(t *testing.T) (*project, *pgxpool.Pool) {
	t.Helper()
	p := newProject(t, "")
	p.migration(SharedDir, "20260101000001_init.sql", sharedV1)
	p.migration(TenantDir, "20260101000001_init.sql", tenantV1)
	p.migration(TenantDir, "20260101000002_index.sql", tenantV2)
	p.migration(TenantDir, "20260101000003_objects.sql", tenantV3)
	pool := pgtest.Connect(t, pgtest.NewDatabase(t), pgtest.WithMaxConns(20))
	if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	return p, pool
}

func testLogger(t *testing.T) Option {
	return WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// snapshot is what a refused lifecycle call must leave unchanged: the
// schemas with their relations, the registry and the revisions.
func snapshot(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `
SELECT 'schema ' || n.nspname || ': ' || coalesce(string_agg(c.relname, ',' ORDER BY c.relname), '')
FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
GROUP BY n.nspname
UNION ALL SELECT 'tenant ' || id || ' ' || schema_name FROM app.tenants
UNION ALL SELECT 'revision ' || tenant_id || ' ' || version || ' ' || coalesce(error, '') FROM app.tenantc_revisions
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateTenant(t *testing.T) {
	p, pool := provisionProject(t)
	ctx := t.Context()
	// A tenant migrated the long way, for comparison.
	addTenants(t, pool, p.cfg, "applied")
	if _, err := Apply(ctx, pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	info, err := CreateTenant(ctx, pool, p.cfg, "acme", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != "acme" || info.Schema != "t_acme" || info.Version != "20260101000003" || info.CreatedAt.IsZero() {
		t.Errorf("info = %+v", info)
	}
	var kind string
	if err := pool.QueryRow(ctx, `SELECT kind FROM app.tenantc_baselines WHERE version = '20260101000003'`).Scan(&kind); err != nil {
		t.Fatal(err)
	}
	if kind != baselinePlanned {
		t.Errorf("baseline kind = %q, want %q", kind, baselinePlanned)
	}
	// Second create reuses the cached baseline.
	if _, err := CreateTenant(ctx, pool, p.cfg, "beta", WithSchemaName("custom_beta")); err != nil {
		t.Fatal(err)
	}

	st, err := Status(ctx, pool, p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Summary != (StatusSummary{Tenants: 3, Current: 3}) {
		t.Errorf("status summary = %+v, want 3 current", st.Summary)
	}
	for _, s := range []string{"t_applied", "t_acme", "custom_beta"} {
		if d := driftOf(t, pool, p.cfg, s); len(d) > 0 {
			t.Errorf("%s after create differs from the history: %q", s, d)
		}
	}
	// The objects must match the applied tenant's too.
	for _, s := range []string{"t_acme", "custom_beta"} {
		want, got := objectsOf(t, pool, "t_applied"), objectsOf(t, pool, s)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("objects of %s (-applied +created):\n%s", s, diff)
		}
	}
	// The trigger function resolves the tenant's own sequence.
	var title string
	var id int64
	err = pool.QueryRow(ctx, `INSERT INTO t_acme.tickets (id, plan_id, title) VALUES (0, 1, 'HELLO') RETURNING id, title`).Scan(&id, &title)
	if err != nil || id != 1 || title != "hello" {
		t.Errorf("insert through trigger = %d, %q, %v; want 1, hello", id, title, err)
	}
	var cfgPath []string
	if err := pool.QueryRow(ctx, `SELECT proconfig FROM pg_proc WHERE oid = 't_acme.touch'::regproc`).Scan(&cfgPath); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(cfgPath, []string{`search_path="t_acme", "app"`}) {
		t.Errorf("touch proconfig = %q", cfgPath)
	}

	list, err := ListTenants(ctx, pool, p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ti := range list {
		got = append(got, ti.ID+" "+ti.Schema+" "+ti.Version)
	}
	want := []string{"acme t_acme 20260101000003", "applied t_applied 20260101000003", "beta custom_beta 20260101000003"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListTenants (-want +got):\n%s", diff)
	}
}

// driftOf lists how schema got differs from the tenant history replayed
// into a scratch schema, in a transaction that is rolled back: the check
// the baseline builder runs, with no dev database.
func driftOf(t *testing.T, pool *pgxpool.Pool, cfg *config.Config, got string) []string {
	t.Helper()
	ctx := t.Context()
	p, err := newProvisioner[Option](cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := inspect.OpenSQL(pool)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") }()
	const want = "tenantc_test_history"
	if err := replayInto(ctx, conn, want, cfg.SharedSchema, p.tenantFiles, ""); err != nil {
		t.Fatal(err)
	}
	drv, err := postgres.Open(conn)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := compareSchemas(ctx, conn, drv, want, got, cfg.SharedSchema)
	if err != nil {
		t.Fatal(err)
	}
	return diffs
}

// objectsOf fingerprints a schema's non-Atlas objects, its own name cut out.
func objectsOf(t *testing.T, pool *pgxpool.Pool, schemaName string) map[inspect.ObjKey]string {
	t.Helper()
	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), "SELECT set_config('search_path', $1, false)", schemaName); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(t.Context(), "RESET search_path")
	defs, err := inspect.ReadObjects(t.Context(), conn.Conn(), schemaName)
	if err != nil {
		t.Fatal(err)
	}
	out := map[inspect.ObjKey]string{}
	for k, d := range defs.Def {
		out[k] = strings.ReplaceAll(d, schemaName+".", "")
	}
	return out
}

func TestCreateTenantHistoryWithData(t *testing.T) {
	p := newProject(t, "")
	p.migration(SharedDir, "20260101000001_init.sql", sharedV1)
	p.migration(TenantDir, "20260101000001_init.sql", `CREATE TABLE "settings" ("k" text PRIMARY KEY, "v" text);
INSERT INTO "settings" VALUES ('theme', 'dark');
`)
	pool := pgtest.New(t).Pool
	if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateTenant(t.Context(), pool, p.cfg, "acme"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := pool.QueryRow(t.Context(), `SELECT v FROM t_acme.settings WHERE k = 'theme'`).Scan(&v); err != nil || v != "dark" {
		t.Errorf("seeded row = %q, %v; want dark (the baseline must keep the history's data)", v, err)
	}
}

func TestCreateTenantEmptyTenantDir(t *testing.T) {
	p := newProject(t, "")
	p.migration(SharedDir, "20260101000001_init.sql", sharedV1)
	pool := pgtest.New(t).Pool
	if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
		t.Fatal(err)
	}
	info, err := CreateTenant(t.Context(), pool, p.cfg, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "" || info.Schema != "t_acme" {
		t.Errorf("info = %+v", info)
	}
}

func TestCreateTenantRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, p *project, pool *pgxpool.Pool)
		id    string
		opts  []CreateOption
		want  error
		msg   string // in the error, when set
	}{
		{name: "invalid id", id: "Acme-1", want: tenancy.ErrInvalidTenantID},
		{name: "too long id", id: strings.Repeat("a", 49), want: tenancy.ErrInvalidTenantID},
		{name: "invalid schema", id: "acme", opts: []CreateOption{WithSchemaName("pg_acme")}, want: tenancy.ErrInvalidSchemaName},
		{name: "shared schema", id: "acme", opts: []CreateOption{WithSchemaName("app")}, want: tenancy.ErrInvalidSchemaName},
		{name: "duplicate id", id: "taken", want: ErrTenantExists},
		{name: "duplicate schema", id: "other", opts: []CreateOption{WithSchemaName("t_taken")}, want: ErrTenantExists},
		{
			name: "schema exists",
			setup: func(t *testing.T, p *project, pool *pgxpool.Pool) {
				if _, err := pool.Exec(t.Context(), "CREATE SCHEMA t_stray"); err != nil {
					t.Fatal(err)
				}
			},
			id: "stray", want: ErrTenantExists,
		},
		{
			name: "shared pending",
			setup: func(t *testing.T, p *project, pool *pgxpool.Pool) {
				p.migration(SharedDir, "20260101000009_more.sql", `CREATE TABLE "app"."more" ("id" bigint PRIMARY KEY);`)
			},
			id: "acme", want: ErrPendingMigrations,
		},
		{
			name: "tenant pending",
			setup: func(t *testing.T, p *project, pool *pgxpool.Pool) {
				p.migration(TenantDir, "20260101000009_more.sql", `CREATE TABLE "more" ("id" bigint PRIMARY KEY);`)
			},
			id: "acme", want: ErrPendingMigrations, msg: "tenants taken are not at tenant version 20260101000009",
		},
		{
			// The baseline is cached: only the check under the lock sees it.
			name: "tenant failed at head",
			setup: func(t *testing.T, p *project, pool *pgxpool.Pool) {
				if _, err := pool.Exec(t.Context(), `UPDATE app.tenantc_revisions SET error = 'boom'
WHERE tenant_id = 'taken' AND version = (SELECT max(version) FROM app.tenantc_revisions WHERE tenant_id = 'taken')`); err != nil {
					t.Fatal(err)
				}
			},
			id: "acme", want: ErrPendingMigrations, msg: "tenants taken are not at tenant version",
		},
		{
			name: "never migrated",
			setup: func(t *testing.T, p *project, pool *pgxpool.Pool) {
				if _, err := pool.Exec(t.Context(), "DELETE FROM app.tenantc_revisions WHERE tenant_id = ''"); err != nil {
					t.Fatal(err)
				}
			},
			id: "acme", want: ErrPendingMigrations,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, pool := provisionProject(t)
			if _, err := CreateTenant(t.Context(), pool, p.cfg, "taken"); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, p, pool)
			}
			before := snapshot(t, pool)
			_, err := CreateTenant(t.Context(), pool, p.cfg, tt.id, tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("CreateTenant(%q) error = %v, want %v", tt.id, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("CreateTenant(%q) error = %v, want it to contain %q", tt.id, err, tt.msg)
			}
			if diff := cmp.Diff(before, snapshot(t, pool)); diff != "" {
				t.Errorf("database changed by a refused create (-before +after):\n%s", diff)
			}
		})
	}
}

func TestDropTenant(t *testing.T) {
	p, pool := provisionProject(t)
	ctx := t.Context()
	for _, id := range []string{"acme", "keep"} {
		if _, err := CreateTenant(ctx, pool, p.cfg, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := DropTenant(ctx, pool, p.cfg, "acme"); err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, pool)
	for _, line := range snap {
		if strings.Contains(line, "acme") {
			t.Errorf("left behind after drop: %s", line)
		}
	}
	if !slices.ContainsFunc(snap, func(s string) bool { return strings.HasPrefix(s, "tenant keep ") }) {
		t.Errorf("drop removed another tenant: %q", snap)
	}
	// The shared table loses the tenant's foreign-key triggers.
	if n := countTables(t, pool, "tickets"); n != 1 {
		t.Errorf("tickets tables = %d, want 1", n)
	}

	for _, id := range []string{"acme", "nobody"} {
		before := snapshot(t, pool)
		if err := DropTenant(ctx, pool, p.cfg, id); !errors.Is(err, ErrNoSuchTenant) {
			t.Errorf("DropTenant(%q) error = %v, want ErrNoSuchTenant", id, err)
		}
		if diff := cmp.Diff(before, snapshot(t, pool)); diff != "" {
			t.Errorf("database changed by a refused drop (-before +after):\n%s", diff)
		}
	}
	if err := DropTenant(ctx, pool, p.cfg, "Bad Id"); !errors.Is(err, tenancy.ErrInvalidTenantID) {
		t.Errorf("DropTenant(invalid) error = %v, want ErrInvalidTenantID", err)
	}
}

func TestRenameTenant(t *testing.T) {
	p, pool := provisionProject(t)
	ctx := t.Context()
	for _, id := range []string{"acme", "other"} {
		if _, err := CreateTenant(ctx, pool, p.cfg, id); err != nil {
			t.Fatal(err)
		}
	}
	info, err := RenameTenant(ctx, pool, p.cfg, "acme", "acme2")
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != "acme2" || info.Schema != "t_acme" || info.Version != "20260101000003" {
		t.Errorf("rename keeping the schema: %+v", info)
	}
	info, err = RenameTenant(ctx, pool, p.cfg, "acme2", "acme3", WithSchemaName("t_acme3"))
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != "acme3" || info.Schema != "t_acme3" {
		t.Errorf("rename with schema: %+v", info)
	}
	vs := tenantVersions(t, pool)
	if len(vs["acme3"]) != 3 || len(vs["acme"]) != 0 || len(vs["acme2"]) != 0 {
		t.Errorf("revisions after rename: %v", vs)
	}
	var title string
	if err := pool.QueryRow(ctx, `INSERT INTO t_acme3.tickets (id, plan_id, title) VALUES (0, 1, 'X') RETURNING title`).Scan(&title); err != nil || title != "x" {
		t.Errorf("trigger after schema rename: %q, %v", title, err)
	}
	var cfgPath []string
	if err := pool.QueryRow(ctx, `SELECT proconfig FROM pg_proc WHERE oid = 't_acme3.touch'::regproc`).Scan(&cfgPath); err != nil {
		t.Fatal(err)
	}
	if len(cfgPath) != 1 || strings.ReplaceAll(cfgPath[0], `"`, "") != "search_path=t_acme3, app" {
		t.Errorf("touch proconfig after rename = %q", cfgPath)
	}

	refusals := []struct {
		old, new string
		opts     []RenameOption
		want     error
	}{
		{"nobody", "x", nil, ErrNoSuchTenant},
		{"acme3", "other", nil, ErrTenantExists},
		{"acme3", "x", []RenameOption{WithSchemaName("t_other")}, ErrTenantExists},
		{"acme3", "Bad", nil, tenancy.ErrInvalidTenantID},
		{"acme3", "x", []RenameOption{WithSchemaName("pg_x")}, tenancy.ErrInvalidSchemaName},
	}
	for _, r := range refusals {
		before := snapshot(t, pool)
		if _, err := RenameTenant(ctx, pool, p.cfg, r.old, r.new, r.opts...); !errors.Is(err, r.want) {
			t.Errorf("RenameTenant(%q, %q) error = %v, want %v", r.old, r.new, err, r.want)
		}
		if diff := cmp.Diff(before, snapshot(t, pool)); diff != "" {
			t.Errorf("database changed by a refused rename (-before +after):\n%s", diff)
		}
	}
}

func TestCreateTenantConcurrent(t *testing.T) {
	p, pool := provisionProject(t)
	ctx := t.Context()

	t.Run("distinct", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 50)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = CreateTenant(ctx, pool, p.cfg, fmt.Sprintf("d%02d", i))
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("create d%02d: %v", i, err)
			}
		}
		list, err := ListTenants(ctx, pool, p.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 50 {
			t.Errorf("%d tenants registered, want 50", len(list))
		}
	})

	t.Run("same id", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = CreateTenant(ctx, pool, p.cfg, "same")
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrTenantExists):
				t.Errorf("loser error = %v, want ErrTenantExists", err)
			}
		}
		if won != 1 {
			t.Errorf("%d creates of the same id succeeded, want 1", won)
		}
	})
}

// legacy builds schemaName the way a single-tenant app would have: the
// given tenant migrations run in it directly, plus extra statements.
func legacy(t *testing.T, pool *pgxpool.Pool, schemaName string, files []string, extra string) {
	t.Helper()
	ctx := t.Context()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schemaName); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", schemaName+", app"); err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, extra) {
		if _, err := tx.Exec(ctx, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAdoptTenant(t *testing.T) {
	rows := `INSERT INTO tickets (id, plan_id, title) VALUES (41, 1, 'kept');
CREATE TABLE audit (id int);`
	tests := []struct {
		name, from  string
		files       []string
		wantVersion string
	}{
		{"at version 2", "legacy", []string{tenantV1, tenantV2}, "20260101000002"},
		{"at the latest version", "legacy", []string{tenantV1, tenantV2, tenantV3}, "20260101000003"},
		{"from the shared schema", "app", []string{tenantV1}, "20260101000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, pool := provisionProject(t)
			ctx := t.Context()
			legacy(t, pool, tt.from, tt.files, rows)
			info, err := AdoptTenant(ctx, pool, p.cfg, "first", tt.from, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			if info.ID != "first" || info.Schema != "t_first" || info.Version != tt.wantVersion {
				t.Errorf("info = %+v, want version %s", info, tt.wantVersion)
			}
			var title string
			if err := pool.QueryRow(ctx, `SELECT title FROM t_first.tickets WHERE title = 'kept'`).Scan(&title); err != nil || title != "kept" {
				t.Errorf("adopted row = %q, %v", title, err)
			}
			var left []string
			r, err := pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			if left, err = pgx.CollectRows(r, pgx.RowTo[string]); err != nil {
				t.Fatal(err)
			}
			wantLeft := []string{"audit"}
			if tt.from == "app" {
				wantLeft = []string{"audit", "plans", "tenantc_baselines", "tenantc_revisions", "tenants"}
				wantLeft = slices.DeleteFunc(wantLeft, func(s string) bool { return !slices.Contains(left, s) && s == "tenantc_baselines" })
			}
			if diff := cmp.Diff(wantLeft, left); diff != "" {
				t.Errorf("tables left in %s (-want +got):\n%s", tt.from, diff)
			}
			// Apply brings it to the latest version; then it is drift-clean.
			if _, err := Apply(ctx, pool, p.cfg); err != nil {
				t.Fatal(err)
			}
			if d := driftOf(t, pool, p.cfg, "t_first"); len(d) > 0 {
				t.Errorf("t_first after adopt differs from the history: %q", d)
			}
			var ins string
			if err := pool.QueryRow(ctx, `INSERT INTO t_first.tickets (id, plan_id, title) VALUES (0, 1, 'NEW') RETURNING title`).Scan(&ins); err != nil || ins != "new" {
				t.Errorf("insert through the adopted trigger = %q, %v", ins, err)
			}
		})
	}
}

func TestAdoptTenantRefusals(t *testing.T) {
	p, pool := provisionProject(t)
	ctx := t.Context()
	if _, err := CreateTenant(ctx, pool, p.cfg, "taken"); err != nil {
		t.Fatal(err)
	}
	legacy(t, pool, "legacy", []string{tenantV1}, `ALTER TABLE tickets ADD COLUMN extra int`)
	tests := []struct {
		name, id, from string
		want           error
		msg            string
	}{
		{"no matching version", "first", "legacy", ErrNoMatchingVersion, `+ column "tickets"."extra"`},
		{"duplicate id", "taken", "legacy", ErrTenantExists, ""},
		{"a tenant's schema", "first", "t_taken", ErrTenantExists, ""},
		{"invalid id", "First", "legacy", tenancy.ErrInvalidTenantID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, pool)
			_, err := AdoptTenant(ctx, pool, p.cfg, tt.id, tt.from)
			if !errors.Is(err, tt.want) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Fatalf("AdoptTenant error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if diff := cmp.Diff(before, snapshot(t, pool)); diff != "" {
				t.Errorf("database changed by a refused adopt (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("missing schema", func(t *testing.T) {
		if _, err := AdoptTenant(ctx, pool, p.cfg, "first", "nowhere"); err == nil {
			t.Fatal("adopting a missing schema succeeded")
		}
	})
}

// TestBaselineIndependentOfHistory checks what makes a create's cost
// independent of the history's length: two histories ending in the same
// schema give the same baseline script, byte for byte.
func TestBaselineIndependentOfHistory(t *testing.T) {
	const tables = 5
	scripts := map[int]string{}
	for _, history := range []int{1, 30} {
		p := newProject(t, "")
		p.migration(SharedDir, "20260101000001_init.sql", sharedV1)
		var first strings.Builder
		for tb := range tables {
			fmt.Fprintf(&first, `CREATE TABLE "t%d" ("id" bigint NOT NULL, "plan_id" bigint NOT NULL REFERENCES "app"."plans" ("id")`, tb)
			if history == 1 {
				for k := 1; k < 30; k++ {
					if k%tables == tb {
						fmt.Fprintf(&first, `, "x%02d" integer NOT NULL DEFAULT 0`, k)
					}
				}
			}
			fmt.Fprintf(&first, ", PRIMARY KEY (\"id\"));\nCREATE INDEX \"t%d_plan\" ON \"t%[1]d\" (\"plan_id\");\n", tb)
		}
		p.migration(TenantDir, "20260101000000_init.sql", first.String())
		for k := 1; k < history; k++ {
			p.migration(TenantDir, fmt.Sprintf("202601010001%02d_add.sql", k), fmt.Sprintf(`ALTER TABLE "t%d" ADD COLUMN "x%02d" integer NOT NULL DEFAULT 0;`, k%tables, k))
		}
		pool := pgtest.New(t).Pool
		if _, err := Apply(t.Context(), pool, p.cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := CreateTenant(t.Context(), pool, p.cfg, "acme"); err != nil {
			t.Fatal(err)
		}
		var kind, script string
		if err := pool.QueryRow(t.Context(), `SELECT kind, sql FROM app.tenantc_baselines`).Scan(&kind, &script); err != nil {
			t.Fatal(err)
		}
		if kind != baselinePlanned {
			t.Errorf("history=%d: baseline kind %q", history, kind)
		}
		scripts[history] = script
	}
	if diff := cmp.Diff(scripts[1], scripts[30]); diff != "" {
		t.Errorf("baseline scripts differ (-history=1 +history=30):\n%s", diff)
	}
	if n := strings.Count(scripts[1], "CREATE TABLE"); n != tables {
		t.Errorf("baseline creates %d tables, want %d:\n%s", n, tables, scripts[1])
	}
}

// TestRegistrySchemaRefused points registry rows at schemas that are not
// tenants' and checks that no path runs anything in them.
func TestRegistrySchemaRefused(t *testing.T) {
	p, pool := provisionProject(t)
	ctx := t.Context()
	// Another configuration's shared schema: a valid name, but tenantc's
	// bookkeeping lives there.
	if _, err := pool.Exec(ctx, `CREATE SCHEMA other; CREATE TABLE other.tenantc_revisions (x int)`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, schema string
		want         error // from DropTenant
	}{
		{"shared", "app", ErrUnsafeSchema},
		{"catalog", "pg_catalog", ErrUnsafeSchema},
		{"information_schema", "information_schema", ErrUnsafeSchema},
		{"public", "public", ErrUnsafeSchema},
		{"quoted", `Bad"Name`, ErrUnsafeSchema},
		{"other_shared", "other", ErrUnsafeSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := pool.Exec(ctx, `INSERT INTO app.tenants (id, schema_name) VALUES ('evil', $1)`, tt.schema); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := pool.Exec(ctx, `DELETE FROM app.tenants WHERE id = 'evil'`); err != nil {
					t.Fatal(err)
				}
			})
			before := snapshot(t, pool)
			if err := DropTenant(ctx, pool, p.cfg, "evil"); !errors.Is(err, tt.want) {
				t.Errorf("DropTenant: %v, want %v", err, tt.want)
			}
			if _, err := RenameTenant(ctx, pool, p.cfg, "evil", "evil2", WithSchemaName("t_evil2")); !errors.Is(err, tt.want) {
				t.Errorf("RenameTenant: %v, want %v", err, tt.want)
			}
			if _, err := Apply(ctx, pool, p.cfg); !errors.Is(err, ErrUnsafeSchema) {
				t.Errorf("Apply: %v, want ErrUnsafeSchema", err)
			}
			if _, err := Status(ctx, pool, p.cfg); !errors.Is(err, ErrUnsafeSchema) {
				t.Errorf("Status: %v, want ErrUnsafeSchema", err)
			}
			if diff := cmp.Diff(before, snapshot(t, pool)); diff != "" {
				t.Errorf("refused calls changed the database (-before +after):\n%s", diff)
			}
		})
	}
	if _, err := CreateTenant(ctx, pool, p.cfg, "pub", WithSchemaName("public")); !errors.Is(err, ErrUnsafeSchema) {
		t.Errorf("CreateTenant into public: %v, want ErrUnsafeSchema", err)
	}
}

// TestBaselineTampered plants SQL in the cached baseline: the next create
// must not run it, and must plan the baseline again.
func TestBaselineTampered(t *testing.T) {
	p, pool := provisionProject(t)
	ctx := t.Context()
	if _, err := CreateTenant(ctx, pool, p.cfg, "a"); err != nil {
		t.Fatal(err)
	}
	// A writer who can compute the files' fingerprint column still cannot
	// make the script run.
	_, err := pool.Exec(ctx, `UPDATE app.tenantc_baselines SET sql = sql || E'\nCREATE TABLE planted (x int);'`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateTenant(ctx, pool, p.cfg, "b"); err != nil {
		t.Fatal(err)
	}
	if n := countTables(t, pool, "planted"); n != 0 {
		t.Errorf("planted SQL ran in %d schemas", n)
	}
	var script string
	if err := pool.QueryRow(ctx, `SELECT sql FROM app.tenantc_baselines`).Scan(&script); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(script, "planted") {
		t.Error("tampered baseline kept after the rebuild")
	}
	// PUBLIC has no rights on the table.
	var public bool
	if err := pool.QueryRow(ctx, `SELECT has_table_privilege('public', 'app.tenantc_baselines', 'INSERT')`).Scan(&public); err != nil {
		t.Fatal(err)
	}
	if public {
		t.Error("PUBLIC may insert into the baselines table")
	}
}

// TestDataStatement classifies the statements of a tenant history without
// a SQL parser, as PostgreSQL's parse tree would: a data statement makes
// the baseline replay the history.
func TestDataStatement(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		data bool
	}{
		{"create table", `CREATE TABLE t (id int)`, false},
		{"alter", `ALTER TABLE t ADD COLUMN x int`, false},
		{"function with insert body", `CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ INSERT INTO t VALUES (1) $$`, false},
		{"create table as", `CREATE TABLE t2 AS SELECT 1`, false},
		{"comment", `COMMENT ON TABLE t IS 'insert'`, false},
		{"insert", `INSERT INTO t VALUES (1)`, true},
		{"lower case update", `update t set id = 2`, true},
		{"delete", `DELETE FROM t`, true},
		{"copy", `COPY t FROM stdin`, true},
		{"merge", `MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE`, true},
		{"select", `SELECT setval('seq', 10)`, true},
		{"parenthesized select", `(SELECT 1)`, true},
		{"values", `VALUES (1)`, true},
		{"table", `TABLE t`, true},
		{"with", `WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x`, true},
		{"call", `CALL p()`, true},
		{"do", `DO $$ BEGIN END $$`, true},
		{"after comments", "-- seed\n/* a /* nested */ comment */ INSERT INTO t VALUES (1)", true},
		{"comment only", "-- INSERT", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dataStatement([]File{{Name: "1_a.sql", Stmts: []string{tt.sql}}}) != ""
			if got != tt.data {
				t.Errorf("dataStatement(%q) = %v, want %v", tt.sql, got, tt.data)
			}
		})
	}
}
