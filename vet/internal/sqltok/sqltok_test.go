package sqltok

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/tenancy"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []Token
	}{
		{"words fold", "SELECT Id", []Token{{Word, "select", 0}, {Word, "id", 7}}},
		{"quoted keeps case", `FROM "My ""T"""`, []Token{{Word, "from", 0}, {Quoted, `My "T"`, 5}}},
		{"strings", `'it''s' x`, []Token{{String, "it's", 0}, {Word, "x", 8}}},
		{"dollar quotes", "$f$ a ' b $f$ c", []Token{{String, " a ' b ", 0}, {Word, "c", 14}}},
		{"comments", "a -- b\n/* c */ d", []Token{{Word, "a", 0}, {Word, "d", 15}}},
		{"cast", "$1::Status", []Token{{Punct, "$", 0}, {Punct, "1", 1}, {Punct, "::", 2}, {Word, "status", 4}}},
		{"unterminated string", "'abc", []Token{{String, "abc", 0}}},
		{"escape string", `E'\'' x, 'a\' y`, []Token{{String, "'", 0}, {Word, "x", 6}, {Punct, ",", 7}, {String, `a\`, 9}, {Word, "y", 14}}},
		{"escape string lower case", `e'a\nb'`, []Token{{String, "a\nb", 0}}},
		{"word ending in e", `style'a\'`, []Token{{Word, "style", 0}, {String, `a\`, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Tokenize(tt.sql)); diff != "" {
				t.Errorf("Tokenize(%q) (-want +got):\n%s", tt.sql, diff)
			}
		})
	}
}

func TestUnmark(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		marks []int
	}{
		{"DELETE FROM {tickets}", "DELETE FROM tickets", []int{12}},
		{`SELECT {"Patients"}.id FROM {"Patients"}, {a}`, `SELECT "Patients".id FROM "Patients", a`, []int{7, 26, 38}},
		{`SELECT '{tickets}', "{x}" /* {y} */ FROM t`, `SELECT '{tickets}', "{x}" /* {y} */ FROM t`, nil},
		{"SELECT { tickets }", "SELECT { tickets }", nil},
	}
	for _, tt := range tests {
		got, marks := Unmark(tt.in)
		if got != tt.want || !cmp.Equal(marks, tt.marks) {
			t.Errorf("Unmark(%q) = %q, %v; want %q, %v", tt.in, got, marks, tt.want, tt.marks)
		}
	}
}

func TestFormatHoles(t *testing.T) {
	got := FormatHoles("SELECT %I.t, %1$s, %L, 100%%, %d")
	want := "SELECT tenantc_format_q1.t, tenantc_format_s2, tenantc_format_q3, 100%, %d"
	if got != want {
		t.Errorf("FormatHoles = %q, want %q", got, want)
	}
	args := []string{"tickets", "My T", "it's"}
	arg := func(i int) (string, bool) {
		if i < len(args) {
			return args[i], true
		}
		return "", false
	}
	got = Format("DELETE FROM %I, %2$I WHERE a = %3$L AND b = %s AND c = %L", arg) // %s takes the 4th
	want = `DELETE FROM tickets, "My T" WHERE a = 'it''s' AND b = tenantc_format_s4 AND c = tenantc_format_q5`
	if got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

// TestUnmarkMatchesRuntime checks that vet reads {name} marks as the
// runtime does: the same text once the braces are gone.
func TestUnmarkMatchesRuntime(t *testing.T) {
	for _, in := range []string{
		"DELETE FROM {tickets} WHERE id = $1",
		`SELECT '{1,2}'::int[], E'\'{x}', "{y}", $$ {z} $$, $q$ {w} $q$ /* {c} */ FROM {tickets} -- {d}`,
		`SELECT {"Patients"}.id FROM {"Patients"} JOIN plans ON true`,
		"SELECT $1::{ticket_status}, {ticket_count}()",
	} {
		s, err := tenancy.ParseSQL(in)
		if err != nil {
			t.Fatalf("ParseSQL(%q): %v", in, err)
		}
		if got, _ := Unmark(in); got != s.Text() {
			t.Errorf("Unmark(%q) = %q, runtime text %q", in, got, s.Text())
		}
	}
}
