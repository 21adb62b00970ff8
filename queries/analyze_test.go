package queries_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
)

func TestMain(m *testing.M) {
	if os.Getenv(queries.EngineEnv) == "1" {
		os.Exit(queries.EngineMain(os.Args[1:]))
	}
	pgtest.Main(m)
}

// testSchema is the DDL the sqlc engine reads; testCatalog gives the scope
// of each of its objects, as schema.Load would from annotations.
const testSchema = `
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE "Audit" (id bigint PRIMARY KEY, msg text NOT NULL);
CREATE SEQUENCE invoice_seq;
CREATE TYPE money_amount AS (amount numeric, currency text);
CREATE FUNCTION plan_label(p_id bigint) RETURNS text LANGUAGE sql AS $$ SELECT 'plan ' || p_id::text $$;

CREATE TYPE ticket_status AS ENUM ('open', 'closed');
CREATE SEQUENCE ticket_seq;
CREATE TABLE tickets (
  id bigint PRIMARY KEY DEFAULT nextval('ticket_seq'),
  plan_id bigint REFERENCES plans (id),
  title text NOT NULL,
  status ticket_status NOT NULL DEFAULT 'open'
);
CREATE TABLE comments (id bigint PRIMARY KEY, ticket_id bigint NOT NULL REFERENCES tickets (id), body text NOT NULL);
CREATE VIEW open_tickets AS SELECT id, title FROM tickets WHERE status = 'open';
CREATE FUNCTION ticket_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM tickets $$;
`

func testCatalog(t *testing.T, dir string) *schema.Catalog {
	t.Helper()
	obj := func(name string, kind schema.Kind, scope schema.Scope) *schema.Object {
		return &schema.Object{Name: name, Kind: kind, Scope: scope}
	}
	cat, err := schema.NewCatalog(
		obj("plans", schema.Table, schema.Shared),
		obj("Audit", schema.Table, schema.Shared),
		obj("invoice_seq", schema.Sequence, schema.Shared),
		obj("money_amount", schema.Composite, schema.Shared),
		obj("plan_label", schema.Function, schema.Shared),
		obj("ticket_status", schema.Enum, schema.Tenant),
		obj("ticket_seq", schema.Sequence, schema.Tenant),
		obj("tickets", schema.Table, schema.Tenant),
		obj("comments", schema.Table, schema.Tenant),
		obj("open_tickets", schema.View, schema.Tenant),
		obj("ticket_count", schema.Function, schema.Tenant),
	)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "schema.sql")
	if err := os.WriteFile(path, []byte(testSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	cat.Files = []string{path}
	return cat
}

// analyze writes files (name → contents) under queries/ in a fresh
// directory and analyzes them against the test catalog.
func analyze(t *testing.T, files map[string]string, edits ...func(*config.Config)) (*queries.Result, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "queries"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, "queries", name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Path = filepath.Join(dir, config.FileName)
	cfg.Dir = dir
	for _, edit := range edits {
		edit(&cfg)
	}
	return queries.Analyze(context.Background(), &cfg, testCatalog(t, dir), queries.WithEngine(queries.TestEngine()))
}

func TestAnalyzeReferences(t *testing.T) {
	tests := []struct {
		name  string
		query string // the statement after "-- name: <name> :<cmd>"
		cmd   string // default :exec
		scope schema.Scope
		// want is the SQL with the tenant references substituted with "t1".
		want string
	}{
		{
			name:  "SharedSelect",
			cmd:   ":many",
			query: "SELECT id, name FROM plans WHERE id = $1;",
			scope: schema.Shared,
			want:  `SELECT id, name FROM "public".plans WHERE id = $1`,
		},
		{
			name:  "SharedAlreadyQualified",
			cmd:   ":many",
			query: "SELECT id, name FROM public.plans;",
			scope: schema.Shared,
			want:  `SELECT id, name FROM public.plans`,
		},
		{
			name:  "TenantSelect",
			cmd:   ":one",
			query: "SELECT id, title FROM tickets WHERE id = $1;",
			scope: schema.Tenant,
			want:  `SELECT id, title FROM "t1".tickets WHERE id = $1`,
		},
		{
			name:  "Join",
			cmd:   ":many",
			query: "SELECT t.id, p.name FROM tickets t JOIN plans p ON p.id = t.plan_id LEFT JOIN comments c ON c.ticket_id = t.id;",
			scope: schema.Tenant,
			want:  `SELECT t.id, p.name FROM "t1".tickets t JOIN "public".plans p ON p.id = t.plan_id LEFT JOIN "t1".comments c ON c.ticket_id = t.id`,
		},
		{
			name:  "Subquery",
			cmd:   ":many",
			query: "SELECT id FROM plans WHERE id IN (SELECT plan_id FROM tickets);",
			scope: schema.Tenant,
			want:  `SELECT id FROM "public".plans WHERE id IN (SELECT plan_id FROM "t1".tickets)`,
		},
		{
			name:  "ScalarSubqueryInSelectList",
			cmd:   ":many",
			query: "SELECT p.id, (SELECT count(*) FROM tickets t WHERE t.plan_id = p.id) AS n FROM plans p;",
			scope: schema.Tenant,
			want:  `SELECT p.id, (SELECT count(*) FROM "t1".tickets t WHERE t.plan_id = p.id) AS n FROM "public".plans p`,
		},
		{
			name:  "CTE",
			cmd:   ":many",
			query: "WITH open AS (SELECT id FROM tickets WHERE status = 'open') SELECT id FROM open;",
			scope: schema.Tenant,
			want:  `WITH open AS (SELECT id FROM "t1".tickets WHERE status = 'open') SELECT id FROM open`,
		},
		{
			name:  "CTEShadowsTenantTable",
			cmd:   ":many",
			query: "WITH tickets AS (SELECT id FROM plans) SELECT id FROM tickets;",
			scope: schema.Shared,
			want:  `WITH tickets AS (SELECT id FROM "public".plans) SELECT id FROM tickets`,
		},
		{
			name:  "CTEDoesNotShadowItsOwnBody",
			cmd:   ":many",
			query: "WITH tickets AS (SELECT id FROM tickets) SELECT id FROM tickets;",
			scope: schema.Tenant,
			want:  `WITH tickets AS (SELECT id FROM "t1".tickets) SELECT id FROM tickets`,
		},
		{
			name:  "RecursiveCTE",
			cmd:   ":many",
			query: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n;",
			scope: schema.Shared,
			want:  `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n`,
		},
		{
			name:  "CTEDoesNotShadowInsertTarget",
			query: "WITH tickets AS (SELECT $1::bigint AS id) INSERT INTO tickets (id, title) SELECT id, 'x' FROM tickets;",
			scope: schema.Tenant,
			want:  `WITH tickets AS (SELECT $1::bigint AS id) INSERT INTO "t1".tickets (id, title) SELECT id, 'x' FROM tickets`,
		},
		{
			name:  "QuotedMixedCase",
			cmd:   ":many",
			query: `SELECT id, msg FROM "Audit";`,
			scope: schema.Shared,
			want:  `SELECT id, msg FROM "public"."Audit"`,
		},
		{
			name:  "UnquotedFoldsToLowerCase",
			cmd:   ":many",
			query: `SELECT id FROM TICKETS;`,
			scope: schema.Tenant,
			want:  `SELECT id FROM "t1".TICKETS`,
		},
		{
			name:  "InsertSelect",
			query: "INSERT INTO comments (id, ticket_id, body) SELECT $1, id, $2 FROM tickets WHERE plan_id IN (SELECT id FROM plans);",
			scope: schema.Tenant,
			want:  `INSERT INTO "t1".comments (id, ticket_id, body) SELECT $1, id, $2 FROM "t1".tickets WHERE plan_id IN (SELECT id FROM "public".plans)`,
		},
		{
			name:  "InsertOnConflictReturningSubquery",
			cmd:   ":one",
			query: "INSERT INTO tickets (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = (SELECT name FROM plans LIMIT 1) RETURNING id, (SELECT count(*) FROM comments) AS n;",
			scope: schema.Tenant,
			want:  `INSERT INTO "t1".tickets (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = (SELECT name FROM "public".plans LIMIT 1) RETURNING id, (SELECT count(*) FROM "t1".comments) AS n`,
		},
		{
			name:  "UpdateFrom",
			cmd:   ":execrows",
			query: "UPDATE tickets SET title = p.name FROM plans p WHERE p.id = tickets.plan_id;",
			scope: schema.Tenant,
			want:  `UPDATE "t1".tickets SET title = p.name FROM "public".plans p WHERE p.id = tickets.plan_id`,
		},
		{
			name:  "UpdateSharedFromTenant",
			cmd:   ":execresult",
			query: "UPDATE plans SET name = 'x' FROM tickets t WHERE t.plan_id = plans.id;",
			scope: schema.Tenant,
			want:  `UPDATE "public".plans SET name = 'x' FROM "t1".tickets t WHERE t.plan_id = plans.id`,
		},
		{
			name:  "DeleteUsing",
			cmd:   ":execrows",
			query: "DELETE FROM comments USING tickets t WHERE t.id = comments.ticket_id AND t.status = 'closed';",
			scope: schema.Tenant,
			want:  `DELETE FROM "t1".comments USING "t1".tickets t WHERE t.id = comments.ticket_id AND t.status = 'closed'`,
		},
		{
			name:  "DeleteShared",
			query: "DELETE FROM plans WHERE id = $1;",
			scope: schema.Shared,
			want:  `DELETE FROM "public".plans WHERE id = $1`,
		},
		{
			name:  "View",
			cmd:   ":many",
			query: "SELECT id, title FROM open_tickets;",
			scope: schema.Tenant,
			want:  `SELECT id, title FROM "t1".open_tickets`,
		},
		{
			name:  "CastEnum",
			cmd:   ":many",
			query: "SELECT id FROM plans WHERE $1::ticket_status = 'open';",
			scope: schema.Tenant,
			want:  `SELECT id FROM "public".plans WHERE $1::"t1".ticket_status = 'open'`,
		},
		{
			name:  "CastFunctionSyntaxAndArray",
			cmd:   ":many",
			query: "SELECT id FROM plans WHERE CAST($1 AS ticket_status) = ANY($2::ticket_status[]);",
			scope: schema.Tenant,
			want:  `SELECT id FROM "public".plans WHERE CAST($1 AS "t1".ticket_status) = ANY($2::"t1".ticket_status[])`,
		},
		{
			name:  "CastSharedComposite",
			cmd:   ":one",
			query: "SELECT ($1::money_amount).amount;",
			scope: schema.Shared,
			want:  `SELECT ($1::"public".money_amount).amount`,
		},
		{
			name:  "BuiltinCastsAreNotReferences",
			cmd:   ":one",
			query: "SELECT $1::int, $2::text[], now()::timestamptz, count(*)::bigint FROM plans;",
			scope: schema.Shared,
			want:  `SELECT $1::int, $2::text[], now()::timestamptz, count(*)::bigint FROM "public".plans`,
		},
		{
			name:  "TenantFunction",
			cmd:   ":one",
			query: "SELECT ticket_count();",
			scope: schema.Tenant,
			want:  `SELECT "t1".ticket_count()`,
		},
		{
			name:  "FunctionInFrom",
			cmd:   ":one",
			query: "SELECT n FROM ticket_count() AS n;",
			scope: schema.Tenant,
			want:  `SELECT n FROM "t1".ticket_count() AS n`,
		},
		{
			name:  "UnionExistsLateral",
			cmd:   ":many",
			query: "SELECT p.id FROM plans p WHERE EXISTS (SELECT 1 FROM comments) UNION SELECT l.id FROM plans q, LATERAL (SELECT id FROM tickets WHERE plan_id = q.id) l;",
			scope: schema.Tenant,
			want:  `SELECT p.id FROM "public".plans p WHERE EXISTS (SELECT 1 FROM "t1".comments) UNION SELECT l.id FROM "public".plans q, LATERAL (SELECT id FROM "t1".tickets WHERE plan_id = q.id) l`,
		},
		{
			name:  "LaterCTEDoesNotShadowEarlierOne",
			cmd:   ":many",
			query: "WITH a AS (SELECT id FROM tickets), tickets AS (SELECT id FROM plans) SELECT id FROM a WHERE id IN (SELECT id FROM tickets);",
			scope: schema.Tenant,
			want:  `WITH a AS (SELECT id FROM "t1".tickets), tickets AS (SELECT id FROM "public".plans) SELECT id FROM a WHERE id IN (SELECT id FROM tickets)`,
		},
		{
			name:  "SharedFunction",
			cmd:   ":one",
			query: "SELECT plan_label($1);",
			scope: schema.Shared,
			want:  `SELECT "public".plan_label($1)`,
		},
		{
			name:  "TenantNextval",
			cmd:   ":one",
			query: "SELECT nextval('ticket_seq');",
			scope: schema.Tenant,
			want:  `SELECT nextval('"t1".ticket_seq')`,
		},
		{
			name:  "SequenceFunctions",
			cmd:   ":one",
			query: "SELECT currval('ticket_seq'), setval('invoice_seq', 10), pg_catalog.nextval('ticket_seq'::regclass), nextval('public.invoice_seq');",
			scope: schema.Tenant,
			want:  `SELECT currval('"t1".ticket_seq'), setval('"public".invoice_seq', 10), pg_catalog.nextval('"t1".ticket_seq'::regclass), nextval('public.invoice_seq')`,
		},
		{
			name:  "EscapeStringLiteral",
			cmd:   ":one",
			query: "SELECT nextval(E'ticket_seq');",
			scope: schema.Tenant,
			want:  `SELECT nextval(E'"t1".ticket_seq')`,
		},
		{
			name:  "CommentsAndLines",
			cmd:   ":one",
			query: "-- GetOpen returns a ticket.\nSELECT id -- the id\n  FROM   tickets /* tenant */\n WHERE id = $1;",
			scope: schema.Tenant,
			want:  "SELECT id -- the id\n  FROM   \"t1\".tickets /* tenant */\n WHERE id = $1",
		},
		{
			name:  "NameNotInCatalog",
			cmd:   ":one",
			query: `SELECT nextval('other_seq'), lower('Tickets'), 'tickets' AS tickets;`,
			scope: schema.Shared,
			want:  `SELECT nextval('other_seq'), lower('Tickets'), 'tickets' AS tickets`,
		},
		{
			name:  "CopyFrom",
			cmd:   ":copyfrom",
			query: "INSERT INTO tickets (id, title, status) VALUES ($1, $2, $3);",
			scope: schema.Tenant,
			want:  `INSERT INTO "t1".tickets (id, title, status) VALUES ($1, $2, $3)`,
		},
		{
			name:  "BatchExec",
			cmd:   ":batchexec",
			query: "UPDATE tickets SET status = $2 WHERE id = $1;",
			scope: schema.Tenant,
			want:  `UPDATE "t1".tickets SET status = $2 WHERE id = $1`,
		},
		{
			name:  "BatchMany",
			cmd:   ":batchmany",
			query: "SELECT id, title FROM tickets WHERE plan_id = $1;",
			scope: schema.Tenant,
			want:  `SELECT id, title FROM "t1".tickets WHERE plan_id = $1`,
		},
		{
			name:  "BatchOne",
			cmd:   ":batchone",
			query: "SELECT id, name FROM plans WHERE id = $1;",
			scope: schema.Shared,
			want:  `SELECT id, name FROM "public".plans WHERE id = $1`,
		},
		{
			name:  "AtName",
			cmd:   ":many",
			query: "SELECT id FROM tickets WHERE plan_id = @plan_id AND status = @status;",
			scope: schema.Tenant,
			want:  `SELECT id FROM "t1".tickets WHERE plan_id = $1 AND status = $2`,
		},
		{
			name:  "SqlcArgNarg",
			cmd:   ":many",
			query: "SELECT id FROM tickets WHERE plan_id = sqlc.arg(plan)::bigint AND title = coalesce(sqlc.narg(title), title);",
			scope: schema.Tenant,
			want:  `SELECT id FROM "t1".tickets WHERE plan_id = $1::bigint AND title = coalesce($2, title)`,
		},
		{
			name:  "SqlcSlice",
			cmd:   ":many",
			query: "SELECT id FROM tickets WHERE id IN (sqlc.slice(ids));",
			scope: schema.Tenant,
			want:  `SELECT id FROM "t1".tickets WHERE id IN ($1)`,
		},
		{
			name:  "SqlcEmbed",
			cmd:   ":many",
			query: "SELECT sqlc.embed(tickets), sqlc.embed(plans) FROM tickets JOIN plans ON plans.id = tickets.plan_id;",
			scope: schema.Tenant,
			want:  `SELECT tickets.id, tickets.plan_id, tickets.title, tickets.status, plans.id, plans.name FROM "t1".tickets JOIN "public".plans ON plans.id = tickets.plan_id`,
		},
		{
			name:  "StarExpansion",
			cmd:   ":many",
			query: "SELECT * FROM tickets;",
			scope: schema.Tenant,
			want:  `SELECT id, plan_id, title, status FROM "t1".tickets`,
		},
		{
			name:  "RowTypeCast",
			cmd:   ":many",
			query: "SELECT id FROM plans WHERE $1::tickets IS NOT NULL;",
			scope: schema.Tenant,
			want:  `SELECT id FROM "public".plans WHERE $1::"t1".tickets IS NOT NULL`,
		},
	}

	var src strings.Builder
	pos := map[string]position.Pos{}
	for _, tt := range tests {
		cmd := tt.cmd
		if cmd == "" {
			cmd = ":exec"
		}
		pos[tt.name] = position.Pos{File: "queries/all.sql", Line: strings.Count(src.String(), "\n") + 1, Col: len("-- name: ") + 1}
		src.WriteString("-- name: " + tt.name + " " + cmd + "\n" + tt.query + "\n\n")
	}
	res, err := analyze(t, map[string]string{"all.sql": src.String()})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	got := map[string]*queries.Query{}
	for _, q := range res.Queries {
		got[q.Name] = q
	}
	if len(res.Queries) != len(tests) {
		t.Errorf("got %d queries, want %d", len(res.Queries), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := got[tt.name]
			if q == nil {
				t.Fatalf("query %s missing", tt.name)
			}
			if q.Scope != tt.scope {
				t.Errorf("Scope = %v, want %v", q.Scope, tt.scope)
			}
			if diff := cmp.Diff(tt.want, q.SQLFor(`"t1".`)); diff != "" {
				t.Errorf("SQLFor (-want +got):\n%s", diff)
			}
			if q.Pos != pos[tt.name] {
				t.Errorf("Pos = %v, want %v", q.Pos, pos[tt.name])
			}
			if q.Scope == schema.Shared && len(q.TenantRefs) > 0 {
				t.Errorf("shared query has TenantRefs %v", q.TenantRefs)
			}
			for _, off := range q.TenantRefs {
				if off < 0 || off > len(q.SQL) {
					t.Errorf("TenantRef %d outside SQL of %d bytes", off, len(q.SQL))
				}
			}
		})
	}
}

func TestAnalyzeCommentsKept(t *testing.T) {
	res, err := analyze(t, map[string]string{"q.sql": "-- name: GetOpen :one\n-- GetOpen returns a ticket.\nSELECT id FROM tickets WHERE id = $1;\n"})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if diff := cmp.Diff([]string{" GetOpen returns a ticket."}, res.Queries[0].Comments); diff != "" {
		t.Errorf("Comments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{15}, res.Queries[0].TenantRefs); diff != "" {
		t.Errorf("TenantRefs (-want +got):\n%s", diff)
	}
}

func TestAnalyzeBlockNameComment(t *testing.T) {
	res, err := analyze(t, map[string]string{"q.sql": "/* name: A :one */\nSELECT id FROM tickets;\n/* name: B :many */\nSELECT id FROM plans;\n"})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	var got []string
	for _, q := range res.Queries {
		got = append(got, q.Name+" "+q.Cmd+" "+q.Pos.String()+" "+q.SQLFor(`"t1".`))
	}
	want := []string{
		`A :one queries/q.sql:1:10 SELECT id FROM "t1".tickets`,
		`B :many queries/q.sql:3:10 SELECT id FROM "public".plans`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}

func TestAnalyzeSharedSchema(t *testing.T) {
	app := func(c *config.Config) { c.SharedSchema = "app" }
	res, err := analyze(t, map[string]string{"q.sql": "-- name: A :one\nSELECT p.id, nextval('invoice_seq') FROM plans p JOIN tickets t ON t.plan_id = p.id;\n"}, app)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	want := `SELECT p.id, nextval('"app".invoice_seq') FROM "app".plans p JOIN "t1".tickets t ON t.plan_id = p.id`
	if diff := cmp.Diff(want, res.Queries[0].SQLFor(`"t1".`)); diff != "" {
		t.Errorf("SQLFor (-want +got):\n%s", diff)
	}

	_, err = analyze(t, map[string]string{"q.sql": "-- name: A :many\nSELECT id FROM public.plans;\n"}, app)
	wantErr := `queries/q.sql:2:16: shared table "plans" is qualified with schema "public", but shared objects live in "app"`
	if err == nil || err.Error() != wantErr {
		t.Errorf("Analyze error = %v, want %s", err, wantErr)
	}
}

func TestAnalyzeCatalog(t *testing.T) {
	res, err := analyze(t, map[string]string{"q.sql": "-- name: One :one\nSELECT 1;\n"})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	var names []string
	tables := map[string]bool{}
	enums := map[string]bool{}
	for _, s := range res.Catalog.Schemas {
		names = append(names, s.Name)
		for _, tb := range s.Tables {
			tables[tb.Rel.Name] = true
		}
		for _, e := range s.Enums {
			enums[e.Name] = true
		}
	}
	if diff := cmp.Diff([]string{"public"}, names); diff != "" {
		t.Errorf("catalog schemas (-want +got):\n%s", diff)
	}
	for _, tb := range []string{"plans", "Audit", "tickets", "comments"} {
		if !tables[tb] {
			t.Errorf("catalog lacks table %q", tb)
		}
	}
	if !enums["ticket_status"] {
		t.Errorf("catalog lacks enum ticket_status")
	}
}

func TestAnalyzeNoQueries(t *testing.T) {
	res, err := analyze(t, map[string]string{"empty.sql": "-- nothing yet\n"})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if len(res.Queries) != 0 {
		t.Errorf("got %d queries, want none", len(res.Queries))
	}
	if res.Catalog == nil || len(res.Catalog.Schemas) != 1 || len(res.Catalog.Schemas[0].Tables) == 0 {
		t.Errorf("no engine catalog without queries: %+v", res.Catalog)
	}
}

// TestAnalyzeNeedsEngine checks that Analyze runs no binary it was not
// given: without WithEngine it fails with ErrNoEngine instead of
// re-executing the calling program.
func TestAnalyzeNeedsEngine(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Path = filepath.Join(dir, config.FileName)
	cfg.Dir = dir
	for _, opts := range [][]queries.Option{nil, {queries.WithEngine(queries.Engine{})}} {
		if _, err := queries.Analyze(context.Background(), &cfg, testCatalog(t, dir), opts...); !errors.Is(err, queries.ErrNoEngine) {
			t.Errorf("Analyze with options %v: err = %v, want ErrNoEngine", opts, err)
		}
	}
}

func TestSQLFor(t *testing.T) {
	q := &queries.Query{SQL: "SELECT a FROM t JOIN u ON true", TenantRefs: []int{14, 21}}
	if diff := cmp.Diff(`SELECT a FROM "x".t JOIN "x".u ON true`, q.SQLFor(`"x".`)); diff != "" {
		t.Errorf("SQLFor (-want +got):\n%s", diff)
	}
	q = &queries.Query{SQL: "SELECT 1"}
	if got := q.SQLFor(`"x".`); got != "SELECT 1" {
		t.Errorf("SQLFor without refs = %q", got)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name:  "MissingName",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT 1;\n\n-- a comment\nSELECT 2;\n"},
			want:  "queries/a.sql:5:1: statement has no -- name: comment (sqlc would skip it silently)",
		},
		{
			name:  "IndentedName",
			files: map[string]string{"a.sql": "  -- name: A :one\nSELECT 1;\n"},
			want:  "queries/a.sql:1:3: the -- name: comment must start its line, or sqlc ignores it",
		},
		{
			name:  "UnknownCommand",
			files: map[string]string{"a.sql": "-- name: A :first\nSELECT 1;\n"},
			want:  "queries/a.sql:1:12: unknown query command \":first\"; want one of :one :many :exec :execrows :execresult :copyfrom :batchexec :batchmany :batchone",
		},
		{
			name:  "ExecLastID",
			files: map[string]string{"a.sql": "-- name: CreatePlan :execlastid\nINSERT INTO plans (id, name) VALUES ($1, $2);\n"},
			want:  "queries/a.sql:1:21: :execlastid is MySQL/SQLite only in sqlc; use :one with RETURNING",
		},
		{
			name:  "MissingCommand",
			files: map[string]string{"a.sql": "-- name: A\nSELECT 1;\n"},
			want:  "queries/a.sql:1:10: query \"A\" has no command; want one of :one :many :exec :execrows :execresult :copyfrom :batchexec :batchmany :batchone",
		},
		{
			name:  "MalformedComment",
			files: map[string]string{"a.sql": "--name: A :one\nSELECT 1;\n"},
			want:  "queries/a.sql:1:1: malformed query comment; want \"-- name: Name :command\"",
		},
		{
			// sqlc reads the whole line, so SQL after a /* name: */
			// comment makes it malformed.
			name:  "BlockCommentNotAlone",
			files: map[string]string{"a.sql": "/* name: A :one */ SELECT 1;\n"},
			want:  "queries/a.sql:1:1: malformed query comment; want \"-- name: Name :command\"",
		},
		{
			// After a ";" on the same line, sqlc's text starts with a
			// space, so the comment is not at the start of its line.
			name:  "NameAfterSemicolon",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT 1; -- name: B :one\nSELECT 2;\n"},
			want:  "queries/a.sql:2:11: the -- name: comment must start its line, or sqlc ignores it",
		},
		{
			name:  "NotGoIdentifier",
			files: map[string]string{"a.sql": "-- name: 2Fast :one\nSELECT 1;\n"},
			want:  "queries/a.sql:1:10: query name \"2Fast\" is not a Go identifier",
		},
		{
			name: "DuplicateAcrossFiles",
			files: map[string]string{
				"a.sql": "-- name: GetPlan :one\nSELECT id FROM plans WHERE id = $1;\n",
				"b.sql": "\n-- name: GetPlan :one\nSELECT name FROM plans WHERE id = $1;\n",
			},
			want: "queries/b.sql:2:10: query \"GetPlan\" is already declared at queries/a.sql:1:10",
		},
		{
			name:  "NameWithoutStatement",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT 1;\n-- name: B :one\n"},
			want:  "queries/a.sql:3:10: query \"B\" has no statement",
		},
		{
			name:  "MissingSemicolon",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT 1\n"},
			want:  "queries/a.sql:2:9: missing semicolon at the end of the statement",
		},
		{
			name:  "QualifiedTenantTable",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT t.id FROM plans p JOIN public.tickets t ON t.plan_id = p.id;\n"},
			want:  "queries/a.sql:2:31: tenant table \"tickets\" must not be schema-qualified; tenantc qualifies it with the tenant's schema",
		},
		{
			name:  "QualifiedTenantTypeFunctionSequence",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT $1::public.ticket_status, tenant_1.ticket_count(), nextval('public.ticket_seq');\n"},
			want: "queries/a.sql:2:12: tenant enum \"ticket_status\" must not be schema-qualified; tenantc qualifies it with the tenant's schema\n" +
				"queries/a.sql:2:34: tenant function \"ticket_count\" must not be schema-qualified; tenantc qualifies it with the tenant's schema\n" +
				"queries/a.sql:2:68: tenant sequence \"ticket_seq\" must not be schema-qualified; tenantc qualifies it with the tenant's schema",
		},
		{
			name:  "QualifiedTenantUpdateTarget",
			files: map[string]string{"a.sql": "-- name: A :exec\nUPDATE public.tickets SET title = $1;\n"},
			want:  "queries/a.sql:2:8: tenant table \"tickets\" must not be schema-qualified; tenantc qualifies it with the tenant's schema",
		},
		{
			name:  "SharedTableInOtherSchema",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM app.plans;\n"},
			want:  "queries/a.sql:2:16: shared table \"plans\" is qualified with schema \"app\", but shared objects live in \"public\"",
		},
		{
			name:  "SetSearchPath",
			files: map[string]string{"a.sql": "-- name: A :exec\nSET search_path TO tenant_1;\n"},
			want:  "queries/a.sql:2:5: query changes search_path; tenantc qualifies each tenant reference in the SQL text instead",
		},
		{
			name:  "SetLocalSearchPath",
			files: map[string]string{"a.sql": "-- name: A :exec\nSET LOCAL search_path = tenant_1, public;\n"},
			want:  "queries/a.sql:2:11: query changes search_path; tenantc qualifies each tenant reference in the SQL text instead",
		},
		{
			name:  "ResetSearchPath",
			files: map[string]string{"a.sql": "-- name: A :exec\nRESET search_path;\n"},
			want:  "queries/a.sql:2:7: query changes search_path; tenantc qualifies each tenant reference in the SQL text instead",
		},
		{
			name:  "SetSchema",
			files: map[string]string{"a.sql": "-- name: A :exec\nSET SCHEMA 'tenant_1';\n"},
			want:  "queries/a.sql:2:1: query changes search_path; tenantc qualifies each tenant reference in the SQL text instead",
		},
		{
			name:  "SetConfig",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT set_config('search_path', $1, true);\n"},
			want:  "queries/a.sql:2:19: query changes search_path; tenantc qualifies each tenant reference in the SQL text instead",
		},
		{
			name:  "ResetAll",
			files: map[string]string{"a.sql": "-- name: A :exec\nRESET ALL;\n"},
			want:  "queries/a.sql:2:1: query changes search_path; tenantc qualifies each tenant reference in the SQL text instead",
		},
		{
			name:  "DollarQuotedSequence",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT nextval($$ticket_seq$$);\n"},
			want:  "queries/a.sql:2:16: write the name of tenant sequence \"ticket_seq\" as a plain '...' string literal so that tenantc can qualify it",
		},
		{
			name:  "SyntaxError",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT 'é' FORM plans;\n"},
			want:  "queries/a.sql:2:18: syntax error at or near \"plans\"",
		},
		{
			name:  "UnterminatedString",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT 'abc;\n"},
			want:  "queries/a.sql:2:8: unterminated quoted string at or near \"'abc;\n\"",
		},
		{
			name: "AllErrorsSorted",
			files: map[string]string{
				"b.sql": "-- name: B :one\nSELECT FROM WHERE;\n\nSELECT 1;\n\n-- name: C :bad\nSELECT 1;\n",
				"a.sql": "-- name: A :exec\nDELETE FROM public.comments;\n",
			},
			want: "queries/a.sql:2:13: tenant table \"comments\" must not be schema-qualified; tenantc qualifies it with the tenant's schema\n" +
				"queries/b.sql:2:13: syntax error at or near \"WHERE\"\n" +
				"queries/b.sql:4:1: statement has no -- name: comment (sqlc would skip it silently)\n" +
				"queries/b.sql:6:12: unknown query command \":bad\"; want one of :one :many :exec :execrows :execresult :copyfrom :batchexec :batchmany :batchone",
		},
		{
			name:  "SqlcEngineError",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT id FROM plans;\n\n-- name: B :many\nSELECT nope FROM plans;\n"},
			want:  "queries/a.sql:5:8: column \"nope\" does not exist",
		},
		{
			name:  "CopyFromNeedsInsert",
			files: map[string]string{"a.sql": "-- name: A :copyfrom\nSELECT id FROM tickets;\n"},
			want:  "queries/a.sql:2:1: :copyfrom requires an INSERT INTO statement",
		},
		{
			name:  "SqlcErrorInFirstStatement",
			files: map[string]string{"a.sql": "-- name: A :one\n-- Doc.\n  SELECT nope FROM plans;\n"},
			want:  "queries/a.sql:3:10: column \"nope\" does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := analyze(t, tt.files)
			if err == nil {
				t.Fatalf("Analyze succeeded with %d queries, want errors", len(res.Queries))
			}
			if position.AsList(err) == nil {
				t.Errorf("error %T carries no positions", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
