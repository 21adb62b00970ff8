package unscoped

import (
	"go/ast"
	"go/token"
)

// flow follows the values of one variable along every path through a
// function body, statement by statement: both branches of an if, every
// case of a switch, a loop body run once or not at all. A path that
// returns or panics ends; break, continue and goto are taken to fall
// through, which keeps every value a path may carry.
type flow struct {
	// effect applies a simple statement to the values; for a range
	// statement, the assignment of its key and value.
	effect func(s ast.Stmt, in values) values
	// before is where to stop; with NoPos the walk covers the whole body
	// and collects exits.
	before token.Pos

	reached bool
	at      values // the values at before
	exits   values // the values at each return and at the end of the body
}

// quiet returns a flow with the same effect that neither stops nor
// collects exits: for a loop body's first run, or a closure's.
func (f *flow) quiet() *flow { return &flow{effect: f.effect} }

func (f *flow) contains(n ast.Node) bool {
	return n != nil && f.before.IsValid() && n.Pos() <= f.before && f.before < n.End()
}

func (f *flow) reach(in values) (values, bool) {
	f.reached, f.at = true, in
	return nil, true
}

// run walks a whole function body from in and returns the values at its
// exits.
func (f *flow) run(body *ast.BlockStmt, in values) values {
	out, ended := f.stmts(body.List, in)
	if !ended {
		f.exits = union(f.exits, out)
	}
	return f.exits
}

// stmts walks a statement list; it returns the values after it and
// whether every path through it ended (or before was reached).
func (f *flow) stmts(list []ast.Stmt, in values) (values, bool) {
	for _, s := range list {
		var ended bool
		in, ended = f.stmt(s, in)
		if ended || f.reached {
			return nil, true
		}
	}
	return in, false
}

func (f *flow) stmt(s ast.Stmt, in values) (values, bool) {
	inside := f.contains(s)
	switch s := s.(type) {
	case *ast.BlockStmt:
		return f.stmts(s.List, in)
	case *ast.LabeledStmt:
		return f.stmt(s.Stmt, in)
	case *ast.IfStmt:
		if s.Init != nil {
			if in, _ = f.stmt(s.Init, in); f.reached {
				return nil, true
			}
		}
		if inside && !f.contains(s.Body) && !f.contains(s.Else) && !f.contains(s.Init) {
			return f.reach(in)
		}
		thenOut, thenEnded := f.stmts(s.Body.List, in)
		if f.reached {
			return nil, true
		}
		elseOut, elseEnded := in, false
		if s.Else != nil {
			if elseOut, elseEnded = f.stmt(s.Else, in); f.reached {
				return nil, true
			}
		}
		return join(thenOut, thenEnded, elseOut, elseEnded)
	case *ast.ForStmt:
		if s.Init != nil {
			if in, _ = f.stmt(s.Init, in); f.reached {
				return nil, true
			}
		}
		return f.loop(s, s.Body, in)
	case *ast.RangeStmt:
		if inside && !f.contains(s.Body) {
			return f.reach(in)
		}
		return f.loop(s, s.Body, f.effect(s, in))
	case *ast.SwitchStmt:
		return f.cases(s, s.Init, s.Body, in)
	case *ast.TypeSwitchStmt:
		return f.cases(s, s.Init, s.Body, in)
	case *ast.SelectStmt:
		return f.cases(s, nil, s.Body, in)
	case *ast.ReturnStmt:
		if inside {
			if lit := f.closure(s); lit != nil {
				return f.stmts(lit.Body.List, in)
			}
			return f.reach(in)
		}
		f.exits = union(f.exits, f.effect(s, in))
		return nil, true
	case *ast.BranchStmt:
		return in, false
	}
	// A simple statement: an expression, an assignment, a declaration, go,
	// defer, a send.
	if inside {
		if lit := f.closure(s); lit != nil {
			return f.stmts(lit.Body.List, in)
		}
		return f.reach(in)
	}
	out := f.effect(s, in)
	// A closure may run later, or not: keep the values it may leave too.
	ast.Inspect(s, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok {
			if lo, ended := f.quiet().stmts(lit.Body.List, out); !ended {
				out = union(out, lo)
			}
			return false
		}
		return true
	})
	return out, panics(s)
}

// closure returns the function literal in s that holds before, if any.
func (f *flow) closure(s ast.Stmt) *ast.FuncLit {
	var found *ast.FuncLit
	ast.Inspect(s, func(n ast.Node) bool {
		if found != nil || n == nil || !f.contains(n) {
			return false
		}
		if lit, ok := n.(*ast.FuncLit); ok {
			found = lit
			return false
		}
		return true
	})
	return found
}

// loop walks a loop body that runs zero or more times; in holds the
// values at the loop's start.
func (f *flow) loop(s ast.Stmt, body *ast.BlockStmt, in values) (values, bool) {
	once, ended := f.quiet().stmts(body.List, in)
	if !ended {
		in = union(in, once)
	}
	if f.contains(body) {
		f.stmts(body.List, in)
		return nil, true
	}
	if f.contains(s) {
		return f.reach(in) // the condition or post statement
	}
	return in, false
}

// cases walks the clauses of a switch or select: one of them runs, or
// none when there is no default.
func (f *flow) cases(s, init ast.Stmt, body *ast.BlockStmt, in values) (values, bool) {
	if init != nil {
		if in, _ = f.stmt(init, in); f.reached {
			return nil, true
		}
	}
	var out values
	all, hasDefault := true, false
	for _, c := range body.List {
		var list []ast.Stmt
		switch c := c.(type) {
		case *ast.CaseClause:
			list, hasDefault = c.Body, hasDefault || c.List == nil
		case *ast.CommClause:
			list, hasDefault = c.Body, true // select blocks until a case runs
			if c.Comm != nil {
				list = append([]ast.Stmt{c.Comm}, list...)
			}
		}
		if f.contains(s) && !f.contains(c) {
			continue
		}
		o, ended := f.stmts(list, in)
		if f.reached {
			return nil, true
		}
		if !ended {
			out, all = union(out, o), false
		}
	}
	if f.contains(s) {
		return f.reach(in) // the tag or a case expression
	}
	if !hasDefault {
		out, all = union(out, in), false
	}
	if all {
		return nil, true
	}
	return out, false
}

// join merges the values after two branches.
func join(a values, aEnded bool, b values, bEnded bool) (values, bool) {
	switch {
	case aEnded && bEnded:
		return nil, true
	case aEnded:
		return b, false
	case bEnded:
		return a, false
	}
	return union(a, b), false
}

// panics reports whether s is a call of the panic built-in.
func panics(s ast.Stmt) bool {
	es, ok := s.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == "panic"
}
