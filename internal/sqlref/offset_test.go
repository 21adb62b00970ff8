package sqlref

import (
	"errors"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func TestErrorOffset(t *testing.T) {
	// The cursor counts characters; "é" is two bytes.
	text := "SELECT 'é' FROM WHERE"
	_, err := pg_query.Parse(text)
	if err == nil {
		t.Fatal("no syntax error")
	}
	if got, want := ErrorOffset(text, -1, err), len("SELECT 'é' FROM "); got != want {
		t.Errorf("ErrorOffset = %d, want %d (at %q)", got, want, text[got:])
	}
	if got := ErrorMessage(err); got != `syntax error at or near "WHERE"` {
		t.Errorf("ErrorMessage = %q", got)
	}
	other := errors.New("boom")
	if got := ErrorOffset(text, 7, other); got != 7 {
		t.Errorf("ErrorOffset of a plain error = %d, want the fallback 7", got)
	}
	if got := ErrorMessage(other); got != "boom" {
		t.Errorf("ErrorMessage of a plain error = %q", got)
	}
}

func TestCharOffset(t *testing.T) {
	for _, tt := range []struct {
		text  string
		chars int
		want  int
	}{
		{"abc", 0, 0},
		{"abc", 2, 2},
		{"éa", 1, 2},
		{"ab", 5, 2},
	} {
		if got := CharOffset(tt.text, tt.chars); got != tt.want {
			t.Errorf("CharOffset(%q, %d) = %d, want %d", tt.text, tt.chars, got, tt.want)
		}
	}
}
