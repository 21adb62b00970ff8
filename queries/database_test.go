package queries_test

import (
	"strings"
	"testing"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/queries"
)

// TestAnalyzeWithDatabase checks sqlc's database-backed analysis: with
// database.uri set, PostgreSQL types the queries and reports what the
// catalog alone lets through.
func TestAnalyzeWithDatabase(t *testing.T) {
	uri := pgtest.NewDatabase(t)
	withDB := func(c *config.Config) { c.Database.URI = uri }
	files := map[string]string{"a.sql": "-- name: Total :one\nSELECT sum(plan_id) AS total FROM tickets;\n"}

	typeOf := func(res *queries.Result) string {
		c := res.Queries[0].Columns[0]
		return c.Type.Schema + "." + c.Type.Name
	}
	res, err := analyze(t, files, withDB)
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL's sum(bigint) is numeric.
	if got := typeOf(res); !strings.HasSuffix(got, "numeric") {
		t.Errorf("sum(bigint) with the database: type %s, want numeric", got)
	}
	// analyzer.database: false keeps the catalog-only analysis.
	res, err = analyze(t, files, withDB, func(c *config.Config) { c.Analyzer.Database = "false" })
	if err != nil {
		t.Fatal(err)
	}
	if got := typeOf(res); strings.HasSuffix(got, "numeric") {
		t.Errorf("analyzer.database: false still typed sum(bigint) as %s", got)
	}

	_, err = analyze(t, map[string]string{"b.sql": "-- name: Bad :many\nSELECT t.id FROM plans;\n"}, withDB)
	if err == nil || !strings.Contains(err.Error(), `missing FROM-clause entry for table "t"`) {
		t.Errorf("error = %v, want PostgreSQL's missing FROM-clause entry", err)
	}
}

func TestAnalyzeWithDatabaseUnsetURI(t *testing.T) {
	_, err := analyze(t, map[string]string{"a.sql": "-- name: A :one\nSELECT 1;\n"}, func(c *config.Config) {
		c.Database.URI = "${TENANTC_TEST_UNSET_DATABASE_URL}"
	})
	want := `queries: database.uri "${TENANTC_TEST_UNSET_DATABASE_URL}" is empty once expanded: set the variable, or analyzer.database: false`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}
