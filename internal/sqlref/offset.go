package sqlref

import (
	"errors"
	"unicode/utf8"

	"github.com/pganalyze/pg_query_go/v6/parser"
)

// CharOffset returns the byte offset in text of the character at index
// chars (counting from 0): PostgreSQL counts error positions in
// characters.
func CharOffset(text string, chars int) int {
	off := 0
	for ; chars > 0 && off < len(text); chars-- {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
	}
	return off
}

// ErrorOffset returns the byte offset in text of the position of a
// pg_query error, or fallback when the error carries none. pg_query's
// cursor position counts characters from 1.
func ErrorOffset(text string, fallback int, err error) int {
	var pe *parser.Error
	if !errors.As(err, &pe) || pe.Cursorpos <= 0 {
		return fallback
	}
	return CharOffset(text, pe.Cursorpos-1)
}

// ErrorMessage returns the message of a pg_query error without its
// position, or err's text for other errors.
func ErrorMessage(err error) string {
	var pe *parser.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
