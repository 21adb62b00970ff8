package generator

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
)

// These tests feed Generate a hand-built analysis, for inputs the sqlc
// engine does not produce from a golden case.

func testConfig() *config.Config {
	c := config.Default()
	return &c
}

func textColumn(name string) *queries.Column {
	return &queries.Column{Name: name, NotNull: true, Type: &queries.Identifier{Name: "text"}}
}

func TestGenerateTenantRefsAndRawString(t *testing.T) {
	q := &queries.Query{
		Name:       "GetNote",
		Cmd:        ":one",
		SQL:        "SELECT body FROM notes\r\nWHERE body <> '`'",
		Columns:    []*queries.Column{textColumn("body")},
		File:       "queries/notes.sql",
		Scope:      schema.Tenant,
		TenantRefs: []int{17},
	}
	files, err := Generate(context.Background(), nil, &queries.Result{Queries: []*queries.Query{q}}, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	src := string(files["notes.sql.go"])
	for _, want := range []string{
		"// source: notes.sql\n",
		"const getNote = `-- name: GetNote :one\nSELECT body FROM notes` + \"\\r\" + `\nWHERE body <> '` + \"`\" + `'\n`",
		// 17 + len("-- name: GetNote :one\n")
		"var getNoteSQL = tenancy.NewSQL(getNote, 39 /* notes */)",
		"func (q *TenantQueries) GetNote(ctx context.Context) (string, error)",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("notes.sql.go lacks %q:\n%s", want, src)
		}
	}
	if !strings.Contains(string(files["db.go"]), "type TenantQueries struct") {
		t.Error("db.go lacks TenantQueries although a query is a tenant query")
	}
	if strings.Contains(src, "func (q *Queries) GetNote") {
		t.Error("tenant query is a method of Queries")
	}
}

func TestGenerateNoTenant(t *testing.T) {
	q := &queries.Query{Name: "Ping", Cmd: ":exec", SQL: "SELECT 1", File: "q.sql", Scope: schema.Shared}
	files, err := Generate(context.Background(), &schema.Catalog{}, &queries.Result{Queries: []*queries.Query{q}}, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if db := string(files["db.go"]); strings.Contains(db, "TenantQueries") || strings.Contains(db, "tenancy") {
		t.Errorf("db.go mentions tenants without tenant objects:\n%s", db)
	}
	if _, ok := files["batch.go"]; ok {
		t.Error("batch.go without batch queries")
	}
}

func TestGenerateErrors(t *testing.T) {
	pos := position.Pos{File: "q.sql", Line: 3, Col: 10}
	tests := []struct {
		name string
		q    *queries.Query
		want string
	}{
		{
			name: "unknown command",
			q:    &queries.Query{Name: "X", Cmd: ":execlastid", SQL: "SELECT 1", File: "q.sql", Pos: pos},
			want: "q.sql:3:10: query X: unsupported command :execlastid",
		},
		{
			name: "batch without parameters",
			q:    &queries.Query{Name: "X", Cmd: ":batchexec", SQL: "DELETE FROM t", File: "q.sql", Pos: pos},
			want: "q.sql:3:10: query X: :batchexec needs at least one parameter",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(context.Background(), nil, &queries.Result{Queries: []*queries.Query{tt.q}}, testConfig())
			if err == nil {
				t.Fatal("no error")
			}
			var list position.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v is not an position.ErrorList", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestGenerateCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, nil, &queries.Result{}, testConfig()); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// TestEnumInOtherSchema checks sqlc's naming of an enum outside the default
// schema (a pg_dump schema, or a database-backed analysis): the schema
// prefixes its Go name, and a nullable column takes the Null type.
func TestEnumInOtherSchema(t *testing.T) {
	id := func(schema, name string) *queries.Identifier { return &queries.Identifier{Schema: schema, Name: name} }
	res := &queries.Result{
		Catalog: &queries.Catalog{DefaultSchema: "public", Schemas: []*queries.Schema{
			{Name: "public"},
			{
				Name:           "audit",
				Enums:          []*queries.Enum{{Name: "level", Vals: []string{"low", "high"}}},
				CompositeTypes: []*queries.CompositeType{{Name: "pair"}},
				Tables: []*queries.Table{{Rel: id("audit", "entries"), Columns: []*queries.Column{
					{Name: "lvl", NotNull: true, Type: id("audit", "level")},
					{Name: "prev_lvl", Type: id("audit", "level")},
					{Name: "couple", Type: id("audit", "pair")},
					{Name: "other", Type: id("elsewhere", "level")},
				}}},
			},
		}},
	}
	files, err := Generate(context.Background(), nil, res, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	models := string(files["models.go"])
	for _, want := range []string{
		"type AuditLevel string",
		"AuditLevelLow  AuditLevel = \"low\"",
		"type NullAuditLevel struct",
		"type AuditEntry struct {\n\tLvl     AuditLevel\n\tPrevLvl NullAuditLevel\n\tCouple  sql.NullString\n\tOther   interface{}\n}",
	} {
		if !strings.Contains(models, want) {
			t.Errorf("models.go lacks %q:\n%s", want, models)
		}
	}
}

func TestNameAt(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		off  int
		want string
	}{
		{"identifier", "SELECT * FROM orders o", 14, "orders"},
		{"identifier at the end", "SELECT * FROM orders", 14, "orders"},
		{"quoted", `SELECT * FROM "Order Lines"`, 14, `"Order Lines"`},
		{"sequence literal", "SELECT nextval('order_seq')", 16, "order_seq"},
		{"comment closer in a quoted name", `SELECT * FROM "a*/b"`, 14, ""},
		{"unterminated quote", `SELECT * FROM "ab`, 14, ""},
		{"past the end", "SELECT 1", 20, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nameAt(tt.sql, tt.off); got != tt.want {
				t.Errorf("nameAt(%q, %d) = %q, want %q", tt.sql, tt.off, got, tt.want)
			}
		})
	}
}
