// Package sqlpos turns byte offsets in input files into the 1-based
// line:col positions that tenantc reports, and collects positional errors.
//
// Every package that reports a problem in a user's file (tenantc.yaml, a
// schema file, a query file) builds an [Error] here, so that all of them
// print the same way — file:line:col: message — and sort the same way.
package sqlpos

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Pos is a position in an input file. Line and Col are 1-based; Col counts
// bytes. File is the path as tenantc prints it (relative to the config's
// directory).
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats p as file:line:col (or file when the line is unknown).
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Compare orders positions by file, line and column.
func (p Pos) Compare(q Pos) int {
	return cmp.Or(strings.Compare(p.File, q.File), cmp.Compare(p.Line, q.Line), cmp.Compare(p.Col, q.Col))
}

// Error is a problem at a position in an input file.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats e as file:line:col: message.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf builds an [Error] at pos.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList is every problem found in one run. It is an error when it is not
// empty; callers get all of the problems, not the first only.
type ErrorList []*Error

// Add appends an error at pos.
func (l *ErrorList) Add(pos Pos, format string, args ...any) {
	*l = append(*l, Errorf(pos, format, args...))
}

// Sort orders the list by position, then message, and drops exact duplicates.
func (l *ErrorList) Sort() {
	sort.SliceStable(*l, func(i, j int) bool {
		a, b := (*l)[i], (*l)[j]
		if c := a.Pos.Compare(b.Pos); c != 0 {
			return c < 0
		}
		return a.Msg < b.Msg
	})
	*l = slices.CompactFunc(*l, func(a, b *Error) bool { return a.Pos == b.Pos && a.Msg == b.Msg })
}

// Err returns the sorted list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Error joins the errors one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find an individual *Error.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// AsList returns the positional errors in err: the list itself, a single
// *Error, or nil when err carries no position.
func AsList(err error) ErrorList {
	var l ErrorList
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return ErrorList{e}
	}
	return nil
}

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
func (f *File) Pos(off int) Pos {
	off = max(0, min(off, len(f.Src)))
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	return Pos{File: f.Name, Line: i + 1, Col: off - f.lines[i] + 1}
}

// Offset returns the byte offset of a 1-based line and column, the inverse
// of [File.Pos]. It returns -1 when the line does not exist.
func (f *File) Offset(line, col int) int {
	if line < 1 || line > len(f.lines) {
		return -1
	}
	return f.lines[line-1] + col - 1
}
