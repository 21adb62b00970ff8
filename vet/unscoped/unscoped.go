package unscoped

import (
	"context"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
)

// Rule names, stable: they appear in tenantc vet's output, its JSON and
// SARIF, and the diagnostics' Category.
const (
	RuleUnscoped     = "unscoped-tenant-ref"
	RuleQualified    = "qualified-tenant-ref"
	RuleSearchPath   = "search-path"
	RuleDynamic      = "dynamic-sql"
	RuleIgnoreReason = "ignore-reason"
)

// IsWarning reports whether findings of rule are warnings, which fail
// tenantc vet only under --strict.
func IsWarning(rule string) bool { return rule == RuleDynamic }

// tenancyPath is the runtime package, which builds scoped SQL itself.
const tenancyPath = "github.com/tenantc/tenantc/tenancy"

// ignoreDirective suppresses findings on its line and the statement below.
const ignoreDirective = "//tenantc:ignore"

// Analyzer reports SQL passed to pgx or database/sql that bypasses tenant
// scoping. It reads the catalog from its -config flag; see the package doc.
var Analyzer = New()

// Option configures an analyzer built by [New].
type Option func(*checker)

// WithCatalog gives the analyzer a loaded catalog and the config's
// shared_schema, so that it does not read tenantc.yaml itself.
func WithCatalog(cat *schema.Catalog, sharedSchema string) Option {
	return func(c *checker) {
		c.cat, c.shared = cat, sharedSchema
		c.once.Do(func() {})
	}
}

// New returns a new unscoped analyzer. Each one loads its catalog at most
// once, on its first package.
func New(opts ...Option) *analysis.Analyzer {
	c := &checker{}
	for _, opt := range opts {
		opt(c)
	}
	a := &analysis.Analyzer{
		Name: "unscoped",
		Doc:  "report raw SQL that names tenant objects\n\nSQL passed to pgx or database/sql that names a tenant table, view, type, sequence or function bypasses tenantc's schema qualification; use the generated TenantQueries or tenancy.Conn.",
		URL:  "https://pkg.go.dev/github.com/tenantc/tenantc/vet/unscoped",
		Run:  c.run,
	}
	a.Flags.StringVar(&c.configPath, "config", "", "path of tenantc.yaml (default: the first one found from the package's directory upwards)")
	return a
}

// checker is the state of one analyzer: its flags and its catalog.
type checker struct {
	configPath string

	once    sync.Once
	cat     *schema.Catalog
	shared  string
	loadErr error
}

// load reads the catalog on the first package; dir is that package's
// directory, where the search for tenantc.yaml starts without -config.
func (c *checker) load(dir string) error {
	c.once.Do(func() {
		path := c.configPath
		if path == "" {
			p, err := findConfig(dir)
			if err != nil {
				c.loadErr = err
				return
			}
			path = p
		}
		cfg, err := config.Load(path)
		if err != nil {
			c.loadErr = fmt.Errorf("unscoped: loading config: %w", err)
			return
		}
		cat, err := schema.Load(context.Background(), cfg)
		if err != nil {
			c.loadErr = fmt.Errorf("unscoped: loading schema of %s: %w", path, err)
			return
		}
		c.cat, c.shared = cat, cfg.SharedSchema
	})
	return c.loadErr
}

// findConfig returns the first tenantc.yaml in dir or a parent directory.
func findConfig(dir string) (string, error) {
	start := dir
	for {
		p := filepath.Join(dir, config.FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("unscoped: no %s in %s or above; name one with -config (-unscoped.config under go vet): %w", config.FileName, start, config.ErrNotFound)
		}
		dir = parent
	}
}

func (c *checker) run(pass *analysis.Pass) (any, error) {
	path := pass.Pkg.Path()
	if path == tenancyPath || strings.HasPrefix(path, tenancyPath+"/") || path == tenancyPath+"_test" {
		return nil, nil
	}
	var files []*ast.File
	for _, f := range pass.Files {
		if !ast.IsGenerated(f) {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, nil
	}
	if err := c.load(filepath.Dir(pass.Fset.Position(files[0].Pos()).Filename)); err != nil {
		return nil, err
	}
	for _, f := range files {
		fc := &fileChecker{checker: c, pass: pass, file: f, ignores: ignores(pass, f)}
		fc.check()
	}
	return nil, nil
}

// ignores returns the lines of the file's //tenantc:ignore comments that
// give a reason, and reports those without one.
func ignores(pass *analysis.Pass, f *ast.File) map[int]bool {
	m := map[int]bool{}
	for _, g := range f.Comments {
		for _, cm := range g.List {
			rest, ok := strings.CutPrefix(cm.Text, ignoreDirective)
			if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
				continue
			}
			if strings.TrimSpace(rest) == "" {
				pass.Report(analysis.Diagnostic{
					Pos:      cm.Pos(),
					Category: RuleIgnoreReason,
					Message:  "tenantc:ignore needs a reason: //tenantc:ignore <why this SQL may bypass tenant scoping>",
				})
				continue
			}
			m[pass.Fset.Position(cm.Pos()).Line] = true
		}
	}
	return m
}

// fileChecker checks the SQL calls of one file.
type fileChecker struct {
	*checker
	pass    *analysis.Pass
	file    *ast.File
	ignores map[int]bool // lines with an ignore comment
	stack   []ast.Node   // enclosing nodes of the call being checked
}

func (fc *fileChecker) check() {
	ast.PreorderStack(fc.file, nil, func(n ast.Node, stack []ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, ok := typeutil.Callee(fc.pass.TypesInfo, call).(*types.Func)
		if !ok {
			return true
		}
		target, ok := sqlTarget(fn)
		if !ok || target.arg >= len(call.Args) {
			return true
		}
		fc.stack = stack
		arg := call.Args[target.arg]
		if target.identifier {
			fc.identifier(call, arg)
		} else {
			fc.sql(call, arg)
		}
		return true
	})
}

// target says which argument of a database call holds the SQL.
type target struct {
	arg        int
	identifier bool // a pgx.Identifier naming a table (CopyFrom)
}

// sqlTarget returns where the SQL is for a call of fn, if fn is a database
// method tenantc checks.
func sqlTarget(fn *types.Func) (target, bool) {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil || fn.Pkg() == nil {
		return target{}, false
	}
	recv := sig.Recv().Type()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := recv.(*types.Named)
	if !ok {
		return target{}, false
	}
	typ := named.Obj().Name()
	switch fn.Pkg().Path() {
	case "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgxpool":
		if typ == "Batch" {
			return target{arg: 0}, fn.Name() == "Queue"
		}
		if typ != "Conn" && typ != "Tx" && typ != "Pool" {
			return target{}, false
		}
		switch fn.Name() {
		case "Exec", "Query", "QueryRow":
			return target{arg: 1}, true
		case "Prepare":
			return target{arg: 2}, true
		case "CopyFrom":
			return target{arg: 1, identifier: true}, true
		}
	case "github.com/jackc/pgx/v5/pgconn":
		if typ != "PgConn" {
			return target{}, false
		}
		switch fn.Name() {
		case "Exec", "ExecParams":
			return target{arg: 1}, true
		case "Prepare":
			return target{arg: 2}, true
		}
	case "database/sql":
		if typ != "DB" && typ != "Tx" && typ != "Conn" {
			return target{}, false
		}
		switch fn.Name() {
		case "Exec", "Query", "QueryRow", "Prepare":
			if typ == "Conn" {
				return target{}, false // sql.Conn has only the Context variants
			}
			return target{arg: 0}, true
		case "ExecContext", "QueryContext", "QueryRowContext", "PrepareContext":
			return target{arg: 1}, true
		}
	}
	return target{}, false
}

// report reports a finding at the SQL argument unless an ignore comment
// with a reason covers it.
func (fc *fileChecker) report(at ast.Node, rule, format string, args ...any) {
	if fc.ignored(at) {
		return
	}
	fc.pass.Report(analysis.Diagnostic{
		Pos:      at.Pos(),
		End:      at.End(),
		Category: rule,
		Message:  fmt.Sprintf(format, args...),
	})
}

// ignored reports whether an ignore comment is on the line of at, the line
// above it, or on or above the first line of the statement holding it.
func (fc *fileChecker) ignored(at ast.Node) bool {
	if len(fc.ignores) == 0 {
		return false
	}
	line := func(p token.Pos) int { return fc.pass.Fset.Position(p).Line }
	lo, hi := line(at.Pos())-1, line(at.End())
	for i := len(fc.stack) - 1; i >= 0; i-- {
		if s, ok := fc.stack[i].(ast.Stmt); ok {
			lo = min(lo, line(s.Pos())-1)
			break
		}
	}
	for l := lo; l <= hi; l++ {
		if fc.ignores[l] {
			return true
		}
	}
	return false
}

const useInstead = "use the generated TenantQueries or tenancy.Conn"

// sql checks the SQL text passed as arg.
func (fc *fileChecker) sql(call *ast.CallExpr, arg ast.Expr) {
	ev := &evaluator{info: fc.pass.TypesInfo, files: fc.pass.Files, body: fc.body(), before: call.Pos()}
	v := ev.eval(arg, 0)
	if v.opaque {
		fc.report(arg, RuleDynamic, "dynamic SQL: tenantc cannot see the text of this query, so it cannot check its tables")
		return
	}
	text := v.s
	if !mayReference(fc.cat, text) {
		// Most SQL in an application names only shared tables; the
		// tokenizer tells so without a round trip through the parser.
		if dynamicTables(text) {
			fc.report(arg, RuleDynamic, "dynamic SQL: a table name is built at run time, so tenantc cannot check it")
		}
		return
	}
	refs, problems, err := queries.FindReferences(fc.cat, fc.shared, text)
	if err != nil {
		fc.fragment(arg, text)
		return
	}
	seen := map[string]bool{}
	for _, r := range refs {
		if r.Object.Scope != schema.Tenant {
			continue
		}
		msg := unscopedMessage(r.Object)
		if !seen[msg] {
			seen[msg] = true
			fc.report(arg, RuleUnscoped, "%s", msg)
		}
	}
	for _, p := range problems {
		rule := problemRule(p)
		if rule == "" || seen[p.Msg] {
			continue
		}
		seen[p.Msg] = true
		fc.report(arg, rule, "%s", p.Msg)
	}
	if tables := dynamicTables(text); tables {
		fc.report(arg, RuleDynamic, "dynamic SQL: a table name is built at run time, so tenantc cannot check it")
	}
}

// problemRule classifies a problem queries.FindReferences found. A shared
// object qualified with another schema is not vet's business: it does not
// bypass tenant scoping.
func problemRule(p queries.Problem) string {
	switch {
	case strings.Contains(p.Msg, "search_path"):
		return RuleSearchPath
	case strings.HasPrefix(p.Msg, "tenant "):
		return RuleQualified
	}
	return ""
}

func unscopedMessage(o *schema.Object) string {
	return fmt.Sprintf("unscoped query: %s %q is tenant-scoped; %s", o.Kind, o.Name, useInstead)
}

// fragment checks text that does not parse as SQL with the tokenizer: the
// names after FROM, JOIN, INTO, UPDATE and TABLE and after :: casts.
func (fc *fileChecker) fragment(arg ast.Expr, text string) {
	names, dynamic := fragmentNames(text)
	seen := map[string]bool{}
	for _, n := range names {
		lookup := fc.cat.Relation
		if n.cast {
			lookup = fc.cat.Type
		}
		o, ok := lookup(n.name)
		if !ok || o.Scope != schema.Tenant {
			continue
		}
		msg := unscopedMessage(o)
		if n.qualified {
			msg = fmt.Sprintf("tenant %s %q must not be schema-qualified; %s", o.Kind, o.Name, useInstead)
		}
		if !seen[msg] {
			seen[msg] = true
			rule := RuleUnscoped
			if n.qualified {
				rule = RuleQualified
			}
			fc.report(arg, rule, "%s", msg)
		}
	}
	if dynamic || len(names) == 0 && len(seen) == 0 {
		fc.report(arg, RuleDynamic, "dynamic SQL: tenantc cannot parse this query or see its tables")
	}
}

// identifier checks the table identifier of a CopyFrom. pgx quotes each
// part, so the names are compared exactly, without folding.
func (fc *fileChecker) identifier(call *ast.CallExpr, arg ast.Expr) {
	ev := &evaluator{info: fc.pass.TypesInfo, files: fc.pass.Files, body: fc.body(), before: call.Pos()}
	parts, ok := ev.identifier(arg)
	if !ok || len(parts) == 0 || !parts[len(parts)-1].known() {
		fc.report(arg, RuleDynamic, "dynamic SQL: tenantc cannot see the table that CopyFrom writes to")
		return
	}
	o, ok := fc.cat.Relation(parts[len(parts)-1].s)
	if !ok || o.Scope != schema.Tenant {
		return
	}
	if len(parts) > 1 {
		fc.report(arg, RuleQualified, "tenant %s %q must not be schema-qualified; %s", o.Kind, o.Name, useInstead)
		return
	}
	fc.report(arg, RuleUnscoped, "%s", unscopedMessage(o))
}

// body returns the body of the outermost function holding the call: a
// closure may use a variable of the function around it.
func (fc *fileChecker) body() *ast.BlockStmt {
	for _, n := range fc.stack {
		switch n := n.(type) {
		case *ast.FuncDecl:
			return n.Body
		case *ast.FuncLit:
			return n.Body
		}
	}
	return nil
}
