package sqlref

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Object is an object of a [Catalog].
type Object interface {
	comparable
	// IsTenant reports whether the object lives in every tenant's schema
	// rather than once, in the shared schema.
	IsTenant() bool
	// String names the object in messages: its kind and quoted name, as
	// in table "orders".
	String() string
}

// Catalog resolves folded object names in the three namespaces SQL text
// names objects in. *schema.Catalog is one.
type Catalog[O Object] interface {
	Relation(name string) (O, bool)
	Type(name string) (O, bool)
	Function(name string) (O, bool)
}

// Ref is a reference to a catalog object in SQL text.
type Ref[O Object] struct {
	Object O
	// Offset is where a schema prefix goes: the byte offset of the
	// object's name, or of the first byte inside the string literal of
	// nextval('seq') and 'name'::regclass; for a name qualified with the
	// shared schema, of the schema name.
	Offset int
	// Qualified is set when the text names the shared schema explicitly.
	Qualified bool
}

// Problem is a reason tenantc rejects SQL text: a schema-qualified tenant
// object, a shared object in another schema, a change of search_path, a
// relation name written where it cannot be qualified.
type Problem struct {
	Offset int // byte offset of the offending token
	Msg    string
}

// Find parses sql (any number of statements) and returns its references
// to catalog objects and its problems, each sorted by offset. Names are
// resolved as PostgreSQL resolves them: folded, a WITH query shadowing a
// table of the same name in its scope, and a name the catalog does not
// hold is no reference. sharedSchema is the schema shared objects may be
// qualified with. A syntax error is returned as an error.
func Find[O Object](cat Catalog[O], sharedSchema, sql string) ([]Ref[O], []Problem, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing SQL at byte %d: %s", ErrorOffset(sql, 0, err), ErrorMessage(err))
	}
	refs, problems := Walk(cat, sharedSchema, sql, tree)
	slices.SortStableFunc(refs, func(a, b Ref[O]) int { return a.Offset - b.Offset })
	slices.SortStableFunc(problems, func(a, b Problem) int { return a.Offset - b.Offset })
	return refs, problems, nil
}

// Walk returns the references and problems of tree, parsed from src, in
// the order the walk meets them; see [Find].
func Walk[O Object](cat Catalog[O], sharedSchema, src string, tree *pg_query.ParseResult) ([]Ref[O], []Problem) {
	w := &walker[O]{cat: cat, shared: sharedSchema, src: src}
	for _, raw := range tree.Stmts {
		w.start, w.end = int(raw.StmtLocation), len(w.src)
		if raw.StmtLen > 0 {
			w.end = w.start + int(raw.StmtLen)
		}
		w.node(raw.Stmt, nil)
	}
	return w.refs, w.problems
}

// IsTenant reports whether any of refs is to a tenant object.
func IsTenant[O Object](refs []Ref[O]) bool {
	return slices.ContainsFunc(refs, func(r Ref[O]) bool { return r.Object.IsTenant() })
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
type walker[O Object] struct {
	cat      Catalog[O]
	shared   string
	src      string // text the tree was parsed from; offsets are into it
	start    int    // of the current statement in src
	end      int
	refs     []Ref[O]
	problems []Problem
}

func (w *walker[O]) problemf(off int, format string, args ...any) {
	w.problems = append(w.problems, Problem{Offset: off, Msg: fmt.Sprintf(format, args...)})
}

// node visits one tree node with the CTE names visible at it.
func (w *walker[O]) node(m proto.Message, sc *cteScope) {
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
		w.resolveNames(NameList(n.Names), int(n.Location), w.cat.Type)
	case *pg_query.VariableSetStmt:
		if n.Name == "search_path" || n.Kind == pg_query.VariableSetKind_VAR_RESET_ALL {
			w.problemf(w.searchPathToken(), "query changes search_path; tenantc qualifies each tenant reference in the SQL text instead")
		}
	default:
		w.children(m, sc)
	}
}

// children visits the message fields of m, except the named ones.
func (w *walker[O]) children(m proto.Message, sc *cteScope, skip ...string) {
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
func (w *walker[O]) with(wc *pg_query.WithClause, sc *cteScope) *cteScope {
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

func (w *walker[O]) rangeVar(rv *pg_query.RangeVar, sc *cteScope) {
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

func (w *walker[O]) funcCall(fc *pg_query.FuncCall) {
	names := NameList(fc.Funcname)
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
	w.resolveNames(names, int(fc.Location), w.cat.Function)
}

// regclass resolves a string literal that PostgreSQL reads as a relation
// name (the argument of nextval, or 'name'::regclass).
func (w *walker[O]) regclass(c *pg_query.A_Const) {
	s := c.GetSval()
	if s == nil {
		return
	}
	names, ok := SplitName(s.Sval)
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
func (w *walker[O]) unqualifiable(names []string, off int) {
	if o, ok := w.cat.Relation(names[0]); ok {
		w.problemf(off, "write the name of %s %s as a plain '...' string literal so that tenantc can qualify it", scopeName(o), o)
	}
}

// resolveNames records a reference when names (schema-qualified or not)
// name a catalog object; off is where the name starts.
func (w *walker[O]) resolveNames(names []string, off int, lookup func(string) (O, bool)) {
	if len(names) == 3 {
		names = names[1:] // a database name; PostgreSQL checks it is the current one
	}
	switch len(names) {
	case 1:
		if o, ok := lookup(names[0]); ok {
			w.refs = append(w.refs, Ref[O]{Object: o, Offset: off})
		}
	case 2:
		qual := names[0]
		if qual == "pg_catalog" || qual == "information_schema" {
			return
		}
		o, ok := lookup(names[1])
		switch {
		case !ok:
		case o.IsTenant():
			w.problemf(off, "tenant %s must not be schema-qualified; tenantc qualifies it with the tenant's schema", o)
		case qual != w.shared:
			w.problemf(off, "shared %s is qualified with schema %q, but shared objects live in %q", o, qual, w.shared)
		default:
			w.refs = append(w.refs, Ref[O]{Object: o, Offset: off, Qualified: true})
		}
	}
}

func scopeName[O Object](o O) string {
	if o.IsTenant() {
		return "tenant"
	}
	return "shared"
}

// searchPathToken returns the offset of the search_path token of the
// current statement, or of its first token when it does not spell it (SET
// SCHEMA, RESET ALL).
func (w *walker[O]) searchPathToken() int {
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
	names := NameList(tn.Names)
	return len(names) == 1 && names[0] == name || len(names) == 2 && names[0] == "pg_catalog" && names[1] == name
}
