package sqlref

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitName(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"tickets_id_seq", []string{"tickets_id_seq"}},
		{"Tickets", []string{"tickets"}},
		{`"Tickets"`, []string{"Tickets"}},
		{" Public . SEQ ", []string{"public", "seq"}},
		{` public . "My""Seq" `, []string{"public", `My"Seq`}},
		{`db."S".t`, []string{"db", "S", "t"}},
		{"a.b.c", []string{"a", "b", "c"}},
		{"ÄB", []string{"Äb"}}, // ASCII letters only
		{"a.b.c.d", nil},
		{"123", nil}, // an OID
		{"", nil},
		{"a.", nil},
		{`""`, nil},
		{`"open`, nil},
		{"a b", nil},
	}
	for _, tt := range tests {
		got, ok := SplitName(tt.in)
		if ok != (tt.want != nil) || !cmp.Equal(got, tt.want) {
			t.Errorf("SplitName(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestIdentName(t *testing.T) {
	tests := map[string]string{
		"Tickets":    "tickets",
		`"Tickets"`:  "Tickets",
		`"a""b"`:     `a"b`,
		"name":       "name",
		"t$1":        "t$1",
		"1abc":       "",
		"'tickets'":  "",
		"ÜBER_table": "Über_table",
	}
	for in, want := range tests {
		if got := IdentName(in); got != want {
			t.Errorf("IdentName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", "AbC": "abc", "ÄBC": "Äbc", "": ""} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
