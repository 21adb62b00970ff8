package tenancy

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMarkedSQL is returned by [ParseSQL] for text whose tenant marks are
// malformed: a brace that does not enclose one name, or a marked name that
// is already schema-qualified. Test with errors.Is.
var ErrMarkedSQL = errors.New("tenancy: malformed tenant mark")

// ParseSQL returns a tenant statement written by hand, for a one-off
// statement that tenantc's generated queries do not cover. Each tenant
// object name is written in braces — {tickets}, {"Patients"}, a type in
// $1::{ticket_status}, a function in {ticket_count}() — and [Conn.SQL]
// qualifies it with the bound tenant's quoted schema:
//
//	var purgeClosed = tenancy.MustParseSQL(`DELETE FROM {tickets} WHERE status = 'closed'`)
//
//	c := tenancy.Bind(pool, t)
//	_, err := c.Exec(ctx, c.SQL(purgeClosed)) // DELETE FROM "tenant_acme".tickets WHERE ...
//
// Shared objects are written as usual, unmarked. Braces inside string
// literals, quoted identifiers, dollar-quoted strings and comments are text,
// not marks ('{1,2}' stays an array literal); elsewhere SQL has no use for
// them. A name inside a string literal (nextval('seq'), 'name'::regclass)
// cannot be marked; leave such statements to the generated queries.
//
// tenantc vet checks the text given to ParseSQL and reports each tenant
// object left unmarked as unscoped SQL.
func ParseSQL(text string) (*SQL, error) {
	var b strings.Builder
	b.Grow(len(text))
	var refs []int
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '{':
			name, next, ok := markedName(text, i+1)
			if !ok {
				return nil, fmt.Errorf("%w: { at byte %d does not enclose one name, as in {tickets}", ErrMarkedSQL, i)
			}
			if out := b.String(); len(out) > 0 && (out[len(out)-1] == '.' || isNameByte(out[len(out)-1])) {
				return nil, fmt.Errorf("%w: {%s} at byte %d is qualified or inside a name; write the name alone", ErrMarkedSQL, name, i)
			}
			refs = append(refs, b.Len())
			b.WriteString(name)
			i = next
		case c == '}':
			return nil, fmt.Errorf("%w: } at byte %d closes no mark", ErrMarkedSQL, i)
		default:
			n := skipLiteral(text, i)
			b.WriteString(text[i:n])
			i = n
		}
	}
	return &SQL{text: b.String(), refs: refs}, nil
}

// MustParseSQL is like [ParseSQL] but panics when the text is malformed. It
// is meant for package-level statements, so that a bad mark fails when the
// package loads.
func MustParseSQL(text string) *SQL {
	s, err := ParseSQL(text)
	if err != nil {
		panic(err)
	}
	return s
}

// markedName reads a name and the closing brace at text[i:]: an unquoted
// identifier or a "quoted" one, with no blanks. It returns the name as
// written (quotes kept) and the offset after the brace.
func markedName(text string, i int) (string, int, bool) {
	start := i
	switch {
	case i < len(text) && text[i] == '"':
		for i++; i < len(text); i++ {
			if text[i] == '"' {
				if i+1 < len(text) && text[i+1] == '"' {
					i++
					continue
				}
				break
			}
		}
		if i >= len(text) || i == start+1 {
			return "", 0, false
		}
		i++
	case i < len(text) && isNameStart(text[i]):
		for i < len(text) && isNameByte(text[i]) {
			i++
		}
	default:
		return "", 0, false
	}
	if i >= len(text) || text[i] != '}' {
		return "", 0, false
	}
	return text[start:i], i + 1, true
}

// skipLiteral returns the offset after the token that starts at text[i] when
// it is a string literal, quoted identifier, dollar-quoted string or comment,
// where braces are text; otherwise after the single byte text[i] (a whole
// word, so that a dollar sign inside a name such as a$b opens nothing).
func skipLiteral(text string, i int) int {
	c := text[i]
	switch {
	case c == '\'':
		// An E'' string (E directly before the quote, not ending a longer
		// word) takes backslash escapes.
		escapes := i > 0 && (text[i-1] == 'E' || text[i-1] == 'e') && (i < 2 || !isNameByte(text[i-2]))
		return closeQuote(text, i+1, '\'', escapes)
	case c == '"':
		return closeQuote(text, i+1, '"', false)
	case strings.HasPrefix(text[i:], "--"):
		if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
			return i + j + 1
		}
		return len(text)
	case strings.HasPrefix(text[i:], "/*"):
		// PostgreSQL's block comments nest.
		depth := 0
		for j := i; j < len(text); j++ {
			switch {
			case strings.HasPrefix(text[j:], "/*"):
				depth++
				j++
			case strings.HasPrefix(text[j:], "*/"):
				depth--
				j++
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(text)
	case c == '$':
		j := i + 1
		for j < len(text) && isNameByte(text[j]) && text[j] != '$' && !(j == i+1 && '0' <= text[j] && text[j] <= '9') {
			j++
		}
		if j < len(text) && text[j] == '$' {
			tag := text[i : j+1]
			if k := strings.Index(text[j+1:], tag); k >= 0 {
				return j + 1 + k + len(tag)
			}
			return len(text)
		}
		return i + 1
	case isNameStart(c):
		j := i
		for j < len(text) && isNameByte(text[j]) {
			j++
		}
		return j
	}
	return i + 1
}

// closeQuote returns the offset after the quote q that closes a literal
// whose contents start at text[i]; a doubled quote stands for one, and with
// escapes a backslash escapes the next byte.
func closeQuote(text string, i int, q byte, escapes bool) int {
	for ; i < len(text); i++ {
		switch text[i] {
		case '\\':
			if escapes {
				i++
			}
		case q:
			if i+1 < len(text) && text[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(text)
}
