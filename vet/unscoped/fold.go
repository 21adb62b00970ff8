package unscoped

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/types/typeutil"
)

// call returns the texts of a call the evaluator can follow: fmt's Sprint
// functions, the pure functions of package strings, the String (or Bytes)
// of a strings.Builder or bytes.Buffer, a conversion, tenancy.Conn.SQL
// (qualified by the runtime: nothing to check), and a function of the
// package being analyzed that returns a string.
func (e *evaluator) call(call *ast.CallExpr, depth int) values {
	info := e.pkg.info
	if tv := info.Types[call.Fun]; tv.IsType() {
		if len(call.Args) == 1 { // string(b), []byte(s)
			return e.eval(call.Args[0], depth)
		}
		return e.holeValues()
	}
	fn, ok := typeutil.Callee(info, call).(*types.Func)
	if !ok || fn.Pkg() == nil {
		return e.holeValues()
	}
	if isConnMethod(fn, "SQL") {
		return values{{}}
	}
	sig := fn.Type().(*types.Signature)
	if rewritesQuery(fn) && len(call.Args) == 1 {
		return e.eval(call.Args[0], depth)
	}
	if fn.Name() == "Sanitize" && sig.Recv() != nil && isIdentifier(sig.Recv().Type()) {
		return e.sanitize(call, depth)
	}
	switch path := fn.Pkg().Path(); {
	case path == "fmt" && sig.Recv() == nil:
		switch fn.Name() {
		case "Sprintf":
			if len(call.Args) > 0 && !call.Ellipsis.IsValid() {
				return e.sprintf(call.Args[0], call.Args[1:], depth)
			}
		case "Sprint", "Sprintln":
			if !call.Ellipsis.IsValid() {
				return e.sprint(fn.Name() == "Sprintln", call.Args, depth)
			}
		}
		return e.holeValues()
	case path == "strings" && sig.Recv() == nil:
		return e.stringsFunc(fn.Name(), call.Args, depth)
	case isWriter(fn):
		if fn.Name() != "String" && fn.Name() != "Bytes" {
			return e.holeValues()
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return e.holeValues()
		}
		if v := e.builderVar(sel.X); v != nil {
			return e.builder(v, depth)
		}
		return e.holeValues()
	}
	if decl := e.pkg.decl(fn); decl != nil && sig.Results().Len() == 1 && isString(sig.Results().At(0).Type()) {
		return e.returned(decl, call, depth)
	}
	return e.holeValues()
}

// sanitize returns the text of pgx.Identifier{...}.Sanitize(): each part
// quoted, joined by dots.
func (e *evaluator) sanitize(call *ast.CallExpr, depth int) values {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return e.holeValues()
	}
	parts, ok := e.identifier(sel.X, depth)
	if !ok || len(parts) == 0 {
		return e.holeValues()
	}
	quote := func(v value) value {
		if !v.known() {
			return e.hole()
		}
		return value{s: `"` + strings.ReplaceAll(strings.ReplaceAll(v.s, "\x00", ""), `"`, `""`) + `"`}
	}
	out := each(parts[0], quote)
	for _, p := range parts[1:] {
		out = cross(out, each(p, quote), func(a, b value) value { return value{s: a.s + "." + b.s, opaque: a.opaque && b.opaque} })
	}
	return out
}

// stringsFunc folds the pure functions of package strings over constant
// text.
func (e *evaluator) stringsFunc(name string, args []ast.Expr, depth int) values {
	if name == "Join" && len(args) == 2 {
		lit := e.listLiteral(args[0])
		if lit == nil {
			return e.holeValues()
		}
		out := values{{}}
		sep := e.eval(args[1], depth)
		for i, el := range lit.Elts {
			if i > 0 {
				out = cross(out, sep, concat)
			}
			out = cross(out, e.eval(el, depth), concat)
		}
		return out
	}
	unary := map[string]func(string) string{
		"TrimSpace": strings.TrimSpace, "ToLower": strings.ToLower, "ToUpper": strings.ToUpper,
	}
	binary := map[string]func(string, string) string{
		"Trim": strings.Trim, "TrimLeft": strings.TrimLeft, "TrimRight": strings.TrimRight,
		"TrimPrefix": strings.TrimPrefix, "TrimSuffix": strings.TrimSuffix,
	}
	str := func(i int) values { return e.eval(args[i], depth) }
	known := func(f func(value) value) func(value) value {
		return func(v value) value {
			if !v.known() {
				return e.hole()
			}
			return f(v)
		}
	}
	switch {
	case unary[name] != nil && len(args) == 1:
		if name == "TrimSpace" { // blanks around a hole are still blanks
			return each(str(0), func(v value) value { return value{s: strings.TrimSpace(v.s), opaque: v.opaque} })
		}
		return each(str(0), known(func(v value) value { return value{s: unary[name](v.s)} }))
	case binary[name] != nil && len(args) == 2:
		return cross(str(0), str(1), func(a, b value) value {
			if !a.known() || !b.known() {
				return e.hole()
			}
			return value{s: binary[name](a.s, b.s)}
		})
	case name == "ReplaceAll" && len(args) == 3 || name == "Replace" && len(args) == 4:
		n := -1
		if name == "Replace" {
			c, ok := e.intConst(args[3])
			if !ok {
				return e.holeValues()
			}
			n = c
		}
		olds, news := str(1), str(2)
		return each(str(0), known(func(v value) value {
			if len(olds) != 1 || len(news) != 1 || !olds[0].known() || !news[0].known() {
				return e.hole()
			}
			return value{s: strings.Replace(v.s, olds[0].s, news[0].s, n)}
		}))
	case name == "Repeat" && len(args) == 2:
		c, ok := e.intConst(args[1])
		if !ok || c < 0 || c > 64 {
			return e.holeValues()
		}
		return each(str(0), func(v value) value { return value{s: strings.Repeat(v.s, c), opaque: v.opaque} })
	}
	return e.holeValues()
}

func (e *evaluator) intConst(x ast.Expr) (int, bool) {
	tv := e.pkg.info.Types[x]
	if tv.Value == nil {
		return 0, false
	}
	i, ok := constant.Int64Val(constant.ToInt(tv.Value))
	return int(i), ok
}

// returned returns the texts a function of the package returns for the
// arguments of call: each return statement's, with the string
// parameters bound to the arguments' texts.
func (e *evaluator) returned(decl *ast.FuncDecl, call *ast.CallExpr, depth int) values {
	if depth > maxDepth || !e.pkg.enter(decl) {
		return e.holeValues()
	}
	defer e.pkg.leave(decl)
	ce := e.callee(decl, call, depth)
	var named *types.Var
	if res := decl.Type.Results; res != nil && len(res.List) == 1 && len(res.List[0].Names) == 1 {
		named, _ = e.pkg.info.Defs[res.List[0].Names[0]].(*types.Var)
	}
	var out values
	ast.Inspect(decl.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			switch {
			case len(n.Results) == 1:
				out = union(out, ce.at(n.Pos()).eval(n.Results[0], depth+1))
			case len(n.Results) == 0 && named != nil: // a bare return of a named result
				out = union(out, ce.at(n.Pos()).variable(named, depth+1))
			default:
				out = union(out, e.holeValues())
			}
			return false
		}
		return true
	})
	if out == nil {
		return e.holeValues()
	}
	return out
}

// callee returns an evaluator for the body of decl called by call, with
// its string parameters bound to the texts of the arguments.
func (e *evaluator) callee(decl *ast.FuncDecl, call *ast.CallExpr, depth int) *evaluator {
	ce := &evaluator{pkg: e.pkg, body: decl.Body, before: decl.Body.End(), holes: e.holes, bound: map[*types.Var]values{}}
	if ce.holes == nil {
		ce.holes = new(int)
		e.holes = ce.holes
	}
	for i, v := range e.params(decl) {
		if i < len(call.Args) && isString(v.Type()) && !(call.Ellipsis.IsValid() && i == len(call.Args)-1) {
			ce.bound[v] = e.at(call.Pos()).eval(call.Args[i], depth+1)
		}
	}
	return ce
}

// params returns the parameters of decl in order.
func (e *evaluator) params(decl *ast.FuncDecl) []*types.Var {
	var out []*types.Var
	for _, field := range decl.Type.Params.List {
		for _, name := range field.Names {
			v, _ := e.pkg.info.Defs[name].(*types.Var)
			out = append(out, v)
		}
		if len(field.Names) == 0 {
			out = append(out, nil)
		}
	}
	return out
}

// isWriter reports whether fn is a method of strings.Builder or
// bytes.Buffer.
func isWriter(fn *types.Func) bool {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return false
	}
	t := sig.Recv().Type()
	return isNamed(t, "strings", "Builder") || isNamed(t, "bytes", "Buffer")
}

// builderVar returns the variable x names (b or &b), if any.
func (e *evaluator) builderVar(x ast.Expr) *types.Var {
	x = ast.Unparen(x)
	if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.AND {
		x = ast.Unparen(u.X)
	}
	id, ok := x.(*ast.Ident)
	if !ok {
		return nil
	}
	v, _ := e.pkg.info.Uses[id].(*types.Var)
	return v
}

// builder returns the texts written to the strings.Builder or
// bytes.Buffer v on every path to e.before.
func (e *evaluator) builder(v *types.Var, depth int) values {
	if e.body == nil || v.Parent() == nil || v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return e.holeValues()
	}
	f := &flow{before: e.before, effect: e.builderEffect(v, depth)}
	// A builder not declared in the function (a parameter) holds text
	// the analyzer cannot see.
	f.stmts(e.body.List, e.holeValues())
	if !f.reached || len(f.at) == 0 {
		return e.holeValues()
	}
	return f.at
}

// builderEffect returns how a statement changes the text of the builder
// v: its declaration, its Write methods, fmt.Fprint* and io.WriteString
// to it, Reset, and functions it is passed to — followed into their body
// when the package declares them, a hole otherwise.
func (e *evaluator) builderEffect(v *types.Var, depth int) func(ast.Stmt, values) values {
	return func(s ast.Stmt, in values) values {
		switch s := s.(type) {
		case *ast.AssignStmt:
			for i, lhs := range s.Lhs {
				if e.is(lhs, v) {
					if len(s.Rhs) != len(s.Lhs) {
						in = e.holeValues()
					} else {
						in = e.at(s.Pos()).newBuilder(s.Rhs[i], depth)
					}
				}
			}
		case *ast.DeclStmt:
			if gd, ok := s.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
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
							in = e.at(vs.Pos()).newBuilder(vs.Values[i], depth)
						default:
							in = e.holeValues()
						}
					}
				}
			}
		}
		if _, ok := s.(*ast.RangeStmt); ok {
			return in // the header only; the body is walked as statements
		}
		ast.Inspect(s, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.CallExpr:
				in = e.at(n.Pos()).builderCall(v, n, in, depth)
			}
			return true
		})
		return in
	}
}

// newBuilder returns the text of a builder made by x: strings.Builder{},
// &bytes.Buffer{}, new(strings.Builder), bytes.NewBufferString(s).
func (e *evaluator) newBuilder(x ast.Expr, depth int) values {
	x = ast.Unparen(x)
	if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.AND {
		x = ast.Unparen(u.X)
	}
	switch x := x.(type) {
	case *ast.CompositeLit:
		if len(x.Elts) == 0 {
			return values{{}}
		}
	case *ast.CallExpr:
		if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok && id.Name == "new" && len(x.Args) == 1 {
			return values{{}}
		}
		fn, ok := typeutil.Callee(e.pkg.info, x).(*types.Func)
		if ok && fn.Pkg() != nil && fn.Pkg().Path() == "bytes" && len(x.Args) == 1 &&
			(fn.Name() == "NewBufferString" || fn.Name() == "NewBuffer") {
			return e.eval(x.Args[0], depth)
		}
	}
	return e.holeValues()
}

// builderCall returns the text of the builder v after call, given its
// texts in before it.
func (e *evaluator) builderCall(v *types.Var, call *ast.CallExpr, in values, depth int) values {
	fn, _ := typeutil.Callee(e.pkg.info, call).(*types.Func)
	if fn != nil && fn.Pkg() != nil && isWriter(fn) {
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok || e.builderVar(sel.X) != v {
			return e.escapes(v, fn, call, in, depth)
		}
		switch fn.Name() {
		case "WriteString", "Write":
			return cross(in, e.eval(call.Args[0], depth), concat)
		case "WriteByte", "WriteRune":
			if c, ok := e.intConst(call.Args[0]); ok {
				return cross(in, values{{s: string(rune(c))}}, concat)
			}
			return cross(in, e.holeValues(), concat)
		case "Reset":
			return values{{}}
		case "String", "Bytes", "Len", "Cap", "Grow", "Available", "AvailableBuffer":
			return in
		}
		return cross(in, e.holeValues(), concat)
	}
	if fn != nil && fn.Pkg() != nil && len(call.Args) > 0 && e.builderVar(call.Args[0]) == v {
		switch path := fn.Pkg().Path(); {
		case path == "fmt" && fn.Name() == "Fprintf" && len(call.Args) > 1 && !call.Ellipsis.IsValid():
			return cross(in, e.sprintf(call.Args[1], call.Args[2:], depth), concat)
		case path == "fmt" && (fn.Name() == "Fprint" || fn.Name() == "Fprintln") && !call.Ellipsis.IsValid():
			return cross(in, e.sprint(fn.Name() == "Fprintln", call.Args[1:], depth), concat)
		case path == "io" && fn.Name() == "WriteString" && len(call.Args) == 2:
			return cross(in, e.eval(call.Args[1], depth), concat)
		}
	}
	return e.escapes(v, fn, call, in, depth)
}

// escapes returns the text of the builder v after a call it may be
// passed to: what a function of the package writes to it, followed into
// its body, or a hole for code the analyzer cannot follow
// (template.Execute(&b, ...)).
func (e *evaluator) escapes(v *types.Var, fn *types.Func, call *ast.CallExpr, in values, depth int) values {
	idx := -1
	for i, a := range call.Args {
		if e.builderVar(a) == v {
			idx = i
			break
		}
	}
	if idx < 0 {
		return in
	}
	if fn == nil || depth > maxDepth {
		return cross(in, e.holeValues(), concat)
	}
	decl := e.pkg.decl(fn)
	if decl == nil || !e.pkg.enter(decl) {
		return cross(in, e.holeValues(), concat)
	}
	defer e.pkg.leave(decl)
	params := e.params(decl)
	if idx >= len(params) || params[idx] == nil || call.Ellipsis.IsValid() {
		return cross(in, e.holeValues(), concat)
	}
	ce := e.callee(decl, call, depth)
	f := &flow{effect: ce.builderEffect(params[idx], depth+1)}
	out := f.run(decl.Body, in)
	if len(out) == 0 {
		return in // every path panics
	}
	return out
}

// sprintf formats format with args, each argument the analyzer cannot see
// printing as a hole.
func (e *evaluator) sprintf(format ast.Expr, args []ast.Expr, depth int) values {
	var out values
	for _, f := range e.eval(format, depth) {
		if !f.known() {
			out = union(out, e.holeValues())
			continue
		}
		for _, ops := range e.operands(args, depth) {
			out = union(out, values{{s: fmt.Sprintf(f.s, ops...)}})
		}
	}
	return out
}

// sprint formats args as fmt.Sprint (or Sprintln) does.
func (e *evaluator) sprint(ln bool, args []ast.Expr, depth int) values {
	var out values
	for _, ops := range e.operands(args, depth) {
		s := fmt.Sprint(ops...)
		if ln {
			s = fmt.Sprintln(ops...)
		}
		out = union(out, values{{s: s}})
	}
	return out
}

// operands returns the combinations of the Go values of fmt arguments, at
// most maxValues of them.
func (e *evaluator) operands(args []ast.Expr, depth int) [][]any {
	combos := [][]any{{}}
	for _, a := range args {
		alts := e.operand(a, depth)
		var next [][]any
		for _, c := range combos {
			for _, alt := range alts {
				if len(next) == maxValues {
					break
				}
				next = append(next, append(append([]any{}, c...), alt))
			}
		}
		combos = next
	}
	return combos
}

// operand returns the Go values a fmt argument may have; a hole for one
// the analyzer cannot see.
func (e *evaluator) operand(a ast.Expr, depth int) []any {
	if tv := e.pkg.info.Types[a]; tv.Value != nil {
		switch tv.Value.Kind() {
		case constant.String:
			return []any{constant.StringVal(tv.Value)}
		case constant.Int:
			if i, ok := constant.Int64Val(tv.Value); ok {
				return []any{i}
			}
		case constant.Float:
			f, _ := constant.Float64Val(tv.Value)
			return []any{f}
		case constant.Bool:
			return []any{constant.BoolVal(tv.Value)}
		}
	}
	if isString(e.pkg.info.TypeOf(a)) {
		var out []any
		for _, v := range e.eval(a, depth) {
			if v.opaque {
				out = append(out, hole(v.s))
			} else {
				out = append(out, v.s)
			}
		}
		return out
	}
	return []any{hole(e.hole().s)}
}

// hole prints as its identifier whatever the verb, so that "%d" and "%q"
// of an unknown value still leave a name in the SQL.
type hole string

func (h hole) Format(f fmt.State, verb rune) { fmt.Fprint(f, string(h)) }
