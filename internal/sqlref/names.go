// Package sqlref finds names and references in PostgreSQL text: it splits
// and folds qualified names as PostgreSQL does, turns the position of a
// pg_query error into a byte offset, and walks pg_query parse trees for
// the references to the objects of a catalog. The schema loader, the
// query analyzer and the vet analyzer share it; it links pg_query and
// nothing of the sqlc engine.
package sqlref

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Fold folds an unquoted identifier as PostgreSQL's downcase_identifier
// does in UTF-8 databases: ASCII letters only.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return foldFrom(s, i)
		}
	}
	return s
}

// foldFrom folds s, whose first upper-case ASCII letter is at i.
func foldFrom(s string, i int) string {
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// IdentName returns the name an identifier token denotes, folded as
// PostgreSQL folds it ("quoted" names are kept, with "" unescaped), or ""
// when the token is no identifier. Keywords count: many (name, status,
// type) are valid column and table names.
func IdentName(tok string) string {
	if len(tok) >= 2 && tok[0] == '"' && tok[len(tok)-1] == '"' {
		return strings.ReplaceAll(tok[1:len(tok)-1], `""`, `"`)
	}
	for i, r := range tok {
		letter := r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r >= 0x80
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '$')) {
			return ""
		}
	}
	return Fold(tok)
}

// IsNameByte reports whether c can be part of an unquoted identifier or
// keyword.
func IsNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// SplitName splits a possibly qualified name written inside SQL text — the
// argument of nextval('seq') or a 'name'::regclass literal — and folds each
// part as PostgreSQL's regclass input does: unquoted parts are lower-cased
// (ASCII letters only), "quoted" parts are kept with "" unescaped. ok is
// false when s is not such a name: an OID (digits only), an empty or
// unterminated part, more than three parts.
func SplitName(s string) (parts []string, ok bool) {
	if isOID(s) {
		return nil, false
	}
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skip()
		var part string
		switch {
		case i < len(s) && s[i] == '"':
			i++
			var b strings.Builder
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, false
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			if b.Len() == 0 {
				return nil, false
			}
			part = b.String()
		default:
			start := i
			for i < len(s) && s[i] != '.' && s[i] != '"' && !isSpace(s[i]) {
				i++
			}
			if i == start {
				return nil, false
			}
			part = Fold(s[start:i])
		}
		parts = append(parts, part)
		skip()
		if i == len(s) {
			if len(parts) > 3 {
				return nil, false
			}
			return parts, true
		}
		if s[i] != '.' {
			return nil, false
		}
		i++
	}
}

// isOID reports whether s is what regclass input reads as an OID: digits,
// and nothing else.
func isOID(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// NameList returns the values of the String nodes of a pg_query name list
// (a function's or type's possibly qualified name, say), skipping other
// nodes.
func NameList(nodes []*pg_query.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}
