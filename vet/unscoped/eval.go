package unscoped

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/types/typeutil"
)

// holePrefix starts the identifier that stands for a part of the SQL the
// analyzer cannot see. It is a valid SQL identifier wherever a table name,
// a column or a value may stand, so built SQL still parses, and a name no
// catalog holds.
const holePrefix = "tenantc_dynamic_"

// maxDepth bounds how far the evaluator follows variables into variables.
const maxDepth = 8

// value is the text of a Go string expression as far as it is known.
type value struct {
	s      string // the text, with a hole identifier for each unknown part
	opaque bool   // nothing of the text is known
}

func (v value) known() bool { return !strings.Contains(v.s, holePrefix) }

func concat(a, b value) value { return value{s: a.s + b.s, opaque: a.opaque && b.opaque} }

// evaluator works out the text of string expressions in one function,
// from what is assigned before a position.
type evaluator struct {
	info   *types.Info
	files  []*ast.File    // of the package, for package-level variables
	body   *ast.BlockStmt // outermost function around the call, nil at package level
	before token.Pos      // only assignments before this count
	holes  *int
}

func (e *evaluator) hole() value {
	if e.holes == nil {
		e.holes = new(int)
	}
	*e.holes++
	return value{s: holePrefix + strconv.Itoa(*e.holes), opaque: true}
}

// at returns an evaluator for the text as it was just before pos.
func (e *evaluator) at(pos token.Pos) *evaluator {
	if e.holes == nil {
		e.holes = new(int)
	}
	return &evaluator{info: e.info, files: e.files, body: e.body, before: pos, holes: e.holes}
}

// eval returns the text of x.
func (e *evaluator) eval(x ast.Expr, depth int) value {
	if depth > maxDepth {
		return e.hole()
	}
	if tv, ok := e.info.Types[x]; ok && tv.Value != nil {
		if tv.Value.Kind() == constant.String {
			return value{s: constant.StringVal(tv.Value)}
		}
		return value{s: tv.Value.ExactString()}
	}
	switch x := x.(type) {
	case *ast.ParenExpr:
		return e.eval(x.X, depth)
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return concat(e.eval(x.X, depth+1), e.eval(x.Y, depth+1))
		}
	case *ast.Ident:
		if v, ok := e.info.Uses[x].(*types.Var); ok {
			return e.variable(v, depth+1)
		}
	case *ast.CallExpr:
		return e.call(x, depth+1)
	}
	return e.hole()
}

// variable returns the text of a local string variable from its
// assignments (=, := and +=) before e.before, in source order; control flow
// is ignored, so a value set in one branch stands for all of them.
func (e *evaluator) variable(v *types.Var, depth int) value {
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return e.packageVar(v, depth)
	}
	if e.body == nil || v.Parent() == nil {
		return e.hole()
	}
	var cur value
	found := false
	ast.Inspect(e.body, func(n ast.Node) bool {
		if n == nil || n.Pos() >= e.before {
			return false
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if !e.is(lhs, v) {
					continue
				}
				found = true
				rhs := e.at(n.Pos())
				switch {
				case len(n.Rhs) != len(n.Lhs):
					cur = e.hole()
				case n.Tok == token.ADD_ASSIGN:
					cur = concat(cur, rhs.eval(n.Rhs[i], depth))
				case n.Tok == token.ASSIGN || n.Tok == token.DEFINE:
					cur = rhs.eval(n.Rhs[i], depth)
				default:
					cur = e.hole()
				}
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if e.info.Defs[name] != v {
					continue
				}
				found = true
				switch {
				case len(n.Values) == 0:
					cur = value{}
				case len(n.Values) == len(n.Names):
					cur = e.at(n.Pos()).eval(n.Values[i], depth)
				default:
					cur = e.hole()
				}
			}
		}
		return true
	})
	if !found {
		return e.hole() // a parameter, a result, a range variable
	}
	return cur
}

// packageVar returns the text of a package-level variable of the package
// being analyzed from its initializer: var listSQL = "SELECT ...". Other
// assignments to it are not followed.
func (e *evaluator) packageVar(v *types.Var, depth int) value {
	for _, f := range e.files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if e.info.Defs[name] == v && len(vs.Values) == len(vs.Names) {
						pkg := &evaluator{info: e.info, files: e.files, holes: e.holes}
						return pkg.eval(vs.Values[i], depth)
					}
				}
			}
		}
	}
	return e.hole()
}

// is reports whether x is an identifier of v.
func (e *evaluator) is(x ast.Expr, v *types.Var) bool {
	id, ok := ast.Unparen(x).(*ast.Ident)
	if !ok {
		return false
	}
	return e.info.Uses[id] == v || e.info.Defs[id] == v
}

// call returns the text of fmt.Sprintf(...) and strings.Builder.String().
func (e *evaluator) call(call *ast.CallExpr, depth int) value {
	fn, ok := typeutil.Callee(e.info, call).(*types.Func)
	if !ok || fn.Pkg() == nil {
		return e.hole()
	}
	switch {
	case fn.Pkg().Path() == "fmt" && fn.Name() == "Sprintf" && len(call.Args) > 0:
		return e.sprintf(call.Args[0], call.Args[1:], call.Ellipsis.IsValid(), depth)
	case fn.Pkg().Path() == "strings" && fn.Name() == "String" && isBuilder(fn):
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return e.hole()
		}
		if v := e.builderVar(sel.X); v != nil {
			return e.builder(v, depth)
		}
	}
	return e.hole()
}

// isBuilder reports whether fn is a method of strings.Builder.
func isBuilder(fn *types.Func) bool {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return false
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	return ok && n.Obj().Name() == "Builder" && n.Obj().Pkg().Path() == "strings"
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
	v, _ := e.info.Uses[id].(*types.Var)
	return v
}

// builder returns the text written to the strings.Builder v before
// e.before: WriteString, WriteByte, WriteRune, fmt.Fprintf and Reset.
func (e *evaluator) builder(v *types.Var, depth int) value {
	if e.body == nil {
		return e.hole()
	}
	var cur value
	ast.Inspect(e.body, func(n ast.Node) bool {
		if n == nil || n.Pos() >= e.before {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, ok := typeutil.Callee(e.info, call).(*types.Func)
		if !ok || fn.Pkg() == nil {
			return true
		}
		if fn.Pkg().Path() == "fmt" {
			if len(call.Args) < 2 || e.builderVar(call.Args[0]) != v {
				return true
			}
			if fn.Name() == "Fprintf" {
				cur = concat(cur, e.at(call.Pos()).sprintf(call.Args[1], call.Args[2:], call.Ellipsis.IsValid(), depth))
			} else {
				cur = concat(cur, e.hole())
			}
			return true
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok || !isBuilder(fn) || e.builderVar(sel.X) != v {
			return true
		}
		switch fn.Name() {
		case "WriteString":
			cur = concat(cur, e.at(call.Pos()).eval(call.Args[0], depth))
		case "WriteByte", "WriteRune":
			if tv := e.info.Types[call.Args[0]]; tv.Value != nil {
				if r, ok := constant.Int64Val(constant.ToInt(tv.Value)); ok {
					cur = concat(cur, value{s: string(rune(r))})
					return true
				}
			}
			cur = concat(cur, e.hole())
		case "Reset":
			cur = value{}
		case "Write":
			cur = concat(cur, e.hole())
		}
		return true
	})
	return cur
}

// sprintf formats format with args, each argument the analyzer cannot see
// printing as a hole.
func (e *evaluator) sprintf(format ast.Expr, args []ast.Expr, ellipsis bool, depth int) value {
	f := e.eval(format, depth)
	if !f.known() || ellipsis {
		return e.hole()
	}
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = e.arg(a, depth)
	}
	return value{s: fmt.Sprintf(f.s, vals...)}
}

// arg returns the Go value of a Sprintf argument, or a hole.
func (e *evaluator) arg(a ast.Expr, depth int) any {
	if tv := e.info.Types[a]; tv.Value != nil {
		switch tv.Value.Kind() {
		case constant.String:
			return constant.StringVal(tv.Value)
		case constant.Int:
			if i, ok := constant.Int64Val(tv.Value); ok {
				return i
			}
		case constant.Float:
			f, _ := constant.Float64Val(tv.Value)
			return f
		case constant.Bool:
			return constant.BoolVal(tv.Value)
		}
	}
	if t := e.info.TypeOf(a); t != nil {
		if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
			if v := e.eval(a, depth); v.known() {
				return v.s
			}
		}
	}
	return hole(e.hole().s)
}

// hole prints as its identifier whatever the verb, so that "%d" and "%q"
// of an unknown value still leave a name in the SQL.
type hole string

func (h hole) Format(f fmt.State, verb rune) { fmt.Fprint(f, string(h)) }

// identifier returns the parts of a pgx.Identifier expression.
func (e *evaluator) identifier(x ast.Expr) ([]value, bool) {
	x = ast.Unparen(x)
	switch x := x.(type) {
	case *ast.CompositeLit:
		parts := make([]value, 0, len(x.Elts))
		for _, el := range x.Elts {
			if _, ok := el.(*ast.KeyValueExpr); ok {
				return nil, false
			}
			parts = append(parts, e.eval(el, 0))
		}
		return parts, true
	case *ast.CallExpr:
		// pgx.Identifier([]string{...}), a conversion
		if tv := e.info.Types[x.Fun]; tv.IsType() && len(x.Args) == 1 {
			return e.identifier(x.Args[0])
		}
	case *ast.Ident:
		v, ok := e.info.Uses[x].(*types.Var)
		if !ok || e.body == nil {
			return nil, false
		}
		var last ast.Expr
		var lastPos token.Pos
		ast.Inspect(e.body, func(n ast.Node) bool {
			if n == nil || n.Pos() >= e.before {
				return false
			}
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if e.is(lhs, v) && len(n.Rhs) == len(n.Lhs) {
						last, lastPos = n.Rhs[i], n.Pos()
					}
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if e.info.Defs[name] == v && len(n.Values) == len(n.Names) {
						last, lastPos = n.Values[i], n.Pos()
					}
				}
			}
			return true
		})
		if last != nil {
			return e.at(lastPos).identifier(last)
		}
	}
	return nil, false
}
