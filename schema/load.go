// Package schema loads annotated DDL and builds the [Catalog] of shared and
// tenant objects.
//
// # Annotations
//
// Scope annotations are SQL line comments in the schema files:
//
//	-- tenantc:default tenant   -- file-wide default, before any statement
//	-- tenantc:shared           -- applies to the next CREATE statement
//	CREATE TABLE plans (...);
//
// The space after "--" and after "tenantc:" is optional ("--tenantc:shared"
// and "-- tenantc: shared" are the same annotation), but "tenantc:" must be
// written in lower case and directly follow the dashes and any blanks, so that
// prose such as "-- see tenantc: docs" is not an annotation. Block comments
// are never annotations. An annotation takes no trailing text: a comment on
// the same line would otherwise be mistaken for a misspelt value.
//
// "-- tenantc:ignore <reason>" is not a scope: the loader records it in
// [Catalog.Ignores] for tenantc vet.
package schema

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/position"
)

// maxSyntaxErrors bounds the syntax errors reported per file: after each one
// the broken statement is blanked out and the file parsed again, so a file
// of garbage would otherwise cost one parse per statement.
const maxSyntaxErrors = 20

// Load reads the config's schema files, applies the tenantc annotations and
// scope rules, and returns the catalog. Problems in the input come back as
// a [position.ErrorList] with every error found, sorted.
func Load(ctx context.Context, cfg *config.Config) (*Catalog, error) {
	files, err := cfg.SchemaFiles()
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	l := &loader{cfg: cfg, cat: &Catalog{Files: files, SharedSchema: cfg.SharedSchema}}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("schema: read %s: %w", cfg.Rel(path), err)
		}
		l.file(cfg.Rel(path), src)
	}
	l.finish()
	if err := l.errs.Err(); err != nil {
		return nil, err
	}
	return l.cat, nil
}

// loader carries the state of one Load across files: objects are resolved
// against the whole catalog at the end, so that a reference to an object
// declared in a later file is still checked.
type loader struct {
	cfg  *config.Config
	cat  *Catalog
	errs position.ErrorList
	refs []ref
	// implicit are the sequences that serial and identity columns create;
	// they resolve by name but are not declared objects.
	implicit []*Object
}

// file is one schema file being loaded.
type file struct {
	*sqlpos.File
	src      string
	toks     []*pg.ScanToken // tokens without comments
	comments []*pg.ScanToken // line comments, the only place for annotations
	stmts    []*stmt
	def      Scope // the file's tenantc:default, 0 when none
}

// stmt is one top-level statement of a file.
type stmt struct {
	node       *pg.Node // nil for a statement with a syntax error
	start, end int      // offsets of its first token and past its last
	toks       []*pg.ScanToken
	scope      Scope // from an annotation, 0 when none
	annotation int   // offset of that annotation's directive word
}

func (l *loader) file(name string, src []byte) {
	f := &file{File: sqlpos.NewFile(name, src)}
	text, p := l.parse(f, BlankMetaCommands(string(src)))
	if p.tree == nil {
		return // too many syntax errors: nothing else is reliable
	}
	f.src = text
	scan, err := pg.Scan(text)
	if err != nil {
		// parse succeeded on text, so the scanner cannot fail on it; keep
		// going without tokens rather than trusting that completely.
		scan = &pg.ScanResult{}
	}
	for _, t := range scan.Tokens {
		switch t.Token {
		case pg.Token_SQL_COMMENT:
			f.comments = append(f.comments, t)
		case pg.Token_C_COMMENT:
		default:
			f.toks = append(f.toks, t)
		}
	}
	for _, rs := range p.tree.Stmts {
		// A statement's span starts right after the previous semicolon and
		// so holds the comments before it; its tokens say where it starts.
		lo := int(rs.StmtLocation)
		hi := len(text)
		if rs.StmtLen > 0 {
			hi = lo + int(rs.StmtLen)
		}
		s := &stmt{node: rs.Stmt, toks: f.tokensIn(lo, hi)}
		if len(s.toks) == 0 {
			continue
		}
		s.start, s.end = int(s.toks[0].Start), int(s.toks[len(s.toks)-1].End)
		f.stmts = append(f.stmts, s)
	}
	for _, r := range p.ranges {
		f.stmts = append(f.stmts, &stmt{start: r[0], end: r[1]})
	}
	sort.Slice(f.stmts, func(i, j int) bool { return f.stmts[i].start < f.stmts[j].start })
	l.annotations(f)
	for _, s := range f.stmts {
		if s.node != nil {
			l.stmt(f, s)
		}
	}
}

// parsed is the outcome of parsing a file: the tree of what parses and the
// byte ranges blanked out after syntax errors.
type parsed struct {
	tree   *pg.ParseResult
	ranges [][2]int
}

// parse parses text, reporting each syntax error and blanking the statement
// that holds it (newlines kept, so offsets and lines do not move) until the
// rest parses. It returns the text that parsed.
func (l *loader) parse(f *file, text string) (string, parsed) {
	var p parsed
	for range maxSyntaxErrors {
		tree, err := pg.Parse(text)
		if err == nil {
			p.tree = tree
			return text, p
		}
		off := sqlref.ErrorOffset(text, 0, err)
		l.errs.Add(f.Pos(off), "%s", oneLine(sqlref.ErrorMessage(err)))
		lo, hi := statementAround(text, off)
		if strings.TrimSpace(text[lo:hi]) == "" {
			break
		}
		text = blank(text, lo, hi)
		p.ranges = append(p.ranges, [2]int{lo, hi})
	}
	// Too many errors or no progress: the rest of the file is not loaded.
	return text, p
}

// BlankMetaCommands returns src with its psql meta-command lines blanked
// out, newlines kept so that offsets do not move. Load and [Statements]
// apply it before parsing; so should any other reader of schema files.
// pg_dump writes "\restrict KEY" and "\unrestrict KEY" around a plain
// dump since PostgreSQL 17.6, 16.10, 15.14, 14.19 and 13.22, and they are
// not SQL. A line is one when it starts with a backslash and a letter, "!",
// "?" or ";", as sqlc decides (internal/migrations), so that the loader and
// sqlc's analysis of the same files agree on what is SQL.
func BlankMetaCommands(src string) string {
	var b []byte
	for off := 0; off < len(src); {
		end := strings.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += off
		}
		if end-off >= 2 && src[off] == '\\' && isMetaCommandStart(src[off+1]) {
			if b == nil {
				b = []byte(src)
			}
			for i := off; i < end; i++ {
				if b[i] != '\r' {
					b[i] = ' '
				}
			}
		}
		off = end + 1
	}
	if b == nil {
		return src
	}
	return string(b)
}

func isMetaCommandStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '!' || c == '?' || c == ';'
}

// oneLine keeps an error message on one line: PostgreSQL quotes the rest of
// the input after "at or near" when a string or comment is not terminated.
func oneLine(msg string) string {
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] + "..."
		if strings.Contains(msg, `at or near "`) {
			msg += `"`
		}
	}
	return msg
}

// statementAround returns the range from the first token of the statement
// holding off to its terminating semicolon (or the end of text). Comments
// before the statement stay, so its annotation is not reported as dangling.
func statementAround(text string, off int) (lo, hi int) {
	off = min(off, len(text))
	lo, hi = -1, len(text)
	if scan, err := pg.Scan(text[:off]); err == nil {
		for _, t := range scan.Tokens {
			switch t.Token {
			case pg.Token_ASCII_59:
				lo = -1
			case pg.Token_SQL_COMMENT, pg.Token_C_COMMENT:
			default:
				if lo < 0 {
					lo = int(t.Start)
				}
			}
		}
	}
	if lo < 0 { // the error is at the first token after a semicolon
		lo = off
	}
	if scan, err := pg.Scan(text[off:]); err == nil {
		for _, t := range scan.Tokens {
			if t.Token == pg.Token_ASCII_59 {
				hi = off + int(t.End)
				break
			}
		}
	}
	// The error may sit on whitespace past the statement (end of input).
	return min(lo, off), max(hi, off)
}

// blank replaces text[lo:hi] with spaces, keeping newlines.
func blank(text string, lo, hi int) string {
	b := []byte(text)
	for i := lo; i < hi; i++ {
		if b[i] != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// tokensIn returns the tokens starting in [lo, hi).
func (f *file) tokensIn(lo, hi int) []*pg.ScanToken {
	i := sort.Search(len(f.toks), func(i int) bool { return int(f.toks[i].Start) >= lo })
	j := sort.Search(len(f.toks), func(i int) bool { return int(f.toks[i].Start) >= hi })
	return f.toks[i:j]
}

// tokenIndex returns the index of the token starting at off, or -1.
func (f *file) tokenIndex(off int) int {
	i := sort.Search(len(f.toks), func(i int) bool { return int(f.toks[i].Start) >= off })
	if i < len(f.toks) && int(f.toks[i].Start) == off {
		return i
	}
	return -1
}

// lastPart returns the offset of the last part of an n-part dotted name
// whose first token starts at off: in "public.plans" that is "plans".
func (f *file) lastPart(off, n int) int {
	i := f.tokenIndex(off)
	if i < 0 || i+2*(n-1) >= len(f.toks) {
		return off
	}
	return int(f.toks[i+2*(n-1)].Start)
}

// directive is one "-- tenantc:" comment.
type directive struct {
	off    int // of the directive word
	word   string
	args   []string
	argOff []int
}

// parseDirective reads a line comment; ok is false when it is not a tenantc
// annotation at all.
func parseDirective(text string, start int) (d directive, ok bool) {
	body := strings.TrimPrefix(text, "--")
	rest := strings.TrimLeft(body, " \t")
	const prefix = "tenantc:"
	if !strings.HasPrefix(rest, prefix) {
		return d, false
	}
	off := start + len(text) - len(rest) + len(prefix)
	rest = rest[len(prefix):]
	var words []string
	var offs []int
	for i := 0; i < len(rest); {
		if rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\r' {
			i++
			continue
		}
		j := i
		for j < len(rest) && rest[j] != ' ' && rest[j] != '\t' && rest[j] != '\r' {
			j++
		}
		words = append(words, rest[i:j])
		offs = append(offs, off+i)
		i = j
	}
	if len(words) == 0 {
		return directive{off: off}, true
	}
	return directive{off: offs[0], word: words[0], args: words[1:], argOff: offs[1:]}, true
}

// annotations reads the file's tenantc comments and attaches them to its
// statements.
func (l *loader) annotations(f *file) {
	firstStmt := len(f.src)
	if len(f.stmts) > 0 {
		firstStmt = f.stmts[0].start
	}
	defaultAt := -1
	for _, c := range f.comments {
		start := int(c.Start)
		d, ok := parseDirective(f.src[start:c.End], start)
		if !ok {
			continue
		}
		pos := f.Pos(d.off)
		switch d.word {
		case "":
			l.errs.Add(pos, "missing tenantc directive after \"tenantc:\" (want shared, tenant or default)")
		case "default":
			switch {
			case len(d.args) == 0:
				l.errs.Add(pos, "tenantc:default needs a scope: shared or tenant")
				continue
			case d.args[0] != "shared" && d.args[0] != "tenant":
				l.errs.Add(f.Pos(d.argOff[0]), "unknown tenantc:default scope %q (want shared or tenant)", d.args[0])
				continue
			case defaultAt >= 0:
				l.errs.Add(pos, "second tenantc:default in this file (the first is at %s)", f.Pos(defaultAt))
				continue
			case start > firstStmt:
				l.errs.Add(pos, "tenantc:default must come before the first statement of the file")
				continue
			}
			if len(d.args) > 1 {
				// Still applied: the value is clear, only the rest is not.
				l.errs.Add(f.Pos(d.argOff[1]), "unexpected %q after tenantc:default %s", d.args[1], d.args[0])
			}
			defaultAt = d.off
			f.def = scopeOf(d.args[0])
		case "shared", "tenant":
			if len(d.args) > 0 {
				// Still attached, so the object does not also get a
				// "no tenantc scope" error.
				l.errs.Add(f.Pos(d.argOff[0]), "unexpected %q after tenantc:%s", d.args[0], d.word)
			}
			l.attach(f, start, d)
		case "ignore":
			l.ignore(f, start, int(c.End), d)
		default:
			l.errs.Add(pos, "unknown tenantc directive %q (want shared, tenant or default)", d.word)
		}
	}
}

// ignore records a tenantc:ignore comment spanning [start, end) for
// tenantc vet. A comment that starts its line and stands before a
// statement covers the whole statement; any other covers its own line.
func (l *loader) ignore(f *file, start, end int, d directive) {
	line := f.Pos(start).Line
	ig := Ignore{
		Pos:      f.Pos(d.off),
		Reason:   strings.TrimSpace(f.src[d.off+len(d.word) : end]),
		FromLine: line,
		ToLine:   line,
	}
	i := sort.Search(len(f.toks), func(i int) bool { return int(f.toks[i].Start) >= start })
	ownLine := i == 0 || f.Pos(int(f.toks[i-1].End)).Line < line
	j := sort.Search(len(f.stmts), func(j int) bool { return f.stmts[j].start > start })
	inside := j > 0 && start < f.stmts[j-1].end
	if ownLine && !inside && j < len(f.stmts) {
		ig.ToLine = f.Pos(f.stmts[j].end).Line
	}
	l.cat.Ignores = append(l.cat.Ignores, ig)
}

// attach gives a scope annotation at offset start to the statement after it.
func (l *loader) attach(f *file, start int, d directive) {
	i := sort.Search(len(f.stmts), func(i int) bool { return f.stmts[i].start > start })
	if i > 0 && start < f.stmts[i-1].end {
		l.errs.Add(f.Pos(d.off), "tenantc:%s inside a statement; put it on a line before the CREATE statement", d.word)
		return
	}
	if i == len(f.stmts) {
		l.errs.Add(f.Pos(d.off), "tenantc:%s has no CREATE statement after it", d.word)
		return
	}
	s := f.stmts[i]
	switch {
	case s.node == nil:
		// The statement has a syntax error, already reported.
	case !isScoped(s.node):
		l.errs.Add(f.Pos(d.off), "tenantc:%s must be followed by CREATE TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE, TYPE, DOMAIN, FUNCTION or PROCEDURE", d.word)
	case s.scope != 0:
		l.errs.Add(f.Pos(d.off), "second tenantc scope annotation for one statement (the first is at %s)", f.Pos(s.annotation))
	default:
		s.scope, s.annotation = scopeOf(d.word), d.off
	}
}

func scopeOf(word string) Scope {
	if word == "shared" {
		return Shared
	}
	return Tenant
}

// isScoped reports whether n creates an object that needs a scope.
func isScoped(n *pg.Node) bool {
	switch n := n.Node.(type) {
	case *pg.Node_CreateStmt, *pg.Node_ViewStmt, *pg.Node_CreateSeqStmt,
		*pg.Node_CreateEnumStmt, *pg.Node_CompositeTypeStmt,
		*pg.Node_CreateDomainStmt, *pg.Node_CreateFunctionStmt:
		return true
	case *pg.Node_CreateTableAsStmt:
		t := n.CreateTableAsStmt.Objtype
		return t == pg.ObjectType_OBJECT_TABLE || t == pg.ObjectType_OBJECT_MATVIEW
	}
	return false
}

// scopeFor returns the scope of an object declared by s: its annotation,
// else the file's default, else the config's default_scope.
func (l *loader) scopeFor(f *file, s *stmt) Scope {
	switch {
	case s.scope != 0:
		return s.scope
	case f.def != 0:
		return f.def
	case l.cfg.DefaultScope == "shared":
		return Shared
	case l.cfg.DefaultScope == "tenant":
		return Tenant
	}
	return 0
}

// finish resolves references across all files and checks the registry
// table.
func (l *loader) finish() {
	for _, o := range l.implicit {
		if _, ok := l.cat.relations[o.Name]; !ok {
			l.cat.relations[o.Name] = o
		}
	}
	for _, r := range l.refs {
		l.resolve(r)
	}
	l.checkRegistry()
}

// checkRegistry enforces the contract on the tenants table when the schema
// declares it: shared, a table, with the columns the runtime reads.
func (l *loader) checkRegistry() {
	name := l.cfg.Registry.Table
	o, ok := l.cat.Relation(name)
	if !ok || !slices.Contains(l.cat.Objects, o) {
		return
	}
	switch {
	case o.Scope == Tenant:
		l.errs.Add(o.Pos, "tenant %s %q has the name of the registry table, which must be shared", o.Kind, o.Name)
	case o.Kind != Table:
		l.errs.Add(o.Pos, "registry table %q must be a table, not a %s", o.Name, o.Kind)
	case o.Columns != nil:
		for _, col := range []string{"id", "schema_name"} {
			if !slices.Contains(o.Columns, col) {
				l.errs.Add(o.Pos, "registry table %q has no column %q", o.Name, col)
			}
		}
	}
}
