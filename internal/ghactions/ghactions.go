// Package ghactions writes GitHub Actions workflow commands: the
// annotations that `tenantc vet` and `tenantc migrate lint` print with
// --format github.
package ghactions

import (
	"fmt"
	"io"
	"strings"
)

// Annotation is one ::error, ::warning or ::notice workflow command, which
// GitHub Actions shows on the line of the pull request it points at.
type Annotation struct {
	Level   string // "error", "warning" or "notice"
	File    string
	Line    int
	Col     int
	Title   string
	Message string
}

// Write prints a as
//
//	::LEVEL file=F,line=L,col=C,title=T::MESSAGE
//
// with every property and the message escaped as the Actions toolkit's
// command.ts does, so that a newline, a comma or a colon in a path, a
// title or a message cannot end the command early or forge another one.
func Write(w io.Writer, a Annotation) error {
	_, err := fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=%s::%s\n",
		a.Level, property(a.File), a.Line, a.Col, property(a.Title), data(a.Message))
	return err
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func data(s string) string     { return dataEscaper.Replace(s) }
func property(s string) string { return propertyEscaper.Replace(s) }
