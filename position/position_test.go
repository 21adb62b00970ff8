package position

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
	var list ErrorList
	if !errors.As(wrapped, &list) || len(list) != 4 {
		t.Errorf("errors.As(ErrorList) found %v, want 4 errors", list)
	}
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
	tests := []struct {
		p    Pos
		want string
	}{
		{Pos{"f", 0, 0}, "f"},
		{Pos{"f", 3, 0}, "f:3"},
		{Pos{"f", 3, 4}, "f:3:4"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestPosCompare(t *testing.T) {
	tests := []struct {
		a, b Pos
		want int
	}{
		{Pos{"a", 1, 1}, Pos{"b", 1, 1}, -1},
		{Pos{"a", 2, 1}, Pos{"a", 10, 1}, -1},
		{Pos{"a", 2, 5}, Pos{"a", 2, 3}, 1},
		{Pos{"a", 2, 3}, Pos{"a", 2, 3}, 0},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
