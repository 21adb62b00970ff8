package sqlpos

import (
	"testing"

	"github.com/tenantc/tenantc/position"
)

func TestFilePos(t *testing.T) {
	at := func(line, col int) position.Pos { return position.Pos{File: "q.sql", Line: line, Col: col} }
	f := NewFile("q.sql", []byte("ab\ncdé\n\nx"))
	tests := []struct {
		off  int
		want position.Pos
	}{
		{0, at(1, 1)},
		{2, at(1, 3)}, // the newline itself
		{3, at(2, 1)},
		{5, at(2, 3)}, // é starts at byte 5: columns count bytes
		{8, at(3, 1)},
		{9, at(4, 1)},
		{99, at(4, 2)}, // clamped to the end
		{-5, at(1, 1)},
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
