package queries

import (
	"testing"

	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
)

// TestLocate covers engine messages that the test schema cannot provoke
// through sqlc, with the position sqlc would give them.
func TestLocate(t *testing.T) {
	const src = "-- name: A :one\nSELECT 1;\n\n-- name: B :many\nSELECT $1::app.Money, x.id, nofn(2), \"We\"\"ird\".id\nFROM app.plans x;\n"
	tests := []struct {
		name      string
		line, col int
		msg       string
		want      string // line:col
	}{
		{"TypeQualified", 5, 1, `type "app.money" does not exist`, "5:16"},
		{"TypeBare", 5, 1, `type "money" does not exist`, "5:16"},
		{"Schema", 5, 1, `schema "app" does not exist`, "5:12"},
		{"FunctionQuoted", 5, 1, `function "nofn" does not exist`, "5:29"},
		{"FunctionNotFound", 5, 1, `function not found: nofn`, "5:29"},
		{"QuotedWithQuote", 5, 1, `table alias "We\"ird" does not exist`, "5:38"},
		{"QualifiedRelation", 5, 1, `relation "app.plans" does not exist`, "6:10"},
		{"PrefersAfterOffset", 5, 30, `column "id" does not exist`, "5:48"},
		{"FirstInStatementWhenNoneAfter", 6, 1, `column "id" does not exist`, "5:25"},
		{"UnknownName", 5, 1, `column "nope" does not exist`, "5:1"},
		{"OtherMessage", 5, 1, `query "B" specifies parameter ":many" without containing a RETURNING clause`, "5:1"},
		{"OtherStatement", 2, 1, `column "id" does not exist`, "2:1"},
		{"AlreadyAtToken", 5, 48, `column "id" does not exist`, "5:48"},
	}
	cat, err := schema.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{cat: cat, shared: "public", starts: map[position.Pos]position.Pos{}, sources: map[string]*source{}}
	c.file(sqlpos.NewFile("q.sql", []byte(src)))
	s := c.sources["q.sql"]
	if s == nil {
		t.Fatal("checker kept no source for q.sql")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.locate(position.Pos{File: "q.sql", Line: tt.line, Col: tt.col}, tt.msg)
			if want := "q.sql:" + tt.want; got.String() != want {
				t.Errorf("locate = %s, want %s", got, want)
			}
		})
	}
}
