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
//
// The sqlc engine runs in a child process, a binary the caller names with
// [WithEngine]: sqlc cannot run inside the caller's process (see
// [Engine]). The tenantc command names itself; a program that embeds
// analysis runs [EngineMain] when [EngineEnv] is set, as the tenantc
// command does, and passes [ExecutableEngine].
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

	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
)

// Option configures [Analyze].
type Option func(*options)

type options struct {
	engine *Engine
}

// WithEngine sets the command that runs the sqlc engine; [Analyze] needs
// one. The tenantc command passes itself, ExecutableEngine("__sqlc"); a
// test binary passes [TestEngine]. Another program passes a binary that
// runs [EngineMain] as [Engine] describes: its own, or the tenantc binary
// with the "__sqlc" subcommand.
func WithEngine(e Engine) Option { return func(o *options) { o.engine = &e } }

// ErrNoEngine is returned by [Analyze] when no [WithEngine] option names
// the command that runs the sqlc engine.
var ErrNoEngine = errors.New("queries: no sqlc engine: pass queries.WithEngine with a binary that runs queries.EngineMain")

// Analyze analyzes the config's query files against the catalog, running
// the sqlc engine named by the [WithEngine] option in a child process
// ([ErrNoEngine] without one). Problems in the input come back as a
// [position.ErrorList] with every error found.
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
	if o.engine == nil || o.engine.Path == "" {
		return nil, ErrNoEngine
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
	run := func(ctx context.Context, files []string) (*Result, error) {
		return o.engine.run(ctx, engineSettings(cfg, dbURL), cat.Files, files, cfg.Rel)
	}

	// The engine is a child process that takes most of the time; start it
	// now and run our own checks meanwhile. Their errors come first, and
	// then the engine's run is cancelled: sqlc skips unnamed statements
	// silently and stops at its first error in a file, and we want every
	// problem. Measured on 200 tables and 1,000 queries, the overlap takes
	// the pre-checks (about a third of Analyze) off the critical path.
	eng := startEngine(ctx, run, queryFiles)
	defer eng.stop()

	c := &checker{cat: cat, shared: cfg.SharedSchema, starts: map[position.Pos]position.Pos{}, sources: map[string]*source{}}
	byName, err := c.files(queryFiles, cfg.Rel)
	if err != nil {
		return nil, err
	}
	if c.errs.Err() != nil {
		_, engineErr := eng.wait()
		c.addEngineErrors(engineErr)
		return nil, c.errs.Err()
	}

	var res *Result
	if len(byName) == 0 {
		eng.stop()
		res, err = analyzePlaceholder(ctx, run)
	} else {
		res, err = eng.wait()
	}
	if err != nil {
		// sqlc places errors in a file's first statement at 1:1, which is
		// the -- name: line; point at the statement instead, then at the
		// token the message names when there is one.
		if l := position.AsList(err); l != nil {
			return nil, c.locate(l).Err()
		}
		return nil, err
	}
	if err := markQueries(res, byName, cat, cfg.SharedSchema); err != nil {
		return nil, err
	}
	res.Catalog = trimCatalog(res.Catalog)
	return res, nil
}

// engineRun is a run of the sqlc engine under way.
type engineRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	res    *Result
	err    error
}

// startEngine starts the engine on queryFiles.
func startEngine(ctx context.Context, run func(context.Context, []string) (*Result, error), queryFiles []string) *engineRun {
	ctx, cancel := context.WithCancel(ctx)
	e := &engineRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		e.res, e.err = run(ctx, queryFiles)
	}()
	return e
}

// wait waits for the run to end and returns its result.
func (e *engineRun) wait() (*Result, error) {
	<-e.done
	return e.res, e.err
}

// stop cancels the run, if it is still under way, and waits for it.
func (e *engineRun) stop() {
	e.cancel()
	<-e.done
}

// files splits and checks the query files and returns their well-formed
// named statements by name. Problems go to c.errs; the error is for a
// file that cannot be read.
func (c *checker) files(paths []string, rel func(string) string) (map[string]*statement, error) {
	byName := map[string]*statement{}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("queries: reading query file: %w", err)
		}
		f := sqlpos.NewFile(rel(path), src)
		for _, st := range c.file(f) {
			if prev, ok := byName[st.name]; ok {
				c.errs.Add(st.pos, "query %q is already declared at %s", st.name, prev.pos)
				continue
			}
			byName[st.name] = st
		}
	}
	return byName, nil
}

// addEngineErrors adds the engine's errors in the files the pre-checks
// found clean: the engine finds what the pre-checks cannot (an unknown
// column), and a syntax error in one file should not hide another's.
func (c *checker) addEngineErrors(err error) {
	l := position.AsList(err)
	if l == nil {
		return
	}
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

// analyzePlaceholder runs the engine on a placeholder query. sqlc fails
// when there is no query at all, but the generator still needs the
// engine's catalog for the models; the result has no queries.
func analyzePlaceholder(ctx context.Context, run func(context.Context, []string) (*Result, error)) (*Result, error) {
	dir, err := os.MkdirTemp("", "tenantc-queries-")
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "placeholder.sql")
	if err := os.WriteFile(path, []byte("-- name: "+placeholder+" :exec\nSELECT 1;\n"), 0o644); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	res, err := run(ctx, []string{path})
	if err != nil {
		return nil, err
	}
	res.Queries = nil
	return res, nil
}

// markQueries gives each query of the engine's result the position of
// its name and marks its references: with the first pass's references
// when sqlc returned the statement as written, else afresh.
func markQueries(res *Result, byName map[string]*statement, cat *schema.Catalog, shared string) error {
	for _, q := range res.Queries {
		st, ok := byName[q.Name]
		if !ok {
			return fmt.Errorf("queries: sqlc reported query %q that tenantc did not find in %s", q.Name, q.File)
		}
		q.Pos = st.pos
		if st.reusable(q.SQL) {
			qualify(q, st.refs, st.scope, shared)
		} else if err := mark(q, cat, shared); err != nil {
			return fmt.Errorf("queries: marking query %s: %w", q.Name, err)
		}
		if st.scope != q.Scope {
			// Both passes walk the same tree shape; a difference means sqlc's
			// rewrite lost or added a reference, and running such a query
			// unqualified could reach another tenant's data.
			return fmt.Errorf("queries: query %s: scope %s in the query file but %s in sqlc's rewritten SQL", q.Name, st.scope, q.Scope)
		}
	}
	return nil
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
		c.errs.Add(f.Pos(sqlref.ErrorOffset(src, 0, err)), "%s", sqlref.ErrorMessage(err))
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
		errs.Add(f.Pos(start+sqlref.ErrorOffset(text, int(body[0].Start)-start, err)), "%s", sqlref.ErrorMessage(err))
		return nil
	}
	refs, problems := sqlref.Walk(c.cat, c.shared, text, tree)
	for _, p := range problems {
		errs.Add(f.Pos(start+p.Offset), "%s", p.Msg)
	}
	if st == nil || len(problems) > 0 {
		return nil
	}
	st.scope = scopeOf(refs)
	bodyStart := int(body[0].Start) - start
	st.body = text[bodyStart:]
	st.end = int(body[len(body)-1].End) - start - bodyStart
	st.refs = refs
	for i := range st.refs {
		st.refs[i].Offset -= bodyStart
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

// mark rewrites q.SQL to qualify references to shared objects with the
// shared schema and records the offsets of tenant references in the result.
func mark(q *Query, cat *schema.Catalog, shared string) error {
	tree, err := pg_query.Parse(q.SQL)
	if err != nil {
		return fmt.Errorf("parsing sqlc's rewritten SQL: %w", err)
	}
	refs, problems := sqlref.Walk(cat, shared, q.SQL, tree)
	if len(problems) > 0 {
		return fmt.Errorf("in sqlc's rewritten SQL: %s", problems[0].Msg)
	}
	qualify(q, refs, scopeOf(refs), shared)
	return nil
}

// ref is a reference to a catalog object in a statement.
type ref = sqlref.Ref[*schema.Object]

// scopeOf returns the scope of a statement with refs: tenant when any of
// them is to a tenant object.
func scopeOf(refs []ref) schema.Scope {
	if sqlref.IsTenant(refs) {
		return schema.Tenant
	}
	return schema.Shared
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
	refs = slices.SortedFunc(slices.Values(refs), func(a, b ref) int { return a.Offset - b.Offset })
	refs = slices.CompactFunc(refs, func(a, b ref) bool { return a.Offset == b.Offset })

	prefix := pgx.Identifier{shared}.Sanitize() + "."
	var b strings.Builder
	var tenant []int
	last := 0
	for _, r := range refs {
		switch {
		case r.Object.IsTenant():
			b.WriteString(q.SQL[last:r.Offset])
			last = r.Offset
			// A quoted name may follow a keyword with no space between
			// (FROM"t"); the schema prefix inserted there at run time
			// would then glue onto the keyword, so the marked text gets
			// the space.
			if s := b.String(); s != "" && sqlref.IsNameByte(s[len(s)-1]) {
				b.WriteByte(' ')
			}
			tenant = append(tenant, b.Len())
		case !r.Qualified:
			b.WriteString(q.SQL[last:r.Offset])
			b.WriteString(prefix)
			last = r.Offset
		}
	}
	b.WriteString(q.SQL[last:])
	q.SQL = b.String()
	q.TenantRefs = tenant
	q.Scope = scope
}
