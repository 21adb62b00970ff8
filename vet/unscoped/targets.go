package unscoped

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// siteKind says how the text at a site is checked.
type siteKind int

const (
	sqlSite        siteKind = iota // SQL text
	identifierSite                 // a pgx.Identifier naming a table (CopyFrom)
	markedSite                     // SQL text with {name} marks (tenancy.ParseSQL)
)

// site is an expression whose value reaches PostgreSQL as SQL.
type site struct {
	arg  ast.Expr
	kind siteKind
	at   token.Pos      // only assignments before this count
	body *ast.BlockStmt // of the outermost function around it, nil at package level
	line int            // first line of the statement or declaration holding it
}

// target says which argument of a database call holds the SQL.
type target struct {
	arg        int
	identifier bool // a pgx.Identifier naming a table (CopyFrom)
}

// pgxPrefix is the module path of pgx; pgconn and pgxpool live under it.
const pgxPrefix = "github.com/jackc/pgx/"

// sqlTarget returns where the SQL is for a call of the method fn, if fn is
// one that sends SQL to PostgreSQL. Methods are recognized by name and
// signature, not by their receiver: pgx's own types, the generated DBTX
// interfaces, tenancy.Conn, an application's wrapper or interface with
// pgx's method set, and a type parameter constrained by one all match. A
// result or receiver type from pgx or database/sql tells a database method
// from, say, a shell runner's Exec(ctx, cmd string).
func sqlTarget(fn *types.Func) (target, bool) {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return target{}, false
	}
	p := sig.Params()
	param := func(i int) types.Type {
		if i >= p.Len() {
			return nil
		}
		return p.At(i).Type()
	}
	pgxish := fromPackage(sig.Recv().Type(), pgxPrefix) || firstResultFrom(sig, pgxPrefix)
	sqlish := firstResultFrom(sig, "database/sql")
	ctx := isContext(param(0))
	switch fn.Name() {
	case "Exec", "Query", "QueryRow":
		switch {
		case ctx && isString(param(1)) && pgxish:
			return target{arg: 1}, true
		case isString(param(0)) && sqlish:
			return target{arg: 0}, true
		}
	case "ExecParams":
		switch {
		case ctx && isString(param(1)) && pgxish: // pgconn.PgConn
			return target{arg: 1}, true
		case isString(param(0)) && pgxish: // pgconn.Batch
			return target{arg: 0}, true
		}
	case "Prepare":
		switch {
		case ctx && isString(param(1)) && isString(param(2)) && pgxish:
			return target{arg: 2}, true
		case isString(param(0)) && sqlish:
			return target{arg: 0}, true
		}
	case "ExecContext", "QueryContext", "QueryRowContext", "PrepareContext":
		if ctx && isString(param(1)) && sqlish {
			return target{arg: 1}, true
		}
	case "CopyFrom":
		switch {
		case ctx && isIdentifier(param(1)):
			return target{arg: 1, identifier: true}, true
		case ctx && isString(param(2)) && pgxish: // pgconn.PgConn: COPY ... FROM STDIN
			return target{arg: 2}, true
		}
	case "CopyTo":
		if ctx && isString(param(2)) && pgxish {
			return target{arg: 2}, true
		}
	case "Queue":
		if isString(param(0)) && pgxish {
			return target{arg: 0}, true
		}
	}
	return target{}, false
}

// queryHelpers are packages of query helpers over pgx and database/sql
// whose functions and methods take the SQL as a parameter named query:
// scany's pgxscan.Select(ctx, db, &dst, query, args...), sqlx's
// db.Select(&dst, query, args...), db.MustExec(query, args...).
var queryHelpers = []string{"github.com/georgysavva/scany/", "github.com/jmoiron/sqlx"}

// helperTarget returns where the SQL is for a call of fn, if fn is a
// function or method of a query helper package with a string parameter
// named query.
func helperTarget(fn *types.Func) (target, bool) {
	if fn.Pkg() == nil {
		return target{}, false
	}
	path := fn.Pkg().Path()
	known := false
	for _, h := range queryHelpers {
		known = known || strings.HasPrefix(path, h) || path == strings.TrimSuffix(h, "/")
	}
	sig, ok := fn.Type().(*types.Signature)
	if !known || !ok || rewritesQuery(fn) {
		return target{}, false
	}
	for i := range sig.Params().Len() {
		p := sig.Params().At(i)
		if p.Name() == "query" && isString(p.Type()) {
			return target{arg: i}, true
		}
	}
	return target{}, false
}

// rewritesQuery reports whether fn is sqlx's Rebind, which returns its
// query with the driver's placeholders and sends nothing: the call that
// runs the result is checked, through it.
func rewritesQuery(fn *types.Func) bool {
	return fn.Name() == "Rebind" && fn.Pkg() != nil && fn.Pkg().Path() == "github.com/jmoiron/sqlx"
}

// isTenancyFunc reports whether fn is the package-level function name of
// the tenancy runtime.
func isTenancyFunc(fn *types.Func, names ...string) bool {
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != tenancyPath {
		return false
	}
	if sig, ok := fn.Type().(*types.Signature); !ok || sig.Recv() != nil {
		return false
	}
	for _, n := range names {
		if fn.Name() == n {
			return true
		}
	}
	return false
}

// isConnMethod reports whether fn is the method name of tenancy.Conn.
func isConnMethod(fn *types.Func, name string) bool {
	if fn == nil || fn.Name() != name || fn.Pkg() == nil || fn.Pkg().Path() != tenancyPath {
		return false
	}
	sig, ok := fn.Type().(*types.Signature)
	return ok && sig.Recv() != nil && isNamed(sig.Recv().Type(), tenancyPath, "Conn")
}

// fromPackage reports whether t, or what it points to, is a named type of
// a package whose path starts with prefix.
func fromPackage(t types.Type, prefix string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && strings.HasPrefix(n.Obj().Pkg().Path(), prefix)
}

func firstResultFrom(sig *types.Signature, prefix string) bool {
	return sig.Results().Len() > 0 && fromPackage(sig.Results().At(0).Type(), prefix)
}

// isNamed reports whether t, or what it points to, is the named type
// path.name.
func isNamed(t types.Type, path, name string) bool {
	if t == nil {
		return false
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == name && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path
}

func isContext(t types.Type) bool { return isNamed(t, "context", "Context") }

func isString(t types.Type) bool {
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// isIdentifier reports whether t is pgx.Identifier.
func isIdentifier(t types.Type) bool {
	if t == nil {
		return false
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == "Identifier" && n.Obj().Pkg() != nil && strings.HasPrefix(n.Obj().Pkg().Path(), pgxPrefix)
}

// isQueuedQuery reports whether t is pgx.QueuedQuery or a pointer to it.
func isQueuedQuery(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == "QueuedQuery" && n.Obj().Pkg() != nil && strings.HasPrefix(n.Obj().Pkg().Path(), pgxPrefix)
}

// callee returns the function or method a call runs and how many leading
// arguments come before the method's own parameters: one for a method
// expression, (*pgxpool.Pool).Exec(pool, ctx, sql). A call through a
// local or package variable holding a method value (q := pool.Query;
// q(ctx, sql)) runs that method.
func (fc *fileChecker) callee(call *ast.CallExpr, stack []ast.Node) (*types.Func, int) {
	info := fc.pass.TypesInfo
	fun := ast.Unparen(call.Fun)
	switch fun := fun.(type) {
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[fun]; ok {
			fn, _ := sel.Obj().(*types.Func)
			switch sel.Kind() {
			case types.MethodExpr:
				return fn, 1
			case types.MethodVal:
				return fn, 0
			}
			if v, ok := sel.Obj().(*types.Var); ok { // a struct field of func type
				return fc.funcVar(v, call.Pos(), outermostBody(stack))
			}
			return nil, 0
		}
		if fn, ok := info.Uses[fun.Sel].(*types.Func); ok {
			return fn, 0
		}
	case *ast.Ident:
		switch o := info.Uses[fun].(type) {
		case *types.Func:
			return o, 0
		case *types.Var:
			return fc.funcVar(o, call.Pos(), outermostBody(stack))
		}
	}
	return nil, 0
}

// maySendSQL reports whether a func type could hold a database method:
// one with a string or pgx.Identifier parameter whose first result comes
// from pgx or database/sql. It spares the search for the assignments of
// every other func-typed variable.
func maySendSQL(sig *types.Signature) bool {
	if !firstResultFrom(sig, pgxPrefix) && !firstResultFrom(sig, "database/sql") {
		return false
	}
	for i := range sig.Params().Len() {
		if t := sig.Params().At(i).Type(); isString(t) || isIdentifier(t) {
			return true
		}
	}
	return false
}

// funcVar returns the method a variable of func type was last set to
// before pos with a method value or expression, in the function body or
// in the variable's package-level declaration.
func (fc *fileChecker) funcVar(v *types.Var, pos token.Pos, body *ast.BlockStmt) (*types.Func, int) {
	if sig, ok := v.Type().Underlying().(*types.Signature); !ok || !maySendSQL(sig) {
		return nil, 0
	}
	info := fc.pass.TypesInfo
	var fn *types.Func
	shift := 0
	consider := func(rhs ast.Expr) {
		sel, ok := ast.Unparen(rhs).(*ast.SelectorExpr)
		if !ok {
			return
		}
		s, ok := info.Selections[sel]
		if !ok {
			return
		}
		f, ok := s.Obj().(*types.Func)
		if !ok {
			return
		}
		fn, shift = f, 0
		if s.Kind() == types.MethodExpr {
			shift = 1
		}
	}
	is := func(x ast.Expr) bool {
		switch x := ast.Unparen(x).(type) {
		case *ast.Ident:
			return info.Uses[x] == v || info.Defs[x] == v
		case *ast.SelectorExpr:
			return info.Uses[x.Sel] == v
		}
		return false
	}
	visit := func(n ast.Node) bool {
		if n == nil || n.Pos() >= pos {
			return false
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, lhs := range n.Lhs {
					if is(lhs) {
						consider(n.Rhs[i])
					}
				}
			}
		case *ast.ValueSpec:
			if len(n.Names) == len(n.Values) {
				for i, name := range n.Names {
					if info.Defs[name] == v {
						consider(n.Values[i])
					}
				}
			}
		case *ast.KeyValueExpr: // s := store{exec: pool.Exec}
			if id, ok := n.Key.(*ast.Ident); ok && info.Uses[id] == v {
				consider(n.Value)
			}
		}
		return true
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() || v.IsField() {
		pos = token.Pos(1 << 62)
		for _, f := range fc.pass.Files {
			ast.Inspect(f, visit)
		}
	} else if body != nil {
		ast.Inspect(body, visit)
	}
	return fn, shift
}
