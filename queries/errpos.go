package queries

import (
	"regexp"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/position"
)

// span is one statement of a query file as tenantc split it: the text from
// the end of the previous statement to its own ";", and its tokens
// (comments included) with offsets into the file.
type span struct {
	start, end int
	toks       []*pg_query.ScanToken
}

// source is a query file as tenantc read it, kept to move the engine's
// errors onto the token they are about.
type source struct {
	file  *sqlpos.File
	spans []span
}

// nameRole says where the name of an engine error appears in a dotted
// reference: sqlc reports the last part of a name ("id" for p.id) except
// for an unknown table alias or schema, the qualifier itself.
type nameRole int

const (
	lastPart  nameRole = iota // never followed by "."
	qualifier                 // always followed by "."
)

// engineMessages lists the engine messages that name an identifier, with
// the name's role. The first submatch is the name, Go-quoted as sqlc
// prints it with %q, or bare for a function call's name. sqlc places
// several of them at the start of the statement, or at the start of a
// dotted column reference, rather than at the name (see its
// internal/compiler and internal/sql/catalog). It is built on use, only
// when the engine failed.
func engineMessages() []engineMessage {
	const q = `("(?:[^"\\]|\\.)*")`
	m := func(expr string, role nameRole) engineMessage {
		return engineMessage{regexp.MustCompile(expr), role}
	}
	// Columns first: "column ... of relation "t" does not exist" ends like
	// the message about an unknown relation.
	return []engineMessage{
		m(`column `+q+` (?:of relation "(?:[^"\\]|\\.)*" )?does not exist`, lastPart),
		m(`relation `+q+` does not exist`, lastPart),
		m(`table alias `+q+` does not exist`, qualifier),
		m(`column reference `+q+` (?:is ambiguous|not found)`, lastPart),
		m(`type `+q+` does not exist`, lastPart),
		m(`schema `+q+` does not exist`, qualifier),
		m(`function `+q+` does not exist`, lastPart),
		m(`function ([^\s("]+)\(.*\) does not exist`, lastPart),
		m(`function not found: (\S+)`, lastPart),
	}
}

type engineMessage struct {
	re   *regexp.Regexp
	role nameRole
}

// engineErrorName returns the identifier an engine message is about.
func engineErrorName(msg string) (string, nameRole, bool) {
	for _, m := range engineMessages() {
		sm := m.re.FindStringSubmatch(msg)
		if sm == nil {
			continue
		}
		name := sm[1]
		if strings.HasPrefix(name, `"`) {
			var err error
			if name, err = strconv.Unquote(name); err != nil {
				return "", 0, false
			}
		}
		return name, m.role, true
	}
	return "", 0, false
}

// locate moves an engine error onto the token it names: the unknown
// relation, column, alias, type or function. sqlc reports some of them at
// the start of the statement (which, for a file's first statement, is the
// -- name: line) and column errors at the start of a dotted reference.
// An error already at a token spelling the name, or whose name cannot be
// found in its statement, keeps its position.
func (s *source) locate(pos position.Pos, msg string) position.Pos {
	name, role, ok := engineErrorName(msg)
	if !ok {
		return pos
	}
	off := s.file.Offset(pos.Line, pos.Col)
	if off < 0 {
		return pos
	}
	var sp *span
	for i := range s.spans {
		if s.spans[i].start <= off && off < s.spans[i].end {
			sp = &s.spans[i]
			break
		}
	}
	if sp == nil {
		return pos
	}
	// The name as reported, then its last part: a qualified type or
	// function name is spelled as several tokens.
	names := []string{name}
	if i := strings.LastIndexByte(name, '.'); i >= 0 && role == lastPart {
		names = append(names, name[i+1:])
	}
	src := string(s.file.Src)
	for _, n := range names {
		if t := sp.find(src, n, role, off); t >= 0 {
			return s.file.Pos(t)
		}
	}
	return pos
}

// find returns the offset of the token spelling name in the role, at off
// when there is one, else the first after off, else the first in the
// statement; a token in another role is taken only when none fits. It
// returns -1 when no token spells name.
func (sp *span) find(src, name string, role nameRole, off int) int {
	var toks []*pg_query.ScanToken
	for _, t := range sp.toks {
		if t.Token != pg_query.Token_SQL_COMMENT && t.Token != pg_query.Token_C_COMMENT {
			toks = append(toks, t)
		}
	}
	var fits, others []int
	for i, t := range toks {
		if sqlref.IdentName(src[t.Start:t.End]) != name {
			continue
		}
		dotted := i+1 < len(toks) && toks[i+1].Token == pg_query.Token_ASCII_46
		if dotted == (role == qualifier) {
			fits = append(fits, int(t.Start))
		} else {
			others = append(others, int(t.Start))
		}
	}
	for _, cands := range [][]int{fits, others} {
		for _, c := range cands {
			if c >= off {
				return c
			}
		}
		if len(cands) > 0 {
			return cands[0]
		}
	}
	return -1
}
