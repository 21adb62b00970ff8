// Package sqltok is a forgiving SQL tokenizer for text pg_query rejects:
// fragments of statements built in Go, and PL/pgSQL function bodies.
package sqltok

import (
	"strconv"
	"strings"

	"github.com/tenantc/tenantc/internal/sqlref"
)

// Kind is the kind of a token.
type Kind int

// Token kinds.
const (
	Word   Kind = iota // an unquoted word, lower-cased
	Quoted             // a "quoted" identifier, exact
	Punct              // one character, or "::"
	String             // a string literal, its contents
)

// Token is one token of SQL text.
type Token struct {
	Kind Kind
	Text string // a word lower-cased, a quoted identifier or string's contents, punctuation
	Off  int    // byte offset of its first byte
}

// Tokenize splits SQL into words, quoted identifiers, string literals and
// punctuation, skipping comments. It never fails: it is for text
// pg_query rejects, such as a fragment of a statement.
func Tokenize(s string) []Token {
	var toks []Token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return toks
			}
			i += j + 1
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return toks
			}
			i += j + 4
		case c == '\'':
			// E'...' takes backslash escapes: E'\'' is one quote. The E
			// was read as a word; it is part of the literal.
			escapes := i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') && (i < 2 || !isWordPart(s[i-2]))
			off := i
			if escapes && len(toks) > 0 && toks[len(toks)-1].Off == i-1 {
				toks, off = toks[:len(toks)-1], i-1
			}
			text, next := unquote(s, i, escapes)
			toks = append(toks, Token{Kind: String, Text: text, Off: off})
			i = next
		case c == '"':
			text, next := unquote(s, i, false)
			toks = append(toks, Token{Kind: Quoted, Text: text, Off: i})
			i = next
		case c == '$' && i+1 < len(s) && (s[i+1] == '$' || isWordStart(s[i+1])):
			// A dollar-quoted string: skip to its closing tag.
			j := strings.IndexByte(s[i+1:], '$')
			if j < 0 {
				return toks
			}
			tag := s[i : i+j+2]
			k := strings.Index(s[i+len(tag):], tag)
			if k < 0 {
				return toks
			}
			toks = append(toks, Token{Kind: String, Text: s[i+len(tag) : i+len(tag)+k], Off: i})
			i += len(tag) + k + len(tag)
		case isWordStart(c):
			j := i
			for j < len(s) && isWordPart(s[j]) {
				j++
			}
			toks = append(toks, Token{Kind: Word, Text: sqlref.Fold(s[i:j]), Off: i})
			i = j
		case c == ':' && i+1 < len(s) && s[i+1] == ':':
			toks = append(toks, Token{Kind: Punct, Text: "::", Off: i})
			i += 2
		default:
			toks = append(toks, Token{Kind: Punct, Text: string(c), Off: i})
			i++
		}
	}
	return toks
}

func isWordStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

func isWordPart(c byte) bool { return isWordStart(c) || '0' <= c && c <= '9' || c == '$' }

// unquote reads the literal or identifier that the quote character s[i]
// opens, a doubled quote standing for one (and, with escapes, a backslash
// escaping the next byte), and returns its text and the offset after its
// closing quote (past the end when it is unterminated).
func unquote(s string, i int, escapes bool) (string, int) {
	q := s[i]
	var b strings.Builder
	for i++; i < len(s); i++ {
		if escapes && s[i] == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(unescape(s[i]))
			continue
		}
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				b.WriteByte(q)
				i++
				continue
			}
			break
		}
		b.WriteByte(s[i])
	}
	return b.String(), i + 1
}

// unescape returns the byte a backslash escape of c stands for in an E”
// string; octal, hexadecimal and Unicode escapes keep their first
// character, which is enough to find names.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	}
	return c
}

// Unmark removes the braces of the {name} marks of a statement written for
// tenancy.ParseSQL and returns the text and the offset of each marked name
// in it. Braces inside literals, quoted identifiers and comments are text.
func Unmark(s string) (string, []int) {
	toks := Tokenize(s)
	var b strings.Builder
	var marks []int
	last := 0
	for i := 0; i+2 < len(toks); i++ {
		open, name, close := toks[i], toks[i+1], toks[i+2]
		if open.Kind != Punct || open.Text != "{" || close.Kind != Punct || close.Text != "}" || name.Off != open.Off+1 {
			continue
		}
		switch {
		case name.Kind == Word && name.Off+len(name.Text) == close.Off:
		case name.Kind == Quoted && s[close.Off-1] == '"':
		default:
			continue
		}
		b.WriteString(s[last:open.Off])
		marks = append(marks, b.Len())
		b.WriteString(s[name.Off:close.Off])
		last = close.Off + 1
		i += 2
	}
	b.WriteString(s[last:])
	return b.String(), marks
}

// FormatHoles replaces each conversion of PostgreSQL's format() (%s, %I,
// %L, with an optional position, flag and width) with an identifier no
// catalog holds, so the rest of the string parses as SQL: tenantc_format_s1
// for %s, which is spliced in unquoted and alone can carry a schema,
// tenantc_format_q2 for the quoting ones.
func FormatHoles(f string) string { return Format(f, nil) }

// Format formats f as PostgreSQL's format() does for the arguments arg
// knows (arg(i) for the i-th, from 0), and replaces the conversions of the
// others as [FormatHoles] does. A nil arg knows none.
func Format(f string, arg func(i int) (string, bool)) string {
	var b strings.Builder
	n, next := 0, 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		if i+1 < len(f) && f[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		j := i + 1
		for j < len(f) && strings.IndexByte("0123456789$-*", f[j]) >= 0 {
			j++
		}
		if j >= len(f) || strings.IndexByte("sIL", f[j]) < 0 {
			b.WriteByte('%')
			continue
		}
		n++
		// %2$I names its argument (1-based); a plain conversion takes the
		// one after the last used.
		idx := next
		if spec := f[i+1 : j]; strings.Contains(spec, "$") {
			if k, err := strconv.Atoi(spec[:strings.IndexByte(spec, '$')]); err == nil && k > 0 {
				idx = k - 1
			}
		}
		next = idx + 1
		if a, ok := argAt(arg, idx); ok && !strings.Contains(f[i+1:j], "*") {
			switch f[j] {
			case 's':
				b.WriteString(a)
			case 'I':
				b.WriteString(quoteIdent(a))
			case 'L':
				b.WriteString("'" + strings.ReplaceAll(a, "'", "''") + "'")
			}
		} else {
			kind := "q"
			if f[j] == 's' {
				kind = "s"
			}
			b.WriteString("tenantc_format_" + kind + strconv.Itoa(n))
		}
		i = j
	}
	return b.String()
}

func argAt(arg func(int) (string, bool), i int) (string, bool) {
	if arg == nil {
		return "", false
	}
	return arg(i)
}

// quoteIdent quotes name as quote_ident does: only when it is not a plain
// lower-case identifier.
func quoteIdent(name string) string {
	plain := name != ""
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '$')) {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
