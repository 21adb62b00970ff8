package sqlref_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/schema"
)

func TestFind(t *testing.T) {
	cat, err := schema.NewCatalog(
		&schema.Object{Name: "plans", Kind: schema.Table, Scope: schema.Shared},
		&schema.Object{Name: "tickets", Kind: schema.Table, Scope: schema.Tenant},
		&schema.Object{Name: "mood", Kind: schema.Enum, Scope: schema.Tenant},
		&schema.Object{Name: "score", Kind: schema.Function, Scope: schema.Shared},
	)
	if err != nil {
		t.Fatal(err)
	}
	sql := "SELECT 1 FROM public.plans, tickets; SELECT 1 FROM public.tickets; RESET ALL; SET search_path = x; " +
		"WITH tickets AS (SELECT 1) SELECT score(), 'x'::mood, nextval('tickets') FROM tickets, other.plans"
	refs, probs, err := sqlref.Find(cat, "public", sql)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Name      string
		Offset    int
		Qualified bool
	}
	var gotRefs []got
	for _, r := range refs {
		gotRefs = append(gotRefs, got{r.Object.Name, r.Offset, r.Qualified})
	}
	at := func(s string) int { return strings.Index(sql, s) }
	want := []got{
		{"plans", 14, true},
		{"tickets", 28, false},
		{"score", at("score()"), false},
		{"mood", at("mood"), false},
		{"tickets", at("tickets')"), false}, // not the WITH query in FROM
	}
	if diff := cmp.Diff(want, gotRefs); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if !sqlref.IsTenant(refs) || sqlref.IsTenant(refs[:1]) {
		t.Error("IsTenant is wrong")
	}
	wantProbs := []sqlref.Problem{
		{Offset: 51, Msg: `tenant table "tickets" must not be schema-qualified; tenantc qualifies it with the tenant's schema`},
		{Offset: 67, Msg: "query changes search_path; tenantc qualifies each tenant reference in the SQL text instead"},
		{Offset: 82, Msg: "query changes search_path; tenantc qualifies each tenant reference in the SQL text instead"},
		{Offset: at("other"), Msg: `shared table "plans" is qualified with schema "other", but shared objects live in "public"`},
	}
	if diff := cmp.Diff(wantProbs, probs); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if _, _, err := sqlref.Find(cat, "public", "SELECT FROM WHERE"); err == nil {
		t.Error("Find accepted a syntax error")
	}
}
