package sqltok

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Tokenize(tt.sql)); diff != "" {
				t.Errorf("Tokenize(%q) (-want +got):\n%s", tt.sql, diff)
			}
		})
	}
}
