package generator

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jinzhu/inflection"
)

// namer turns SQL names into Go names the way sqlc does, so that sqlc users
// find the same identifiers in tenantc's output.
type namer struct {
	rename      map[string]string
	initialisms map[string]bool
	jsonStyle   string
}

// defaultInitialisms are upper-cased whole when they are a part of a
// snake_case name: user_id → UserID, api_url → APIURL. sqlc's default list is
// only "id"; tenantc adds the common ones Go's naming guidance lists, because
// a generated API is read far more often than it is written.
const defaultInitialisms = "id url api json uuid uri http https sql ip html xml db tls ttl utc cpu"

// newNamer returns a namer with the config's renames and json tag style.
func newNamer(rename map[string]string, jsonStyle string) *namer {
	n := &namer{rename: rename, initialisms: map[string]bool{}, jsonStyle: jsonStyle}
	for _, s := range strings.Fields(defaultInitialisms) {
		n.initialisms[s] = true
	}
	return n
}

// structName converts a snake_case SQL name to an exported Go name, applying
// the config's rename map first.
func (n *namer) structName(name string) string {
	if r := n.rename[name]; r != "" {
		return r
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return '_'
	}, name)
	var out strings.Builder
	for _, p := range strings.Split(name, "_") {
		if n.initialisms[strings.ToLower(p)] {
			out.WriteString(strings.ToUpper(p))
		} else {
			out.WriteString(title(p))
		}
	}
	s := out.String()
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsDigit(r) {
		return "_" + s
	}
	return s
}

// title upper-cases the first letter of s (strings.Title without its
// deprecation and word splitting, which a snake_case part never needs).
func title(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// lowerFirst lower-cases the first letter of s: GetTicket → getTicket.
func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[size:]
}

// argName converts a snake_case parameter name to a Go parameter name:
// plan_id → planID.
func (n *namer) argName(name string) string {
	var out strings.Builder
	for i, p := range strings.Split(name, "_") {
		switch {
		case i == 0:
			out.WriteString(strings.ToLower(p))
		case n.initialisms[strings.ToLower(p)]:
			out.WriteString(strings.ToUpper(p))
		default:
			out.WriteString(title(p))
		}
	}
	return out.String()
}

// singular returns the model name for a table name, as sqlc does: jinzhu's
// inflection with sqlc's corrections for words it gets wrong.
func singular(name string) string {
	switch strings.ToLower(name) {
	case "campus", "meta", "metadata":
		return name
	case "calories":
		return "calorie"
	case "waves":
		return "wave"
	}
	return inflection.Singular(name)
}

// reserved reports whether a generated variable must not take the name s:
// Go keywords, names the generated method bodies declare or use (q, the
// receiver; ctx, err, rows…), and predeclared names they refer to.
func reserved(s string) bool {
	switch s {
	case "break", "default", "func", "interface", "select", "case", "defer",
		"go", "map", "struct", "chan", "else", "goto", "package", "switch",
		"const", "fallthrough", "if", "range", "type", "continue", "for",
		"import", "return", "var",
		"q", "ctx", "batch", "br", "err", "row", "rows", "items", "result",
		"stmt", "true", "false", "nil", "string", "error", "any", "len":
		return true
	}
	return false
}

// escape appends an underscore to a name that is reserved in generated code.
func escape(s string) string {
	if reserved(s) {
		return s + "_"
	}
	return s
}

// varName makes a result column name usable as a Go variable: sqlc keeps
// the column name as is (count, plan_id) and replaces characters Go does
// not allow.
func varName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, name)
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "_" + name
	}
	return escape(name)
}

// jsonTag returns the json tag value for a column name in the configured
// case style.
func (n *namer) jsonTag(name string) string {
	switch n.jsonStyle {
	case "camel":
		var out strings.Builder
		for i, p := range strings.Split(name, "_") {
			switch {
			case i == 0:
				out.WriteString(p)
			case p == "id":
				out.WriteString("Id")
			default:
				out.WriteString(title(p))
			}
		}
		return out.String()
	case "pascal":
		var out strings.Builder
		for _, p := range strings.Split(name, "_") {
			if p == "id" {
				out.WriteString("ID")
			} else {
				out.WriteString(title(p))
			}
		}
		return out.String()
	case "snake":
		return toSnake(name)
	}
	return name
}

// toSnake converts a CamelCase name (an embedded model's name) to snake_case,
// starting a word at each run of capitals: TicketURL → ticket_url. Names that
// already contain an underscore are only lower-cased.
func toSnake(s string) string {
	if strings.ContainsRune(s, '_') {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; i > 0 && isUpper(c) && !isUpper(s[i-1]) {
			b.WriteByte('_')
		}
		b.WriteByte(s[i])
	}
	return strings.ToLower(b.String())
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// enumValueIdent keeps the characters of an enum label that can appear in a
// Go name; "-", "/" and ":" separate words like "_".
func enumValueIdent(v string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune("-/:_", r):
			return '_'
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return -1
	}, v)
}

// columnName is a result column's name, or column_N for an expression the
// engine could not name.
func columnName(name string, i int) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("column_%d", i+1)
}
