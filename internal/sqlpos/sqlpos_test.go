package sqlpos

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilePos(t *testing.T) {
	f := NewFile("q.sql", []byte("ab\ncdé\n\nx"))
	tests := []struct {
		off  int
		want Pos
	}{
		{0, Pos{"q.sql", 1, 1}},
		{2, Pos{"q.sql", 1, 3}}, // the newline itself
		{3, Pos{"q.sql", 2, 1}},
		{5, Pos{"q.sql", 2, 3}}, // é starts at byte 5: columns count bytes
		{8, Pos{"q.sql", 3, 1}},
		{9, Pos{"q.sql", 4, 1}},
		{99, Pos{"q.sql", 4, 2}}, // clamped to the end
		{-5, Pos{"q.sql", 1, 1}},
	}
	for _, tt := range tests {
		if got := f.Pos(tt.off); got != tt.want {
			t.Errorf("Pos(%d) = %v, want %v", tt.off, got, tt.want)
		}
		if tt.off >= 0 && tt.off <= len(f.Src) {
			if back := f.Offset(tt.want.Line, tt.want.Col); back != tt.off {
				t.Errorf("Offset(%d, %d) = %d, want %d", tt.want.Line, tt.want.Col, back, tt.off)
			}
		}
	}
	if got := f.Offset(9, 1); got != -1 {
		t.Errorf("Offset of a missing line = %d, want -1", got)
	}
}

func TestErrorListSortsAndReportsAll(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Fatal("empty list is an error")
	}
	l.Add(Pos{"b.sql", 1, 1}, "second file")
	l.Add(Pos{"a.sql", 10, 2}, "later line")
	l.Add(Pos{"a.sql", 2, 9}, "later column")
	l.Add(Pos{"a.sql", 2, 3}, "first")
	l.Add(Pos{"a.sql", 2, 3}, "first") // exact duplicate, reported once
	err := l.Err()
	want := "a.sql:2:3: first\na.sql:2:9: later column\na.sql:10:2: later line\nb.sql:1:1: second file"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	wrapped := fmt.Errorf("generate: %w", err)
	if got := AsList(wrapped); len(got) != 4 {
		t.Errorf("AsList found %d errors, want 4", len(got))
	}
	var one *Error
	if !errors.As(wrapped, &one) || one.Msg != "first" {
		t.Errorf("errors.As(*Error) = %v", one)
	}
	if AsList(errors.New("plain")) != nil {
		t.Error("AsList of an error without a position is not nil")
	}
	if got := AsList(Errorf(Pos{"x", 1, 1}, "single")); len(got) != 1 {
		t.Errorf("AsList(*Error) = %v", got)
	}
}

func TestPosString(t *testing.T) {
	for _, tt := range []struct {
		p    Pos
		want string
	}{
		{Pos{"f", 0, 0}, "f"},
		{Pos{"f", 3, 0}, "f:3"},
		{Pos{"f", 3, 4}, "f:3:4"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}
