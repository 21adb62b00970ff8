package unscoped

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/go/types/typeutil"
)

// holePrefix starts the identifier that stands for a part of the SQL the
// analyzer cannot see. It is a valid SQL identifier wherever a table name,
// a column or a value may stand, so built SQL still parses, and a name no
// catalog holds.
const holePrefix = "tenantc_dynamic_"

// maxDepth bounds how far the evaluator follows variables into variables
// and calls into calls.
const maxDepth = 8

// maxValues bounds the texts followed for one expression: one per path
// through branches, loops and the elements of a ranged-over list. Past it,
// further paths are dropped, which may miss a finding but never adds one.
const maxValues = 16

// value is one possible text of a Go string expression, as far as it is
// known.
type value struct {
	s      string // the text, with a hole identifier for each unknown part
	opaque bool   // nothing of the text is known
}

func (v value) known() bool { return !strings.Contains(v.s, holePrefix) }

// concat joins two texts; the empty text adds nothing known, so a hole
// after it is still opaque.
func concat(a, b value) value {
	switch {
	case a.s == "":
		return b
	case b.s == "":
		return a
	}
	return value{s: a.s + b.s, opaque: a.opaque && b.opaque}
}

// values are the texts an expression may have, one per path the
// evaluator follows. A nil values is a point no path reaches.
type values []value

// union returns the values of a and b without duplicates, at most
// maxValues of them.
func union(a, b values) values {
	out := make(values, 0, len(a)+len(b))
	for _, vs := range []values{a, b} {
		for _, v := range vs {
			if len(out) == maxValues {
				return out
			}
			dup := false
			for _, o := range out {
				if o == v {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, v)
			}
		}
	}
	return out
}

// cross returns f of every pair of a and b.
func cross(a, b values, f func(x, y value) value) values {
	var out values
	for _, x := range a {
		for _, y := range b {
			out = union(out, values{f(x, y)})
		}
	}
	return out
}

// each returns f of every value.
func each(vs values, f func(value) value) values {
	var out values
	for _, v := range vs {
		out = union(out, values{f(v)})
	}
	return out
}

// pkgInfo is what the evaluator knows of the package being analyzed.
type pkgInfo struct {
	path  string
	info  *types.Info
	files []*ast.File
	fset  *token.FileSet

	declsOnce sync.Once
	decls     map[*types.Func]*ast.FuncDecl

	// busy holds the fields and functions being followed: one that leads
	// back to itself is a hole rather than a walk as deep as maxDepth on
	// every branch.
	busy map[any]bool
}

// enter marks k as being followed; it reports false when it already is.
func (p *pkgInfo) enter(k any) bool {
	if p.busy[k] {
		return false
	}
	if p.busy == nil {
		p.busy = map[any]bool{}
	}
	p.busy[k] = true
	return true
}

func (p *pkgInfo) leave(k any) { delete(p.busy, k) }

// decl returns the declaration of a function of the package, if it has a
// body.
func (p *pkgInfo) decl(fn *types.Func) *ast.FuncDecl {
	p.declsOnce.Do(func() {
		p.decls = map[*types.Func]*ast.FuncDecl{}
		for _, f := range p.files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
					if obj, ok := p.info.Defs[fd.Name].(*types.Func); ok {
						p.decls[obj] = fd
					}
				}
			}
		}
	})
	return p.decls[fn.Origin()]
}

// evaluator works out the texts of string expressions in one function,
// from what is assigned on each path to a position.
type evaluator struct {
	pkg    *pkgInfo
	body   *ast.BlockStmt        // outermost function around the position, nil at package level
	before token.Pos             // the position; only what runs before it counts
	bound  map[*types.Var]values // parameters of a followed call, anywhere in body
	// self is the variable being assigned at before, with its values just
	// before the assignment: q = q + "..." reads them.
	self     *types.Var
	selfVals values
	holes    *int
}

func (e *evaluator) hole() value {
	if e.holes == nil {
		e.holes = new(int)
	}
	*e.holes++
	return value{s: holePrefix + strconv.Itoa(*e.holes), opaque: true}
}

func (e *evaluator) holeValues() values { return values{e.hole()} }

// at returns an evaluator for the texts as they were just before pos.
func (e *evaluator) at(pos token.Pos) *evaluator {
	if e.holes == nil {
		e.holes = new(int)
	}
	return &evaluator{pkg: e.pkg, body: e.body, before: pos, bound: e.bound, holes: e.holes}
}

// assigning returns an evaluator for the right-hand side of an
// assignment to v at pos, where v has the values vs.
func (e *evaluator) assigning(pos token.Pos, v *types.Var, vs values) *evaluator {
	n := e.at(pos)
	n.self, n.selfVals = v, vs
	return n
}

// eval returns the texts of x.
func (e *evaluator) eval(x ast.Expr, depth int) values {
	if depth > maxDepth {
		return e.holeValues()
	}
	if tv, ok := e.pkg.info.Types[x]; ok && tv.Value != nil {
		if tv.Value.Kind() == constant.String {
			return values{{s: constant.StringVal(tv.Value)}}
		}
		return values{{s: tv.Value.ExactString()}}
	}
	switch x := x.(type) {
	case *ast.ParenExpr:
		return e.eval(x.X, depth)
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return cross(e.eval(x.X, depth+1), e.eval(x.Y, depth+1), concat)
		}
	case *ast.Ident:
		if v, ok := e.pkg.info.Uses[x].(*types.Var); ok {
			return e.variable(v, depth+1)
		}
	case *ast.CallExpr:
		return e.call(x, depth+1)
	case *ast.SelectorExpr:
		if sel, ok := e.pkg.info.Selections[x]; ok && sel.Kind() == types.FieldVal {
			if v, ok := sel.Obj().(*types.Var); ok {
				return e.field(v, depth+1)
			}
		}
		if v, ok := e.pkg.info.Uses[x.Sel].(*types.Var); ok { // a variable of another package
			return e.variable(v, depth+1)
		}
	case *ast.IndexExpr:
		return e.index(x, depth+1)
	}
	return e.holeValues()
}

// field returns the texts a struct field of the package is given in
// composite literals (repo{listSQL: "..."}) and assignments (r.listSQL =
// "...") anywhere in the package, each evaluated where it is written.
func (e *evaluator) field(v *types.Var, depth int) values {
	// pgx.QueuedQuery.SQL is set by Batch.Queue too: a query re-queued
	// from another batch (b2.Queue(qq.SQL)) has the SQL queued anywhere in
	// the package.
	queued := v.Name() == "SQL" && v.Pkg() != nil && strings.HasPrefix(v.Pkg().Path(), pgxPrefix)
	if !queued && (v.Pkg() == nil || v.Pkg().Path() != e.pkg.path) || !e.pkg.enter(v) {
		return e.holeValues()
	}
	defer e.pkg.leave(v)
	var out values
	for _, f := range e.pkg.files {
		var body *ast.BlockStmt
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				body = n.Body
			case *ast.GenDecl:
				body = nil
			case *ast.CallExpr:
				if !queued || len(n.Args) == 0 || depth > maxDepth {
					break
				}
				if fn, ok := typeutil.Callee(e.pkg.info, n).(*types.Func); ok && fn.Name() == "Queue" {
					if t, ok := sqlTarget(fn); ok && t.arg == 0 && !isSQLOf(n.Args[0], v, e.pkg.info) {
						out = union(out, e.in(body, n.Pos()).eval(n.Args[0], depth))
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && e.pkg.info.Uses[id] == v {
					out = union(out, e.in(body, n.Pos()).eval(n.Value, depth))
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					sel, ok := ast.Unparen(lhs).(*ast.SelectorExpr)
					if !ok || e.pkg.info.Uses[sel.Sel] != v {
						continue
					}
					if len(n.Lhs) != len(n.Rhs) || n.Tok != token.ASSIGN {
						out = union(out, e.holeValues())
						continue
					}
					out = union(out, e.in(body, n.Pos()).eval(n.Rhs[i], depth))
				}
			}
			return true
		})
	}
	if out == nil {
		return e.holeValues()
	}
	return out
}

// isSQLOf reports whether x is a selector of the field v (qq.SQL): a
// re-queue adds no text of its own.
func isSQLOf(x ast.Expr, v *types.Var, info *types.Info) bool {
	sel, ok := ast.Unparen(x).(*ast.SelectorExpr)
	return ok && info.Uses[sel.Sel] == v
}

// in returns an evaluator for the texts just before pos in body.
func (e *evaluator) in(body *ast.BlockStmt, pos token.Pos) *evaluator {
	n := e.at(pos)
	n.body, n.bound = body, nil
	return n
}

// index returns the texts of an element of a map, slice or array literal
// (or of a variable holding one): the element a constant key selects, or
// any of them.
func (e *evaluator) index(x *ast.IndexExpr, depth int) values {
	lit := e.listLiteral(x.X)
	if lit == nil {
		return e.holeValues()
	}
	key := e.pkg.info.Types[x.Index].Value
	var out values
	for i, el := range lit.Elts {
		val := el
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			val = kv.Value
			if k := e.pkg.info.Types[kv.Key].Value; key != nil && k != nil && (k.Kind() != key.Kind() || !constant.Compare(k, token.EQL, key)) {
				continue
			}
		} else if key != nil {
			if n, ok := constant.Int64Val(constant.ToInt(key)); !ok || int(n) != i {
				continue
			}
		}
		out = union(out, e.eval(val, depth))
	}
	if out == nil {
		return e.holeValues()
	}
	return out
}

// variable returns the texts of a string variable at e.before: a bound
// one's, a package variable's from its initializer or embedded file, a
// local one's on every path through the function to e.before.
func (e *evaluator) variable(v *types.Var, depth int) values {
	if v == e.self {
		return e.selfVals
	}
	if vs, ok := e.bound[v]; ok {
		return vs
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return e.packageVar(v, depth)
	}
	if e.body == nil || v.Parent() == nil {
		return e.holeValues()
	}
	f := &flow{before: e.before, effect: e.stringEffect(v, depth)}
	// Until its declaration, a variable is a parameter, a result or a
	// range variable: unknown.
	f.stmts(e.body.List, e.holeValues())
	if !f.reached || len(f.at) == 0 {
		return e.holeValues()
	}
	return f.at
}

// stringEffect returns how a statement changes the string variable v:
// =, :=, +=, var declarations, and range over a list of constants.
func (e *evaluator) stringEffect(v *types.Var, depth int) func(ast.Stmt, values) values {
	return func(s ast.Stmt, in values) values {
		switch s := s.(type) {
		case *ast.AssignStmt:
			for i, lhs := range s.Lhs {
				if !e.is(lhs, v) {
					continue
				}
				rhs := e.assigning(s.Pos(), v, in)
				switch {
				case len(s.Rhs) == 1 && len(s.Lhs) > 1 && i == 0:
					in = rhs.first(s.Rhs[0])
				case len(s.Rhs) != len(s.Lhs):
					in = e.holeValues()
				case s.Tok == token.ADD_ASSIGN:
					in = cross(in, rhs.eval(s.Rhs[i], depth), concat)
				case s.Tok == token.ASSIGN || s.Tok == token.DEFINE:
					in = rhs.eval(s.Rhs[i], depth)
				default:
					in = e.holeValues()
				}
			}
		case *ast.DeclStmt:
			gd, ok := s.Decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				return in
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if e.pkg.info.Defs[name] != v {
						continue
					}
					switch {
					case len(vs.Values) == 0:
						in = values{{}}
					case len(vs.Values) == len(vs.Names):
						in = e.at(vs.Pos()).eval(vs.Values[i], depth)
					default:
						in = e.holeValues()
					}
				}
			}
		case *ast.RangeStmt:
			if s.Value != nil && e.is(s.Value, v) {
				in = e.elements(s.X, depth)
			} else if s.Key != nil && e.is(s.Key, v) {
				in = e.holeValues()
			}
		}
		return in
	}
}

// elements returns the texts of the elements of a list literal of strings
// (or of a variable holding one), for a range over it; otherwise a hole.
func (e *evaluator) elements(x ast.Expr, depth int) values {
	lit := e.listLiteral(x)
	if lit == nil {
		return e.holeValues()
	}
	var out values
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			el = kv.Value
		}
		out = union(out, e.eval(el, depth+1))
	}
	if out == nil {
		return e.holeValues()
	}
	return out
}

// listLiteral returns the composite literal x is, or that the variable x
// was last given before e.before, or nil.
func (e *evaluator) listLiteral(x ast.Expr) *ast.CompositeLit {
	switch x := ast.Unparen(x).(type) {
	case *ast.CompositeLit:
		return x
	case *ast.Ident:
		v, ok := e.pkg.info.Uses[x].(*types.Var)
		if !ok {
			return nil
		}
		if last := e.lastValue(v); last != nil {
			lit, _ := ast.Unparen(last).(*ast.CompositeLit)
			return lit
		}
	}
	return nil
}

// lastValue returns the expression last assigned to v before e.before, in
// source order, or its package-level initializer.
func (e *evaluator) lastValue(v *types.Var) ast.Expr {
	var last ast.Expr
	visit := func(n ast.Node) bool {
		if n == nil || n.Pos() >= e.before {
			return false
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if e.is(lhs, v) && len(n.Rhs) == len(n.Lhs) {
					last = n.Rhs[i]
				}
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if e.pkg.info.Defs[name] == v && len(n.Values) == len(n.Names) {
					last = n.Values[i]
				}
			}
		}
		return true
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		if vs, i, _ := e.packageSpec(v); vs != nil && len(vs.Values) == len(vs.Names) {
			return vs.Values[i]
		}
		return nil
	}
	if e.body != nil {
		ast.Inspect(e.body, visit)
	}
	return last
}

// packageSpec returns the declaration of a package-level variable of the
// package being analyzed, the index of v in it, and its doc comment.
func (e *evaluator) packageSpec(v *types.Var) (*ast.ValueSpec, int, *ast.CommentGroup) {
	for _, f := range e.pkg.files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if e.pkg.info.Defs[name] == v {
						doc := vs.Doc
						if doc == nil && len(gd.Specs) == 1 {
							doc = gd.Doc
						}
						return vs, i, doc
					}
				}
			}
		}
	}
	return nil, 0, nil
}

// packageVar returns the text of a package-level variable of the package
// being analyzed from its initializer (var listSQL = "SELECT ...") or the
// file a //go:embed directive names. Other assignments to it are not
// followed.
func (e *evaluator) packageVar(v *types.Var, depth int) values {
	vs, i, doc := e.packageSpec(v)
	if vs == nil {
		return e.holeValues()
	}
	if len(vs.Values) == len(vs.Names) {
		pkg := &evaluator{pkg: e.pkg, holes: e.holes}
		return pkg.eval(vs.Values[i], depth)
	}
	if text, ok := e.embedded(vs, doc); ok {
		return values{{s: text}}
	}
	return e.holeValues()
}

// first returns the text of the first result of a call with several: a
// file read from an embed.FS of the package with a constant name
// (sqlFS.ReadFile("purge.sql"), fs.ReadFile(sqlFS, "purge.sql")).
func (e *evaluator) first(x ast.Expr) values {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return e.holeValues()
	}
	fn, ok := typeutil.Callee(e.pkg.info, call).(*types.Func)
	if !ok || fn.Name() != "ReadFile" || fn.Pkg() == nil {
		return e.holeValues()
	}
	var fsys, name ast.Expr
	switch {
	case fn.Pkg().Path() == "embed" && len(call.Args) == 1:
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			fsys, name = sel.X, call.Args[0]
		}
	case fn.Pkg().Path() == "io/fs" && len(call.Args) == 2:
		fsys, name = call.Args[0], call.Args[1]
	}
	id, ok := ast.Unparen(fsys).(*ast.Ident)
	if !ok {
		return e.holeValues()
	}
	v, ok := e.pkg.info.Uses[id].(*types.Var)
	tv := e.pkg.info.Types[name]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() {
		return e.holeValues()
	}
	vs, _, doc := e.packageSpec(v)
	if vs == nil {
		return e.holeValues()
	}
	if text, ok := e.embeddedFile(vs, doc, constant.StringVal(tv.Value)); ok {
		return values{{s: text}}
	}
	return e.holeValues()
}

// embeddedFile returns the contents of the file name of an embed.FS
// declared by vs, when one of its //go:embed patterns in doc holds it.
func (e *evaluator) embeddedFile(vs *ast.ValueSpec, doc *ast.CommentGroup, name string) (string, bool) {
	if doc == nil || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return "", false
	}
	for _, c := range doc.List {
		patterns, ok := strings.CutPrefix(c.Text, "//go:embed ")
		if !ok {
			continue
		}
		for _, p := range strings.Fields(patterns) {
			p = strings.TrimPrefix(p, "all:")
			if m, _ := path.Match(p, name); !m && !strings.HasPrefix(name, strings.TrimSuffix(p, "/")+"/") {
				continue
			}
			dir := filepath.Dir(e.pkg.fset.Position(vs.Pos()).Filename)
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
			if err != nil {
				return "", false
			}
			return string(b), true
		}
	}
	return "", false
}

// embedded returns the contents of the one file a //go:embed directive in
// doc names, read from the directory of the Go file declaring vs.
func (e *evaluator) embedded(vs *ast.ValueSpec, doc *ast.CommentGroup) (string, bool) {
	if doc == nil || len(vs.Names) != 1 {
		return "", false
	}
	for _, c := range doc.List {
		pattern, ok := strings.CutPrefix(c.Text, "//go:embed ")
		if !ok {
			continue
		}
		pattern = strings.TrimSpace(pattern)
		if uq, err := strconv.Unquote(pattern); err == nil {
			pattern = uq
		}
		if pattern == "" || strings.ContainsAny(pattern, "*?[ ") {
			return "", false
		}
		dir := filepath.Dir(e.pkg.fset.Position(vs.Pos()).Filename)
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pattern)))
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// is reports whether x is an identifier of v.
func (e *evaluator) is(x ast.Expr, v *types.Var) bool {
	id, ok := ast.Unparen(x).(*ast.Ident)
	if !ok {
		return false
	}
	return e.pkg.info.Uses[id] == v || e.pkg.info.Defs[id] == v
}

// identifier returns the texts of each part of a pgx.Identifier
// expression; nil parts and true for tenancy.Conn.Table, which qualifies
// for the bound tenant.
func (e *evaluator) identifier(x ast.Expr, depth int) ([]values, bool) {
	if depth > maxDepth {
		return nil, false
	}
	x = ast.Unparen(x)
	switch x := x.(type) {
	case *ast.CompositeLit:
		parts := make([]values, 0, len(x.Elts))
		for _, el := range x.Elts {
			if _, ok := el.(*ast.KeyValueExpr); ok {
				return nil, false
			}
			parts = append(parts, e.eval(el, 0))
		}
		return parts, true
	case *ast.CallExpr:
		// pgx.Identifier([]string{...}), a conversion
		if tv := e.pkg.info.Types[x.Fun]; tv.IsType() && len(x.Args) == 1 {
			return e.identifier(x.Args[0], depth+1)
		}
		if sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr); ok {
			if fn, ok := e.pkg.info.Uses[sel.Sel].(*types.Func); ok && isConnMethod(fn, "Table") {
				return nil, true
			}
		}
	case *ast.Ident:
		v, ok := e.pkg.info.Uses[x].(*types.Var)
		if !ok {
			return nil, false
		}
		if last := e.lastValue(v); last != nil {
			return e.identifier(last, depth+1)
		}
	}
	return nil, false
}
