package queries_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
)

// TestAnalyzeEngineErrorPositions checks that errors from the sqlc engine
// point at the token they name, wherever sqlc placed them.
func TestAnalyzeEngineErrorPositions(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			// sqlc reports 1:1, the -- name: line.
			name:  "RelationInFirstStatement",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT * FROM nope;\n"},
			want:  `queries/a.sql:2:15: relation "nope" does not exist`,
		},
		{
			// sqlc reports the statement's first token.
			name:  "RelationInLaterStatement",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT 1;\n\n-- name: B :many\nSELECT id\nFROM plans\nJOIN nope ON true;\n"},
			want:  `queries/a.sql:7:6: relation "nope" does not exist`,
		},
		{
			name:  "RelationUnquotedFolds",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans JOIN NoPe ON true;\n"},
			want:  `queries/a.sql:2:27: relation "nope" does not exist`,
		},
		{
			// The alias nope is not the relation "Nope".
			name:  "RelationQuotedKeepsCase",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT 1 AS nope FROM \"Nope\";\n"},
			want:  `queries/a.sql:2:23: relation "Nope" does not exist`,
		},
		{
			name:  "RelationInSubquery",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans WHERE id IN (SELECT id FROM nope);\n"},
			want:  `queries/a.sql:2:50: relation "nope" does not exist`,
		},
		{
			// nope.id names the relation too, but as a qualifier; the
			// FROM item is the reference that fails.
			name:  "RelationInUpdateFrom",
			files: map[string]string{"a.sql": "-- name: A :exec\nUPDATE plans SET name = $1 FROM nope WHERE nope.id = plans.id;\n"},
			want:  `queries/a.sql:2:33: relation "nope" does not exist`,
		},
		{
			name:  "RelationInDeleteTarget",
			files: map[string]string{"a.sql": "-- name: A :exec\nDELETE FROM nope WHERE id = $1;\n"},
			want:  `queries/a.sql:2:13: relation "nope" does not exist`,
		},
		{
			// The -- name: comment and other comments are not tokens.
			name:  "NameInCommentIgnored",
			files: map[string]string{"a.sql": "-- name: A :many\n-- Reads nope.\nSELECT * /* nope */ FROM nope;\n"},
			want:  `queries/a.sql:3:26: relation "nope" does not exist`,
		},
		{
			name:  "EmbedUnknownTable",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT sqlc.embed(x) FROM plans;\n"},
			want:  `queries/a.sql:2:19: unable to resolve table with "sqlc.embed(x)": relation "x" does not exist`,
		},
		{
			// sqlc reports the start of the reference, p.
			name:  "QualifiedColumn",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT p.nope FROM plans p;\n"},
			want:  `queries/a.sql:2:10: column "nope" does not exist`,
		},
		{
			name:  "QualifiedColumnInWhere",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans p WHERE p.nope = $1;\n"},
			want:  `queries/a.sql:2:32: column "nope" does not exist`,
		},
		{
			name:  "ColumnAlreadyAtToken",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans\nWHERE\n  name = $1 AND\n  nope = $2;\n"},
			want:  `queries/a.sql:5:3: column "nope" does not exist`,
		},
		{
			name:  "ColumnQuoted",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans WHERE \"Nope\" = $1;\n"},
			want:  `queries/a.sql:2:28: column "Nope" does not exist`,
		},
		{
			name:  "ColumnOfRelation",
			files: map[string]string{"a.sql": "-- name: A :exec\nINSERT INTO plans (id, name) VALUES ($1, $2)\nON CONFLICT (id) DO UPDATE SET nope = 1;\n"},
			want:  `queries/a.sql:3:32: column "nope" of relation "plans" does not exist`,
		},
		{
			name:  "TableAlias",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans p WHERE x.id = $1;\n"},
			want:  `queries/a.sql:2:30: table alias "x" does not exist`,
		},
		{
			name:  "AmbiguousColumn",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT t.id FROM plans p JOIN tickets t ON true WHERE id = $1;\n"},
			want:  `queries/a.sql:2:55: column reference "id" is ambiguous`,
		},
		{
			// sqlc reports the statement start.
			name:  "OrderByColumnNotFound",
			files: map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans ORDER BY nope;\n"},
			want:  `queries/a.sql:2:31: column reference "nope" not found: if you want to skip this validation, set 'strict_order_by' to false`,
		},
		{
			name:  "FunctionWrongArguments",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT plan_label($1, $2);\n"},
			want:  `queries/a.sql:2:8: function plan_label(unknown, unknown) does not exist`,
		},
		{
			// sqlc reports the schema name.
			name:  "QualifiedFunction",
			files: map[string]string{"a.sql": "-- name: A :one\nSELECT public.plan_label($1, $2);\n"},
			want:  `queries/a.sql:2:15: function plan_label(unknown, unknown) does not exist`,
		},
		{
			// sqlc keeps each error in its own file, at the right line.
			name: "SeveralFiles",
			files: map[string]string{
				"a.sql": "-- name: A :one\nSELECT 1;\n\n-- name: B :exec\nSELECT * FROM nope;\n",
				"b.sql": "-- name: C :many\nSELECT *\nFROM nope2;\n\n-- name: D :exec\nSELECT id FROM plans WHERE nope3 = $1;\n",
				"c.sql": "\n\n-- name: E :many\nSELECT id FROM plans;\n\n-- name: F :many\nSELECT p.nope4 FROM plans p;\n",
			},
			want: `queries/a.sql:5:15: relation "nope" does not exist` + "\n" +
				`queries/b.sql:3:6: relation "nope2" does not exist` + "\n" +
				`queries/b.sql:6:28: column "nope3" does not exist` + "\n" +
				`queries/c.sql:7:10: column "nope4" does not exist`,
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

// TestAnalyzeSQLCSettings checks that sqlc's analysis settings, which
// sqlc's own messages name, reach the engine with sqlc's meaning.
func TestAnalyzeSQLCSettings(t *testing.T) {
	orderBy := map[string]string{"a.sql": "-- name: A :many\nSELECT id FROM plans ORDER BY nope;\n"}
	off := false
	if _, err := analyze(t, orderBy, func(c *config.Config) { c.StrictOrderBy = &off }); err != nil {
		t.Errorf("strict_order_by: false still rejects an unknown ORDER BY column: %v", err)
	}
	unknownFunc := map[string]string{"a.sql": "-- name: A :one\nSELECT no_such_function(1);\n"}
	if _, err := analyze(t, unknownFunc); err != nil {
		t.Errorf("unknown function rejected without strict_function_checks: %v", err)
	}
	_, err := analyze(t, unknownFunc, func(c *config.Config) { c.StrictFunctionChecks = true })
	want := `queries/a.sql:2:8: function "no_such_function" does not exist`
	if err == nil || err.Error() != want {
		t.Errorf("strict_function_checks: true: error = %v, want %s", err, want)
	}
}
