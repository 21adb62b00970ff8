package vet

import (
	"fmt"
	"os"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
	"github.com/tenantc/tenantc/vet/internal/sqltok"
)

// CheckSchema runs the SQL checks on the annotated schema files that
// loaded into cat: tenant tables without a primary key, foreign keys from
// tenant tables to shared tables (a warning), SECURITY DEFINER
// tenant functions, and tenant functions whose search_path or dynamic SQL
// can leave their own schema. Every finding follows from the annotations:
// shared objects are not checked.
func CheckSchema(cfg *config.Config, cat *schema.Catalog) ([]Finding, error) {
	c := &schemaChecker{cfg: cfg, cat: cat, hasPK: map[string]bool{}}
	for _, path := range cat.Files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("vet: reading schema file: %w", err)
		}
		tree, err := pg.Parse(schema.BlankMetaCommands(string(src)))
		if err != nil {
			// schema.Load parsed it already; a file changed since.
			return nil, fmt.Errorf("vet: parsing %s: %w", cfg.Rel(path), err)
		}
		c.file(sqlpos.NewFile(cfg.Rel(path), src), tree)
	}
	for _, o := range cat.Objects {
		if o.Kind == schema.Table && o.Scope == schema.Tenant && !c.hasPK[o.Name] && !c.exempt[o.Name] {
			c.add(o.Pos, RuleNoPrimaryKey, Error, "tenant table %q has no primary key; rows of a per-tenant copy cannot be addressed, replicated or moved between servers by key", o.Name)
		}
	}
	return applyIgnores(c.findings, cat.Ignores), nil
}

// applyIgnores drops the findings on lines that a tenantc:ignore comment
// with a reason covers, and reports each comment without one, which
// suppresses nothing.
func applyIgnores(findings []Finding, ignores []schema.Ignore) []Finding {
	if len(ignores) == 0 {
		return findings
	}
	out := findings[:0]
	for _, f := range findings {
		ignored := slices.ContainsFunc(ignores, func(ig schema.Ignore) bool {
			return ig.Reason != "" && ig.Pos.File == f.Pos.File && ig.FromLine <= f.Pos.Line && f.Pos.Line <= ig.ToLine
		})
		if !ignored {
			out = append(out, f)
		}
	}
	for _, ig := range ignores {
		if ig.Reason == "" {
			out = append(out, Finding{Pos: ig.Pos, Rule: RuleIgnoreReason, Severity: Error,
				Message: "tenantc:ignore needs a reason: -- tenantc:ignore <why this is acceptable>"})
		}
	}
	return out
}

type schemaChecker struct {
	cfg      *config.Config
	cat      *schema.Catalog
	hasPK    map[string]bool
	exempt   map[string]bool // partitions and LIKE copies: their key comes from elsewhere
	findings []Finding
}

func (c *schemaChecker) add(pos position.Pos, rule string, sev Severity, format string, args ...any) {
	c.findings = append(c.findings, Finding{Pos: pos, Rule: rule, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

func (c *schemaChecker) file(f *sqlpos.File, tree *pg.ParseResult) {
	for _, raw := range tree.Stmts {
		switch n := raw.Stmt.Node.(type) {
		case *pg.Node_CreateStmt:
			c.createTable(n.CreateStmt)
			c.foreignKeys(f, n.CreateStmt.GetRelation().GetRelname(), n.CreateStmt.TableElts)
		case *pg.Node_AlterTableStmt:
			c.alterTable(n.AlterTableStmt)
			defs := make([]*pg.Node, 0, len(n.AlterTableStmt.Cmds))
			for _, cmd := range n.AlterTableStmt.Cmds {
				if d := cmd.GetAlterTableCmd().GetDef(); d != nil {
					defs = append(defs, d)
				}
			}
			c.foreignKeys(f, n.AlterTableStmt.GetRelation().GetRelname(), defs)
		case *pg.Node_CreateFunctionStmt:
			c.function(f, int(raw.StmtLocation), n.CreateFunctionStmt)
		}
	}
}

func (c *schemaChecker) createTable(s *pg.CreateStmt) {
	name := s.GetRelation().GetRelname()
	if s.Partbound != nil {
		c.markExempt(name)
	}
	for _, el := range s.TableElts {
		switch {
		case isPrimary(el.GetConstraint()):
			c.hasPK[name] = true
		case el.GetTableLikeClause() != nil:
			c.markExempt(name)
		}
		for _, con := range el.GetColumnDef().GetConstraints() {
			if isPrimary(con.GetConstraint()) {
				c.hasPK[name] = true
			}
		}
	}
}

func (c *schemaChecker) markExempt(name string) {
	if c.exempt == nil {
		c.exempt = map[string]bool{}
	}
	c.exempt[name] = true
}

func (c *schemaChecker) alterTable(s *pg.AlterTableStmt) {
	for _, cmd := range s.Cmds {
		if isPrimary(cmd.GetAlterTableCmd().GetDef().GetConstraint()) {
			c.hasPK[s.GetRelation().GetRelname()] = true
		}
	}
}

// foreignKeys reports the foreign keys from the tenant table name to shared
// tables among elts: table-level constraints, and the constraints of column
// definitions (CREATE TABLE elements, or ALTER TABLE ADD CONSTRAINT / ADD
// COLUMN definitions).
func (c *schemaChecker) foreignKeys(f *sqlpos.File, name string, elts []*pg.Node) {
	from, ok := c.cat.Relation(name)
	if !ok || from.Kind != schema.Table || from.Scope != schema.Tenant {
		return
	}
	for _, el := range elts {
		c.foreignKey(f, name, el.GetConstraint())
		for _, con := range el.GetColumnDef().GetConstraints() {
			c.foreignKey(f, name, con.GetConstraint())
		}
	}
}

// foreignKey reports con if it is a foreign key to a shared table. Each
// such key puts two RI triggers per tenant on the shared table: creating a
// tenant and every write to the shared table then cost in proportion to the
// number of tenants.
func (c *schemaChecker) foreignKey(f *sqlpos.File, from string, con *pg.Constraint) {
	if con == nil || con.Contype != pg.ConstrType_CONSTR_FOREIGN {
		return
	}
	rv := con.GetPktable()
	if rv == nil || rv.Schemaname != "" {
		// schema.Load rejects qualified names of catalog objects; any
		// other qualified table is not tenantc's.
		return
	}
	to, ok := c.cat.Relation(rv.Relname)
	if !ok || to.Scope != schema.Shared {
		return
	}
	c.add(f.Pos(int(rv.Location)), RuleTenantFKToShared, Warning,
		"tenant table %q references shared table %q: each tenant adds triggers to %q; creating tenants and writing %q slow down as the fleet grows",
		from, to.Name, to.Name, to.Name)
}

func isPrimary(con *pg.Constraint) bool {
	return con != nil && con.Contype == pg.ConstrType_CONSTR_PRIMARY
}

// function checks a tenant function's options and, for PL/pgSQL, its body.
func (c *schemaChecker) function(f *sqlpos.File, stmtStart int, s *pg.CreateFunctionStmt) {
	if len(s.Funcname) == 0 {
		return
	}
	name := s.Funcname[len(s.Funcname)-1].GetString_().GetSval()
	o, ok := c.cat.Function(name)
	if !ok || o.Scope != schema.Tenant {
		return
	}
	var body, lang string
	for _, opt := range s.Options {
		d := opt.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "security":
			if d.GetArg().GetBoolean().GetBoolval() {
				c.add(f.Pos(int(d.Location)), RuleSecurityDefiner, Error,
					"tenant function %q is SECURITY DEFINER: it runs with its owner's rights in every tenant schema; use SECURITY INVOKER and grant what it needs", name)
			}
		case "set":
			if v := d.GetArg().GetVariableSetStmt(); v != nil && v.Name == "search_path" && v.Kind != pg.VariableSetKind_VAR_SET_CURRENT {
				c.add(f.Pos(int(d.Location)), RuleFunctionSearchPath, Error,
					"tenant function %q sets its own search_path; tenantc creates tenant functions with SET search_path FROM CURRENT so that they resolve in their tenant's schema", name)
			}
		case "as":
			if l := d.GetArg().GetList(); l != nil && len(l.Items) > 0 {
				body = l.Items[0].GetString_().GetSval()
			}
		case "language":
			lang = strings.ToLower(d.GetArg().GetString_().GetSval())
		}
	}
	if lang != "plpgsql" || body == "" {
		return
	}
	// The body is the text between the dollar quotes; with '...' quoting
	// it is unescaped and not found verbatim, and positions fall back to
	// the function's name.
	base := -1
	if i := strings.Index(string(f.Src[stmtStart:]), body); i >= 0 {
		base = stmtStart + i
	}
	pos := func(off int) position.Pos {
		if base < 0 {
			return o.Pos
		}
		return f.Pos(base + off)
	}
	c.body(name, body, pos)
}

// body checks the EXECUTE statements and search_path changes of a
// PL/pgSQL body.
func (c *schemaChecker) body(fn, body string, pos func(int) position.Pos) {
	toks := sqltok.Tokenize(body)
	at := func(i int) *sqltok.Token {
		if i < len(toks) {
			return &toks[i]
		}
		return &sqltok.Token{}
	}
	for i, t := range toks {
		if t.Kind != sqltok.Word {
			continue
		}
		switch {
		case t.Text == "set_config" && at(i+1).Text == "(" && at(i+2).Kind == sqltok.String && strings.EqualFold(at(i+2).Text, "search_path"),
			t.Text == "set" && at(i+1).Text == "search_path",
			t.Text == "set" && at(i+1).Text == "local" && at(i+2).Text == "search_path":
			c.add(pos(t.Off), RuleFunctionSearchPath, Error,
				"tenant function %q changes search_path; it would leave its tenant's schema for the rest of the transaction", fn)
		case t.Text == "execute":
			next := at(i + 1)
			switch {
			case next.Kind == sqltok.String:
				c.executed(fn, next.Text, false, pos(t.Off))
			case next.Kind == sqltok.Word && next.Text == "format" && at(i+2).Text == "(" && at(i+3).Kind == sqltok.String:
				c.executed(fn, sqltok.FormatHoles(at(i+3).Text), true, pos(t.Off))
			default:
				c.add(pos(t.Off), RuleDynamicSQLInFunc, Warning,
					"tenant function %q runs EXECUTE on a string built at run time; tenantc cannot see which objects it names (write it as EXECUTE format('...') with the object names in the literal)", fn)
			}
		}
	}
}

// executed checks the SQL text of an EXECUTE; in a format() string every
// conversion was replaced with an identifier no catalog holds.
func (c *schemaChecker) executed(fn, sql string, format bool, pos position.Pos) {
	_, problems, err := sqlref.Find(c.cat, c.cfg.SharedSchema, sql)
	if err != nil {
		if !format {
			return // PL/pgSQL reports it when the function runs
		}
		c.add(pos, RuleDynamicSQLInFunc, Warning, "tenant function %q runs EXECUTE format(...) whose SQL tenantc cannot parse, so it cannot check the objects it names", fn)
		return
	}
	// A schema chosen at run time is the finding; the qualified names it
	// produces are not reported again.
	hole := format && qualifiedHole(sql)
	if hole {
		c.add(pos, RuleDynamicSQLInFunc, Error,
			"tenant function %q runs EXECUTE format(...) with a schema chosen at run time (%%I.name); it can reach another tenant's objects, while an unqualified name stays in the function's own schema", fn)
	}
	if format && !hole && unquotedTable(sql) {
		c.add(pos, RuleDynamicSQLInFunc, Error,
			"tenant function %q runs EXECUTE format(...) with a table name spliced in by %%s; a value such as other_schema.t would leave the function's schema: use %%I", fn)
	}
	for _, p := range problems {
		rule := RuleDynamicSQLInFunc
		switch {
		case strings.Contains(p.Msg, "search_path"):
			rule = RuleFunctionSearchPath
		case hole:
			continue
		}
		c.add(pos, rule, Error, "tenant function %q runs EXECUTE: %s", fn, p.Msg)
	}
}

// qualifiedHole reports whether a format() conversion stands for a schema
// name: a conversion followed by a dot and a name.
func qualifiedHole(sql string) bool {
	toks := sqltok.Tokenize(sql)
	for i := 0; i+2 < len(toks); i++ {
		if strings.HasPrefix(toks[i].Text, "tenantc_format_") && toks[i].Kind == sqltok.Word && toks[i+1].Text == "." &&
			(toks[i+2].Kind == sqltok.Word || toks[i+2].Kind == sqltok.Quoted) {
			return true
		}
	}
	return false
}

// unquotedTable reports whether a %s conversion of a format() string stands
// where a table name goes.
func unquotedTable(sql string) bool {
	toks := sqltok.Tokenize(sql)
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].Kind == sqltok.Word && isTableKeyword(toks[i].Text) && strings.HasPrefix(toks[i+1].Text, "tenantc_format_s") {
			return true
		}
	}
	return false
}

// isTableKeyword reports whether w is followed by a table name.
func isTableKeyword(w string) bool {
	switch w {
	case "from", "join", "into", "update", "table", "using":
		return true
	}
	return false
}
