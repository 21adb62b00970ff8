// Package position reports problems in tenantc's input files — tenantc.yaml,
// schema files, query files — at file:line:col positions.
//
// [schema.Load], [queries.Analyze], [generator.Generate] and the config
// loader return an [ErrorList] holding every problem they found, sorted by
// position. Find it, or a single [*Error], with errors.As:
//
//	cat, err := schema.Load(ctx, cfg)
//	var list position.ErrorList
//	if errors.As(err, &list) {
//		for _, e := range list {
//			fmt.Fprintln(os.Stderr, e) // schema/app.sql:4:1: table "tickets" has no tenantc scope
//		}
//	}
//
// [schema.Load]: https://pkg.go.dev/github.com/tenantc/tenantc/schema#Load
// [queries.Analyze]: https://pkg.go.dev/github.com/tenantc/tenantc/queries#Analyze
// [generator.Generate]: https://pkg.go.dev/github.com/tenantc/tenantc/generator#Generate
package position

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
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
// empty; callers get all of the problems, not the first only. errors.As
// finds each element as an [*Error] too.
type ErrorList []*Error

// Add appends an error at pos.
func (l *ErrorList) Add(pos Pos, format string, args ...any) {
	*l = append(*l, Errorf(pos, format, args...))
}

// Sort orders the list by position, then message, and drops exact duplicates.
func (l *ErrorList) Sort() {
	slices.SortStableFunc(*l, func(a, b *Error) int {
		return cmp.Or(a.Pos.Compare(b.Pos), strings.Compare(a.Msg, b.Msg))
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
// [*Error], or nil when err carries no position.
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
