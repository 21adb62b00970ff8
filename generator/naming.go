package generator

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jinzhu/inflection"

	"github.com/tenantc/tenantc/config"
)

// namer turns SQL names into Go names exactly as sqlc does, so that a sqlc
// project's code compiles against tenantc's output unchanged.
type namer struct {
	rename      map[string]string
	initialisms map[string]bool
	jsonStyle   string
	jsonIDUpper bool // json_tags_id_uppercase: "id" is "ID" in camel tags
}

// defaultInitialisms is sqlc's list: only "id" is upper-cased whole
// (user_id → UserID, but callback_url → CallbackUrl). Users who want more
// set gen.initialisms, as in sqlc.
var defaultInitialisms = []string{"id"}

// newNamer returns a namer for the config's renames, initialisms (nil for
// sqlc's default) and json tag style.
func newNamer(g *config.Gen) *namer {
	n := &namer{
		rename:      g.Rename,
		initialisms: map[string]bool{},
		jsonStyle:   g.JSONTagsCaseStyle,
		jsonIDUpper: g.JSONTagsIDUppercase,
	}
	list := g.Initialisms
	if list == nil {
		list = defaultInitialisms
	}
	for _, s := range list {
		n.initialisms[s] = true
	}
	return n
}

// structName converts a snake_case SQL name to an exported Go name, applying
// the config's rename map first. An initialism matches a part of the name
// case-sensitively, as in sqlc (user_id → UserID, user_Id → UserId).
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
		if n.initialisms[p] {
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

// title is strings.Title, which sqlc's naming is built on: the first letter
// of each word is title-cased, and a word starts after any character that
// is not a letter, digit, underscore or apostrophe-like mark. Keeping its
// exact behaviour keeps names identical to sqlc's.
func title(s string) string {
	return strings.Title(s) //lint:ignore SA1019 sqlc's names depend on its word splitting
}

// lowerFirst lower-cases the first letter of s: GetTicket → getTicket.
func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[size:]
}

// spreadName is a spread method parameter's name: the field name with its
// first byte lower-cased, as sqlc's toLowerCase does (PlanID → planID,
// Count_2 → count_2).
func spreadName(field string) string {
	if field == "" {
		return ""
	}
	return strings.ToLower(field[:1]) + field[1:]
}

// argName converts a snake_case parameter name to the name of a lone method
// parameter: plan_id → planID. As in sqlc, only "id" is upper-cased here,
// whatever gen.initialisms says.
func (n *namer) argName(name string) string {
	var out strings.Builder
	for i, p := range strings.Split(name, "_") {
		switch {
		case i == 0:
			out.WriteString(strings.ToLower(p))
		case p == "id":
			out.WriteString("ID")
		default:
			out.WriteString(title(p))
		}
	}
	return out.String()
}

// singular returns the model name for a table name, as sqlc does: jinzhu's
// inflection with sqlc's corrections for words it gets wrong, except for the
// names in gen.inflection_exclude_table_names.
func singular(name string, exclude []string) string {
	for _, e := range exclude {
		if strings.EqualFold(name, e) {
			return name
		}
	}
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
		"stmt", "db", "true", "false", "nil", "string", "error", "any", "len":
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
// case style, as sqlc's JSONTagName does.
func (n *namer) jsonTag(name string) string {
	switch n.jsonStyle {
	case "camel":
		id := "Id"
		if n.jsonIDUpper {
			id = "ID"
		}
		var out strings.Builder
		for i, p := range strings.Split(name, "_") {
			switch {
			case i == 0:
				out.WriteString(p)
			case p == "id":
				out.WriteString(id)
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

// camelHump is a capital run after another character, where sqlc's
// snake_case conversion starts a word.
var camelHump = regexp.MustCompile("[^A-Z][A-Z]+")

// toSnake converts a CamelCase name (an embedded model's name) to snake_case
// as sqlc does: a word starts at each run of capitals (TicketURL →
// ticket_url); names that already contain an underscore are only
// lower-cased.
func toSnake(s string) string {
	if !strings.ContainsRune(s, '_') {
		s = camelHump.ReplaceAllStringFunc(s, func(x string) string { return x[:1] + "_" + x[1:] })
	}
	return strings.ToLower(s)
}

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
