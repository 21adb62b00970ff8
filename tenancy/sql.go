package tenancy

import (
	"fmt"
	"slices"
)

// SQL is a tenant statement as generated code declares it: the statement
// text with its tenant references left unqualified, and the byte offset of
// each reference. [Conn.SQL] turns it into the text for one tenant.
//
// Make one with [NewSQL] once, at package level, and reuse it for every
// tenant.
type SQL struct {
	text string
	refs []int
}

// NewSQL returns the statement text with tenant references at the byte
// offsets refs. Each offset is where an unqualified tenant object name
// begins (a table, view, type, sequence or function name, or the name inside
// a regclass string literal such as nextval('seq')); the runtime inserts the
// quoted schema name and a dot there.
//
// NewSQL is meant for code written by tenantc generate, whose offsets come
// from the SQL parser. It panics when refs are not strictly ascending, fall
// outside text, or do not point at the start of a name, so that a wrong
// offset fails when the package loads rather than querying the wrong schema.
func NewSQL(text string, refs ...int) *SQL {
	prev := -1
	for i, r := range refs {
		if r <= prev || r >= len(text) {
			panic(fmt.Sprintf("tenancy: NewSQL: reference %d at offset %d is out of order or outside the %d-byte text", i, r, len(text)))
		}
		if !isNameStart(text[r]) {
			panic(fmt.Sprintf("tenancy: NewSQL: reference %d at offset %d does not start a name (byte %q)", i, r, text[r]))
		}
		if r > 0 && (isNameByte(text[r-1]) || text[r-1] == '.') {
			panic(fmt.Sprintf("tenancy: NewSQL: reference %d at offset %d is inside a name or already qualified", i, r))
		}
		prev = r
	}
	return &SQL{text: text, refs: slices.Clone(refs)}
}

// Text returns the statement text without schema names, as written in the
// query file.
func (s *SQL) Text() string { return s.text }

// isNameStart reports whether c can start a PostgreSQL identifier: a letter,
// an underscore, a double quote or the first byte of a multibyte character.
func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '"' || c >= 0x80
}

// isNameByte reports whether c can continue an unquoted identifier.
func isNameByte(c byte) bool {
	return isNameStart(c) && c != '"' || '0' <= c && c <= '9' || c == '$'
}
