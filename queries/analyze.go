// Package queries analyzes sqlc-syntax query files: it runs the embedded
// sqlc engine for types, finds every reference to a schema object with
// pg_query, infers each query's scope and marks its tenant references.
//
// Analysis runs in two passes. The first reads the query files itself,
// statement by statement, and reports every problem tenantc cares about
// (missing or malformed -- name: comments, duplicate names, schema-qualified
// tenant objects, search_path changes, syntax errors) before sqlc runs, so
// that they are reported even where sqlc would fail or silently skip a
// statement. The second takes the SQL text sqlc rewrote (named parameters
// replaced, stars expanded), qualifies shared references with the shared
// schema and records the byte offset of every tenant reference.
package queries

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
)

// Option configures [Analyze].
type Option func(*options)

type options struct {
	engine *Engine
}

// WithEngine sets the command that runs sqlc. The default re-executes the
// running binary with the hidden "__sqlc" subcommand, which is right for
// the tenantc binary; tests use [TestEngine].
func WithEngine(e Engine) Option { return func(o *options) { o.engine = &e } }

// Analyze analyzes the config's query files against the catalog. Problems in
// the input come back as a [position.ErrorList] with every error found.
//
// In the result, each query's SQL is sqlc's rewritten text with every
// reference to a shared object qualified with the quoted shared schema;
// its TenantRefs mark where the tenant's schema goes (see [Query.SQLFor]),
// its Scope is [schema.Tenant] when it touches any tenant object, and its
// Pos is the position of its name. The catalog holds the engine's view of
// the user's types and tables only, without PostgreSQL's own schemas.
func Analyze(ctx context.Context, cfg *config.Config, cat *schema.Catalog, opts ...Option) (*Result, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.engine == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("queries: locating the tenantc binary: %w", err)
		}
		o.engine = &Engine{Path: exe, Args: []string{"__sqlc"}}
	}
	queryFiles, err := cfg.QueryFiles()
	if err != nil {
		return nil, err
	}
	var dbURL string
	if usesDatabase(cfg) {
		db, err := openAnalysisDB(ctx, cfg, cat.Files)
		if err != nil {
			return nil, err
		}
		defer db.close()
		dbURL = db.url
	}

	// The engine is a child process that takes most of the time; start it
	// now and run our own checks meanwhile. Their errors come first, and
	// then the engine's run is cancelled: sqlc skips unnamed statements
	// silently and stops at its first error in a file, and we want every
	// problem. Measured on 200 tables and 1,000 queries, the overlap takes
	// the pre-checks (about a third of Analyze) off the critical path.
	engineCtx, cancelEngine := context.WithCancel(ctx)
	defer cancelEngine()
	type engineResult struct {
		res *Result
		err error
	}
	engineDone := make(chan engineResult, 1)
	go func() {
		res, err := o.engine.run(engineCtx, engineSettings(cfg, dbURL), cat.Files, queryFiles, cfg.Rel)
		engineDone <- engineResult{res, err}
	}()
	stopEngine := func() {
		cancelEngine()
		<-engineDone
	}

	c := &checker{cat: cat, shared: cfg.SharedSchema, starts: map[position.Pos]position.Pos{}, sources: map[string]*source{}}
	byName := map[string]*statement{}
	for _, path := range queryFiles {
		src, err := os.ReadFile(path)
		if err != nil {
			stopEngine()
			return nil, fmt.Errorf("queries: reading query file: %w", err)
		}
		f := sqlpos.NewFile(cfg.Rel(path), src)
		for _, st := range c.file(f) {
			if prev, ok := byName[st.name]; ok {
				c.errs.Add(st.pos, "query %q is already declared at %s", st.name, prev.pos)
				continue
			}
			byName[st.name] = st
		}
	}
	if c.errs.Err() != nil {
		// The engine finds what the pre-checks cannot (an unknown column):
		// report its errors in the files the pre-checks found clean, so
		// that a syntax error in one file does not hide another's.
		er := <-engineDone
		if l := position.AsList(er.err); l != nil {
			bad := map[string]bool{}
			for _, e := range c.errs {
				bad[e.Pos.File] = true
			}
			for _, e := range c.locate(l) {
				if !bad[e.Pos.File] {
					c.errs = append(c.errs, e)
				}
			}
		}
		return nil, c.errs.Err()
	}

	var er engineResult
	if len(byName) == 0 {
		stopEngine()
		// sqlc fails when there is no query at all, but the generator still
		// needs the engine's catalog for the models: analyze a placeholder.
		dir, err := os.MkdirTemp("", "tenantc-queries-")
		if err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "placeholder.sql")
		if err := os.WriteFile(path, []byte("-- name: "+placeholder+" :exec\nSELECT 1;\n"), 0o644); err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		er.res, er.err = o.engine.run(ctx, engineSettings(cfg, dbURL), cat.Files, []string{path}, cfg.Rel)
	} else {
		er = <-engineDone
	}
	res, err := er.res, er.err
	if err != nil {
		// sqlc places errors in a file's first statement at 1:1, which is
		// the -- name: line; point at the statement instead, then at the
		// token the message names when there is one.
		if l := position.AsList(err); l != nil {
			return nil, c.locate(l).Err()
		}
		return nil, err
	}
	if len(byName) == 0 {
		res.Queries = nil
	}
	for _, q := range res.Queries {
		st, ok := byName[q.Name]
		if !ok {
			return nil, fmt.Errorf("queries: sqlc reported query %q that tenantc did not find in %s", q.Name, q.File)
		}
		q.Pos = st.pos
		if st.reusable(q.SQL) {
			qualify(q, st.refs, st.scope, cfg.SharedSchema)
		} else if err := mark(q, cat, cfg.SharedSchema); err != nil {
			return nil, fmt.Errorf("queries: marking query %s: %w", q.Name, err)
		}
		if st.scope != q.Scope {
			// Both passes walk the same tree shape; a difference means sqlc's
			// rewrite lost or added a reference, and running such a query
			// unqualified could reach another tenant's data.
			return nil, fmt.Errorf("queries: query %s: scope %s in the query file but %s in sqlc's rewritten SQL", q.Name, st.scope, q.Scope)
		}
	}
	res.Catalog = trimCatalog(res.Catalog)
	return res, nil
}

// locate moves the engine's errors from where sqlc places them to the
// token they name.
func (c *checker) locate(l position.ErrorList) position.ErrorList {
	for _, e := range l {
		if p, ok := c.starts[e.Pos]; ok {
			e.Pos = p
		}
		if s, ok := c.sources[e.Pos.File]; ok {
			e.Pos = s.locate(e.Pos, e.Msg)
		}
	}
	return l
}

// SQLFor returns q.SQL with schemaPrefix inserted at every tenant reference.
// schemaPrefix is a quoted schema name followed by a dot, e.g. `"tenant_1".`;
// it is used as is.
func (q *Query) SQLFor(schemaPrefix string) string {
	var b strings.Builder
	b.Grow(len(q.SQL) + len(q.TenantRefs)*len(schemaPrefix))
	last := 0
	for _, off := range q.TenantRefs {
		b.WriteString(q.SQL[last:off])
		b.WriteString(schemaPrefix)
		last = off
	}
	b.WriteString(q.SQL[last:])
	return b.String()
}

// trimCatalog drops the engine's built-in schemas: the generator needs only
// the user's tables, enums and composite types, and pg_catalog alone is
// thousands of tables.
func trimCatalog(c *Catalog) *Catalog {
	if c == nil {
		return nil
	}
	c.Schemas = slices.DeleteFunc(c.Schemas, func(s *Schema) bool {
		return strings.HasPrefix(s.Name, "pg_") || s.Name == "information_schema"
	})
	return c
}

// statement is a named query as tenantc's own pass over a query file sees it.
type statement struct {
	name  string
	pos   position.Pos // of the name in the -- name: comment
	scope schema.Scope
	// body is the statement from its first token to its end, and refs its
	// references with offsets into body. sqlc returns most statements as
	// this text exactly, and then marking reuses refs instead of parsing
	// the statement a second time. end is where its last token ends in
	// body: what follows is the ";", spaces and comments.
	body string
	end  int
	refs []ref
}

// placeholder names the query analyzed when the query files hold none.
const placeholder = "TenantcPlaceholder"

// commands are the sqlc query commands tenantc supports, space-separated.
const commands = ":one :many :exec :execrows :execresult :copyfrom :batchexec :batchmany :batchone"

// checker runs tenantc's own checks over the query files.
type checker struct {
	cat    *schema.Catalog
	shared string
	errs   position.ErrorList
	// starts maps the position where each statement's text begins (after
	// the previous ";") to the position of its first token.
	starts map[position.Pos]position.Pos
	// sources holds each query file's statements by printed path.
	sources map[string]*source
}

// file splits a query file into statements and checks each. It returns the
// well-formed named statements.
//
// Statements are split at the scanner's ";" tokens rather than by parsing
// the whole file, so that a syntax error in one statement does not hide the
// problems of the others.
func (c *checker) file(f *sqlpos.File) []*statement {
	src := string(f.Src)
	scan, err := pg_query.Scan(src)
	if err != nil {
		c.errs.Add(f.Pos(errorOffset(src, 0, err)), "%s", errorMessage(err))
		return nil
	}
	var out []*statement
	s := &source{file: f}
	c.sources[f.Name] = s
	start, from := 0, 0
	for i, tok := range scan.Tokens {
		if tok.Token != pg_query.Token_ASCII_59 && i < len(scan.Tokens)-1 {
			continue
		}
		toks := scan.Tokens[from : i+1]
		end := int(tok.End)
		s.spans = append(s.spans, span{start: start, end: end, toks: toks})
		if st := c.statement(f, src, start, end, toks); st != nil {
			out = append(out, st)
		}
		start, from = end, i+1
	}
	return out
}

// statement checks the statement src[start:end] of f, whose tokens are
// toks (comments included, the closing ";" last when there is one).
func (c *checker) statement(f *sqlpos.File, src string, start, end int, toks []*pg_query.ScanToken) *statement {
	errs := &c.errs
	var body []*pg_query.ScanToken
	semicolon := false
	for _, t := range toks {
		switch t.Token {
		case pg_query.Token_SQL_COMMENT, pg_query.Token_C_COMMENT:
		case pg_query.Token_ASCII_59:
			semicolon = true
		default:
			body = append(body, t)
		}
	}

	// sqlc reads the first comment that starts a line (or starts the text
	// after the previous ";") and begins with "name"; mirror it exactly so
	// that both passes name the same statements.
	var (
		st       *statement
		named    bool
		indented *pg_query.ScanToken
	)
	for _, t := range toks {
		if t.Token != pg_query.Token_SQL_COMMENT && t.Token != pg_query.Token_C_COMMENT {
			continue
		}
		// Like sqlc, read the rest of the line, not only the comment.
		text := src[t.Start:]
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[:i]
		}
		if !isNameComment(text) {
			continue
		}
		if int(t.Start) != start && f.Pos(int(t.Start)).Col != 1 {
			if indented == nil {
				indented = t
			}
			continue
		}
		named = true
		st = parseNameComment(f, int(t.Start), text, errs)
		break
	}
	if len(body) > 0 {
		c.starts[f.Pos(start)] = f.Pos(int(body[0].Start))
	}

	if len(body) == 0 {
		if st != nil {
			errs.Add(st.pos, "query %q has no statement", st.name)
		}
		return nil
	}
	if !semicolon {
		last := body[len(body)-1]
		errs.Add(f.Pos(int(last.End)), "missing semicolon at the end of the statement")
	}
	if !named {
		if indented != nil {
			errs.Add(f.Pos(int(indented.Start)), "the -- name: comment must start its line, or sqlc ignores it")
		} else {
			errs.Add(f.Pos(int(body[0].Start)), "statement has no -- name: comment (sqlc would skip it silently)")
		}
	}

	text := src[start:end]
	tree, err := pg_query.Parse(text)
	if err != nil {
		errs.Add(f.Pos(start+errorOffset(text, int(body[0].Start)-start, err)), "%s", errorMessage(err))
		return nil
	}
	w := &walker{cat: c.cat, shared: c.shared, src: text}
	w.statements(tree)
	for _, p := range w.problems {
		errs.Add(f.Pos(start+p.off), "%s", p.msg)
	}
	if st == nil || len(w.problems) > 0 {
		return nil
	}
	st.scope = w.scope()
	bodyStart := int(body[0].Start) - start
	st.body = text[bodyStart:]
	st.end = int(body[len(body)-1].End) - start - bodyStart
	st.refs = w.refs
	for i := range st.refs {
		st.refs[i].off -= bodyStart
	}
	return st
}

// isNameComment reports whether sqlc treats the line starting with a
// comment as its query name comment (and so fails on it when it is
// malformed).
func isNameComment(line string) bool {
	if !strings.HasPrefix(line, "--") && !strings.HasPrefix(line, "/*") {
		return false
	}
	rest := line[2:]
	return strings.HasPrefix(strings.TrimSpace(rest), "name") && strings.Contains(rest, ":")
}

// parseNameComment reads "-- name: Name :cmd" (or "/* name: Name :cmd */")
// from the line starting at offset off; it reports a problem and returns nil
// when the comment is malformed. It splits the line as sqlc does.
func parseNameComment(f *sqlpos.File, off int, line string, errs *position.ErrorList) *statement {
	const usage = `want "-- name: Name :command"`
	if !strings.HasPrefix(line[2:], " name: ") {
		errs.Add(f.Pos(off), "malformed query comment; %s", usage)
		return nil
	}
	// sqlc splits on single spaces, so two spaces make an empty field, and
	// drops the last field of a /* */ comment, its "*/".
	parts := strings.Split(strings.TrimSpace(line), " ")
	if strings.HasPrefix(line, "/*") {
		parts = parts[:len(parts)-1]
	}
	nameOff := off + len(parts[0]) + 1 + len(parts[1]) + 1
	switch {
	case len(parts) == 3:
		errs.Add(f.Pos(nameOff), "query %q has no command; want one of %s", parts[2], commands)
		return nil
	case len(parts) != 4 || parts[2] == "":
		errs.Add(f.Pos(off), "malformed query comment; %s", usage)
		return nil
	}
	name, cmd := parts[2], strings.TrimSpace(parts[3])
	cmdOff := nameOff + len(name) + 1
	ok := true
	if !isGoIdent(name) {
		errs.Add(f.Pos(nameOff), "query name %q is not a Go identifier", name)
		ok = false
	}
	switch {
	case cmd == ":execlastid":
		errs.Add(f.Pos(cmdOff), ":execlastid is MySQL/SQLite only in sqlc; use :one with RETURNING")
		ok = false
	case !slices.Contains(strings.Fields(commands), cmd):
		errs.Add(f.Pos(cmdOff), "unknown query command %q; want one of %s", cmd, commands)
		ok = false
	}
	if !ok {
		return nil
	}
	return &statement{name: name, pos: f.Pos(nameOff)}
}

// isGoIdent mirrors sqlc's check of query names.
func isGoIdent(s string) bool {
	for i, r := range s {
		letter := r == '_' || unicode.IsLetter(r)
		if !letter && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// errorOffset returns the byte offset in text of a pg_query error; fallback
// when the error carries no position. pg_query's cursor position counts
// characters from 1, not bytes.
func errorOffset(text string, fallback int, err error) int {
	var pe *parser.Error
	if !errors.As(err, &pe) || pe.Cursorpos <= 0 {
		return fallback
	}
	off, n := 0, pe.Cursorpos-1
	for n > 0 && off < len(text) {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
		n--
	}
	return off
}

func errorMessage(err error) string {
	var pe *parser.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// mark rewrites q.SQL to qualify references to shared objects with the
// shared schema and records the offsets of tenant references in the result.
func mark(q *Query, cat *schema.Catalog, shared string) error {
	tree, err := pg_query.Parse(q.SQL)
	if err != nil {
		return fmt.Errorf("parsing sqlc's rewritten SQL: %w", err)
	}
	w := &walker{cat: cat, shared: shared, src: q.SQL}
	w.statements(tree)
	if len(w.problems) > 0 {
		return fmt.Errorf("in sqlc's rewritten SQL: %s", w.problems[0].msg)
	}
	qualify(q, w.refs, w.scope(), shared)
	return nil
}

// reusable reports whether sqlc's text for the statement is the text as
// written, every token of it, so that the first pass's references (all
// inside its tokens) are this text's. sqlc rewrites some statements
// (sqlc.arg, @name, * expansion); those are marked afresh.
func (st *statement) reusable(sql string) bool {
	return len(sql) >= st.end && strings.HasPrefix(st.body, sql)
}

// qualify rewrites q.SQL, whose references to catalog objects are refs
// and whose scope is scope: references to shared objects get the shared
// schema, and the offsets of tenant references go to q.TenantRefs.
func qualify(q *Query, refs []ref, scope schema.Scope, shared string) {
	refs = slices.SortedFunc(slices.Values(refs), func(a, b ref) int { return a.off - b.off })
	refs = slices.CompactFunc(refs, func(a, b ref) bool { return a.off == b.off })

	prefix := pgx.Identifier{shared}.Sanitize() + "."
	var b strings.Builder
	var tenant []int
	last := 0
	for _, r := range refs {
		switch {
		case r.obj.Scope == schema.Tenant:
			b.WriteString(q.SQL[last:r.off])
			last = r.off
			// A quoted name may follow a keyword with no space between
			// (FROM"t"); the schema prefix inserted there at run time
			// would then glue onto the keyword, so the marked text gets
			// the space.
			if s := b.String(); s != "" && isNameByte(s[len(s)-1]) {
				b.WriteByte(' ')
			}
			tenant = append(tenant, b.Len())
		case !r.qualified:
			b.WriteString(q.SQL[last:r.off])
			b.WriteString(prefix)
			last = r.off
		}
	}
	b.WriteString(q.SQL[last:])
	q.SQL = b.String()
	q.TenantRefs = tenant
	q.Scope = scope
}

// Reference is a reference to a catalog object in SQL text.
type Reference struct {
	Object *schema.Object
	// Offset is the byte offset of the object's name, or of the first byte
	// inside the string literal of nextval('seq') and 'name'::regclass; for
	// a qualified name, of the schema name.
	Offset int
	// Qualified is set when the text names the shared schema explicitly.
	Qualified bool
}

// Problem is a reason tenantc rejects SQL text: a schema-qualified tenant
// object, a shared object in another schema, a change of search_path.
type Problem struct {
	Offset int // byte offset of the offending token
	Msg    string
}

// FindReferences parses sql (any number of statements) and returns its
// references to catalog objects in text order, and its problems. Names are
// resolved as PostgreSQL resolves them: folded, a WITH query shadowing a
// table of the same name in its scope, and a name the catalog does not hold
// is no reference. A syntax error is returned as an error.
func FindReferences(cat *schema.Catalog, sharedSchema, sql string) ([]Reference, []Problem, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, nil, fmt.Errorf("queries: parsing SQL at byte %d: %s", errorOffset(sql, 0, err), errorMessage(err))
	}
	w := &walker{cat: cat, shared: sharedSchema, src: sql}
	w.statements(tree)
	refs := make([]Reference, 0, len(w.refs))
	for _, r := range w.refs {
		refs = append(refs, Reference{Object: r.obj, Offset: r.off, Qualified: r.qualified})
	}
	slices.SortFunc(refs, func(a, b Reference) int { return a.Offset - b.Offset })
	probs := make([]Problem, 0, len(w.problems))
	for _, p := range w.problems {
		probs = append(probs, Problem{Offset: p.off, Msg: p.msg})
	}
	slices.SortFunc(probs, func(a, b Problem) int { return a.Offset - b.Offset })
	return refs, probs, nil
}

// ref is one reference to a catalog object in a statement.
type ref struct {
	obj *schema.Object
	// off is where a schema prefix goes: the first byte of the object's
	// name, or the first byte inside the string literal of nextval('seq').
	off int
	// qualified is set when the text already names the shared schema.
	qualified bool
}

// problem is a reason to reject a statement, at a byte offset.
type problem struct {
	off int
	msg string
}

// cteScope lists the WITH query names visible at a point of a statement;
// an unqualified name in FROM resolves to one of them before any table.
type cteScope struct {
	name string
	next *cteScope
}

func (s *cteScope) has(name string) bool {
	for ; s != nil; s = s.next {
		if s.name == name {
			return true
		}
	}
	return false
}

// walker finds the catalog references of a parsed statement. Names in the
// tree are already folded by the parser (quoted names keep their case), as
// are the catalog's, so lookups compare them directly.
type walker struct {
	cat      *schema.Catalog
	shared   string
	src      string // text the tree was parsed from; offsets are into it
	start    int    // of the current statement in src
	end      int
	refs     []ref
	problems []problem
}

func (w *walker) scope() schema.Scope {
	for _, r := range w.refs {
		if r.obj.Scope == schema.Tenant {
			return schema.Tenant
		}
	}
	return schema.Shared
}

func (w *walker) problemf(off int, format string, args ...any) {
	w.problems = append(w.problems, problem{off: off, msg: fmt.Sprintf(format, args...)})
}

// statements visits every statement of tree.
func (w *walker) statements(tree *pg_query.ParseResult) {
	for _, raw := range tree.Stmts {
		w.start, w.end = int(raw.StmtLocation), len(w.src)
		if raw.StmtLen > 0 {
			w.end = w.start + int(raw.StmtLen)
		}
		w.node(raw.Stmt, nil)
	}
}

// node visits one tree node with the CTE names visible at it.
func (w *walker) node(m proto.Message, sc *cteScope) {
	switch n := m.(type) {
	case nil:
	case *pg_query.Node:
		if n != nil {
			w.children(n, sc)
		}
	case *pg_query.SelectStmt:
		sc = w.with(n.WithClause, sc)
		w.children(n, sc, "with_clause")
	// The target of INSERT, UPDATE, DELETE and MERGE is always a table,
	// never a WITH query, even when one has the same name.
	case *pg_query.InsertStmt:
		sc = w.with(n.WithClause, sc)
		w.rangeVar(n.Relation, nil)
		w.children(n, sc, "with_clause", "relation")
	case *pg_query.UpdateStmt:
		sc = w.with(n.WithClause, sc)
		w.rangeVar(n.Relation, nil)
		w.children(n, sc, "with_clause", "relation")
	case *pg_query.DeleteStmt:
		sc = w.with(n.WithClause, sc)
		w.rangeVar(n.Relation, nil)
		w.children(n, sc, "with_clause", "relation")
	case *pg_query.MergeStmt:
		sc = w.with(n.WithClause, sc)
		w.rangeVar(n.Relation, nil)
		w.children(n, sc, "with_clause", "relation")
	case *pg_query.RangeVar:
		w.rangeVar(n, sc)
	case *pg_query.FuncCall:
		w.funcCall(n)
		w.children(n, sc)
	case *pg_query.TypeCast:
		if isBuiltin(n.TypeName, "regclass") {
			if c := n.Arg.GetAConst(); c != nil {
				w.regclass(c)
			}
		}
		w.children(n, sc)
	case *pg_query.TypeName:
		w.resolve(n.Names, int(n.Location), w.cat.Type)
	case *pg_query.VariableSetStmt:
		if n.Name == "search_path" || n.Kind == pg_query.VariableSetKind_VAR_RESET_ALL {
			w.problemf(w.searchPathToken(), "query changes search_path; tenantc qualifies each tenant reference in the SQL text instead")
		}
	default:
		w.children(m, sc)
	}
}

// children visits the message fields of m, except the named ones.
func (w *walker) children(m proto.Message, sc *cteScope, skip ...string) {
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() || slices.Contains(skip, string(fd.Name())) {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := range l.Len() {
				w.node(l.Get(i).Message().Interface(), sc)
			}
			return true
		}
		w.node(v.Message().Interface(), sc)
		return true
	})
}

// with visits the WITH queries of wc and returns the scope of the statement
// they belong to. A non-recursive WITH query sees only the ones before it;
// in WITH RECURSIVE every one sees all of them.
func (w *walker) with(wc *pg_query.WithClause, sc *cteScope) *cteScope {
	if wc == nil {
		return sc
	}
	var ctes []*pg_query.CommonTableExpr
	for _, n := range wc.Ctes {
		if c := n.GetCommonTableExpr(); c != nil {
			ctes = append(ctes, c)
		}
	}
	all := sc
	for _, c := range ctes {
		all = &cteScope{name: c.Ctename, next: all}
	}
	inner := sc
	for _, c := range ctes {
		if wc.Recursive {
			w.node(c.Ctequery, all)
		} else {
			w.node(c.Ctequery, inner)
			inner = &cteScope{name: c.Ctename, next: inner}
		}
	}
	return all
}

func (w *walker) rangeVar(rv *pg_query.RangeVar, sc *cteScope) {
	if rv == nil {
		return
	}
	if rv.Schemaname == "" && sc.has(rv.Relname) {
		return
	}
	var names []string
	if rv.Schemaname != "" {
		names = append(names, rv.Schemaname)
	}
	names = append(names, rv.Relname)
	w.resolveNames(names, int(rv.Location), w.cat.Relation)
}

func (w *walker) funcCall(fc *pg_query.FuncCall) {
	names := stringNodes(fc.Funcname)
	if len(names) == 2 && names[0] == "sqlc" {
		return // sqlc.arg, sqlc.narg, sqlc.slice, sqlc.embed: macros, not functions
	}
	if len(names) == 1 || len(names) == 2 && names[0] == "pg_catalog" {
		var arg *pg_query.A_Const
		if len(fc.Args) > 0 {
			arg = fc.Args[0].GetAConst()
		}
		switch names[len(names)-1] {
		case "nextval", "currval", "setval":
			if arg != nil {
				w.regclass(arg)
			}
		case "set_config":
			if arg != nil && strings.EqualFold(arg.GetSval().GetSval(), "search_path") {
				w.problemf(int(arg.Location), "query changes search_path; tenantc qualifies each tenant reference in the SQL text instead")
			}
		}
	}
	w.resolve(fc.Funcname, int(fc.Location), w.cat.Function)
}

// regclass resolves a string literal that PostgreSQL reads as a relation
// name (the argument of nextval, or 'name'::regclass).
func (w *walker) regclass(c *pg_query.A_Const) {
	s := c.GetSval()
	if s == nil {
		return
	}
	names, ok := splitQualified(s.Sval)
	if !ok {
		return
	}
	// A schema goes right after the opening quote; only plain and E''
	// literals start their contents at a known place.
	off := int(c.Location)
	switch {
	case off < len(w.src) && w.src[off] == '\'':
		off++
	case off+1 < len(w.src) && (w.src[off] == 'E' || w.src[off] == 'e') && w.src[off+1] == '\'':
		off += 2
	case len(names) == 1:
		w.unqualifiable(names, off)
		return
	}
	// PostgreSQL skips blanks before the name (' seq'); the schema goes
	// before the name itself. A name that starts with an escape (E'\164')
	// has no byte offset the runtime could qualify it at.
	for off < len(w.src) && strings.IndexByte(" \t\n\r\f\v", w.src[off]) >= 0 {
		off++
	}
	if off >= len(w.src) || w.src[off] == '\\' {
		if len(names) == 1 {
			w.unqualifiable(names, off)
		}
		return
	}
	w.resolveNames(names, off, w.cat.Relation)
}

// unqualifiable reports a regclass literal naming a catalog relation in a
// form tenantc cannot qualify.
func (w *walker) unqualifiable(names []string, off int) {
	if o, ok := w.cat.Relation(names[0]); ok {
		w.problemf(off, "write the name of %s %s %q as a plain '...' string literal so that tenantc can qualify it", o.Scope, o.Kind, o.Name)
	}
}

// resolve resolves a name given as a list of String nodes.
func (w *walker) resolve(nodes []*pg_query.Node, off int, lookup func(string) (*schema.Object, bool)) {
	w.resolveNames(stringNodes(nodes), off, lookup)
}

// resolveNames records a reference when names (schema-qualified or not)
// name a catalog object; off is where the name starts.
func (w *walker) resolveNames(names []string, off int, lookup func(string) (*schema.Object, bool)) {
	if len(names) == 3 {
		names = names[1:] // a database name; PostgreSQL checks it is the current one
	}
	switch len(names) {
	case 1:
		if o, ok := lookup(names[0]); ok {
			w.refs = append(w.refs, ref{obj: o, off: off})
		}
	case 2:
		qual := names[0]
		if qual == "pg_catalog" || qual == "information_schema" {
			return
		}
		o, ok := lookup(names[1])
		switch {
		case !ok:
		case o.Scope == schema.Tenant:
			w.problemf(off, "tenant %s %q must not be schema-qualified; tenantc qualifies it with the tenant's schema", o.Kind, o.Name)
		case qual != w.shared:
			w.problemf(off, "shared %s %q is qualified with schema %q, but shared objects live in %q", o.Kind, o.Name, qual, w.shared)
		default:
			w.refs = append(w.refs, ref{obj: o, off: off, qualified: true})
		}
	}
}

// searchPathToken returns the offset of the search_path token of the
// current statement, or of its first token when it does not spell it (SET
// SCHEMA, RESET ALL).
func (w *walker) searchPathToken() int {
	text := w.src[w.start:w.end]
	scan, err := pg_query.Scan(text)
	if err != nil {
		return w.start
	}
	first := -1
	for _, t := range scan.Tokens {
		if t.Token == pg_query.Token_SQL_COMMENT || t.Token == pg_query.Token_C_COMMENT {
			continue
		}
		if first < 0 {
			first = int(t.Start)
		}
		tok := text[t.Start:t.End]
		if strings.EqualFold(tok, "search_path") || tok == `"search_path"` {
			return w.start + int(t.Start)
		}
	}
	return w.start + max(first, 0)
}

// isBuiltin reports whether tn names the built-in type name.
func isBuiltin(tn *pg_query.TypeName, name string) bool {
	if tn == nil || len(tn.ArrayBounds) > 0 {
		return false
	}
	names := stringNodes(tn.Names)
	return len(names) == 1 && names[0] == name || len(names) == 2 && names[0] == "pg_catalog" && names[1] == name
}

func stringNodes(nodes []*pg_query.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.GetString_().GetSval())
	}
	return out
}

// splitQualified splits a possibly qualified name written inside a string
// literal, folding it as PostgreSQL's regclass input does: unquoted parts
// are lower-cased, "quoted" parts kept. ok is false for text that is not a
// name (an OID, say).
func splitQualified(s string) (names []string, ok bool) {
	s = strings.TrimSpace(s)
	for {
		var part string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
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
			part, s = b.String(), strings.TrimSpace(s[i:])
		} else {
			i := strings.IndexByte(s, '.')
			if i < 0 {
				i = len(s)
			}
			part, s = strings.TrimSpace(s[:i]), s[i:]
			if part == "" || strings.ContainsAny(part, `" `) || part[0] >= '0' && part[0] <= '9' {
				return nil, false
			}
			part = asciiLower(part)
		}
		names = append(names, part)
		if s == "" {
			return names, len(names) <= 3
		}
		if s[0] != '.' {
			return nil, false
		}
		s = strings.TrimSpace(s[1:])
	}
}

// isNameByte reports whether c can be part of an unquoted identifier or
// keyword.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// asciiLower folds like PostgreSQL's downcase_identifier in UTF-8
// databases: ASCII letters only.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
