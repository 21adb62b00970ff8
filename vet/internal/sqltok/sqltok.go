// Package sqltok is a forgiving SQL tokenizer for text pg_query rejects:
// fragments of statements built in Go, and PL/pgSQL function bodies.
package sqltok

import "strings"

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
			text, next := unquote(s, i)
			toks = append(toks, Token{Kind: String, Text: text, Off: i})
			i = next
		case c == '"':
			text, next := unquote(s, i)
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
			toks = append(toks, Token{Kind: Word, Text: Lower(s[i:j]), Off: i})
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

// Lower folds an unquoted identifier as PostgreSQL does in UTF-8
// databases: ASCII letters only.
func Lower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// unquote reads the literal or identifier that the quote character s[i]
// opens, a doubled quote standing for one, and returns its text and the
// offset after its closing quote (past the end when it is unterminated).
func unquote(s string, i int) (string, int) {
	q := s[i]
	var b strings.Builder
	for i++; i < len(s); i++ {
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
