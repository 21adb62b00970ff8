// Package sqlpos turns byte offsets in input files into the 1-based
// line:col [position.Pos] values that tenantc reports.
//
// Every package that reports a problem in a user's file (tenantc.yaml, a
// schema file, a query file) converts offsets here, once, and reports a
// [position.Error], so that all of them print the same way —
// file:line:col: message — and sort the same way.
package sqlpos

import (
	"sort"

	"github.com/tenantc/tenantc/position"
)

// File maps byte offsets in one file's contents to positions.
type File struct {
	Name  string // path as printed
	Src   []byte
	lines []int // offset of the first byte of each line
}

// NewFile indexes src for offset lookups.
func NewFile(name string, src []byte) *File {
	f := &File{Name: name, Src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	return f
}

// Pos returns the position of byte offset off. Offsets past the end map to
// the end of the file.
func (f *File) Pos(off int) position.Pos {
	off = max(0, min(off, len(f.Src)))
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	return position.Pos{File: f.Name, Line: i + 1, Col: off - f.lines[i] + 1}
}

// Offset returns the byte offset of a 1-based line and column, the inverse
// of [File.Pos]. It returns -1 when the line does not exist.
func (f *File) Offset(line, col int) int {
	if line < 1 || line > len(f.lines) {
		return -1
	}
	return f.lines[line-1] + col - 1
}
