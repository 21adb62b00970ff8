package schema

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/tenantc/tenantc/internal/sqlref"
)

// stmt declares the object a statement creates, or attaches the references
// of an ALTER TABLE, index, trigger or policy to the table it follows.
func (l *loader) stmt(f *file, s *stmt) {
	switch n := s.node.Node.(type) {
	case *pg.Node_CreateStmt:
		c := n.CreateStmt
		o := l.declare(f, s, Table, rangeVarParts(c.Relation), int(c.GetRelation().GetLocation()))
		o.Columns = l.tableColumns(c)
		l.walk(f, s, o, c, c.Relation)
		for _, e := range c.TableElts {
			if cd := e.GetColumnDef(); cd != nil {
				l.implicitSequence(f, o, cd)
			}
		}
	case *pg.Node_CreateTableAsStmt:
		c := n.CreateTableAsStmt
		kind := Table
		if c.Objtype == pg.ObjectType_OBJECT_MATVIEW {
			kind = MaterializedView
		} else if c.Objtype != pg.ObjectType_OBJECT_TABLE {
			return
		}
		o := l.declare(f, s, kind, rangeVarParts(c.GetInto().GetRel()), int(c.GetInto().GetRel().GetLocation()))
		o.Columns = renamed(l.queryColumns(c.Query.GetSelectStmt(), nil), c.GetInto().GetColNames())
		l.walk(f, s, o, c, c.GetInto().GetRel())
	case *pg.Node_ViewStmt:
		v := n.ViewStmt
		cols := renamed(l.queryColumns(v.Query.GetSelectStmt(), nil), v.Aliases)
		if prev, ok := l.cat.Relation(v.GetView().GetRelname()); ok && v.Replace && prev.Kind == View &&
			prev.Scope == l.scopeFor(f, s) && len(l.unqualified(rangeVarParts(v.View))) == 1 {
			// CREATE OR REPLACE VIEW redefines the view; it is not a second one.
			prev.Columns = cols
			l.walk(f, s, prev, v, v.View)
			return
		}
		o := l.declare(f, s, View, rangeVarParts(v.View), int(v.GetView().GetLocation()))
		o.Columns = cols
		l.walk(f, s, o, v, v.View)
	case *pg.Node_CreateSeqStmt:
		c := n.CreateSeqStmt
		o := l.declare(f, s, Sequence, rangeVarParts(c.Sequence), int(c.GetSequence().GetLocation()))
		l.walk(f, s, o, c, c.Sequence)
		for _, opt := range c.Options {
			d := opt.GetDefElem()
			if d == nil || d.Defname != "owned_by" {
				continue
			}
			parts := sqlref.NameList(d.Arg.GetList().GetItems())
			if len(parts) < 2 { // OWNED BY NONE
				continue
			}
			off := s.start
			if i := tokenAfter(s.toks, pg.Token_OWNED); i >= 0 && i+2 < len(s.toks) {
				off = int(s.toks[i+2].Start) // OWNED BY name
			}
			l.refs = append(l.refs, ref{ns: nsRelation, parts: parts[:len(parts)-1], pos: f.Pos(off), from: o})
		}
	case *pg.Node_CreateEnumStmt:
		c := n.CreateEnumStmt
		l.declare(f, s, Enum, sqlref.NameList(c.TypeName), keywordName(s, pg.Token_TYPE_P))
	case *pg.Node_CompositeTypeStmt:
		c := n.CompositeTypeStmt
		o := l.declare(f, s, Composite, rangeVarParts(c.Typevar), int(c.GetTypevar().GetLocation()))
		o.Columns = []string{}
		for _, e := range c.Coldeflist {
			if cd := e.GetColumnDef(); cd != nil {
				o.Columns = append(o.Columns, cd.Colname)
			}
		}
		l.walk(f, s, o, c, c.Typevar)
	case *pg.Node_CreateDomainStmt:
		c := n.CreateDomainStmt
		o := l.declare(f, s, Domain, sqlref.NameList(c.Domainname), keywordName(s, pg.Token_DOMAIN_P))
		l.walk(f, s, o, c, nil)
	case *pg.Node_CreateFunctionStmt:
		c := n.CreateFunctionStmt
		o := l.declare(f, s, Function, sqlref.NameList(c.Funcname), keywordName(s, pg.Token_FUNCTION, pg.Token_PROCEDURE))
		l.walk(f, s, o, c, nil)
		l.functionBody(f, s, o, c)
	case *pg.Node_AlterTableStmt:
		c := n.AlterTableStmt
		o := l.owner(c.Relation, c.Objtype == pg.ObjectType_OBJECT_TYPE)
		l.walk(f, s, o, c, nil)
		if o == nil {
			return
		}
		for _, cmd := range c.Cmds {
			at := cmd.GetAlterTableCmd()
			if at == nil {
				continue
			}
			switch at.Subtype {
			case pg.AlterTableType_AT_AddColumn:
				if cd := at.Def.GetColumnDef(); cd != nil && o.Columns != nil && !slices.Contains(o.Columns, cd.Colname) {
					o.Columns = append(o.Columns, cd.Colname)
					l.implicitSequence(f, o, cd)
				}
			case pg.AlterTableType_AT_DropColumn:
				if i := slices.Index(o.Columns, at.Name); i >= 0 {
					o.Columns = slices.Delete(o.Columns, i, i+1)
				}
			}
		}
	case *pg.Node_RenameStmt:
		c := n.RenameStmt
		if c.RenameType != pg.ObjectType_OBJECT_COLUMN || c.Relation == nil {
			return
		}
		if o := l.owner(c.Relation, false); o != nil {
			if i := slices.Index(o.Columns, c.Subname); i >= 0 {
				o.Columns[i] = c.Newname
			}
		}
	case *pg.Node_IndexStmt:
		c := n.IndexStmt
		l.walk(f, s, l.owner(c.Relation, false), c, nil)
	case *pg.Node_CreateTrigStmt:
		c := n.CreateTrigStmt
		o := l.owner(c.Relation, false)
		l.walk(f, s, o, c, nil)
		// EXECUTE FUNCTION|PROCEDURE name: the name has no location.
		if i := tokenAfter(s.toks, pg.Token_EXECUTE); i >= 0 && i+2 < len(s.toks) {
			l.refs = append(l.refs, ref{ns: nsFunction, parts: sqlref.NameList(c.Funcname), pos: f.Pos(int(s.toks[i+2].Start)), from: o})
		}
	case *pg.Node_CreatePolicyStmt:
		c := n.CreatePolicyStmt
		l.walk(f, s, l.owner(c.Table, false), c, nil)
	}
}

// declare records the object a CREATE statement defines. loc is the offset
// of the first part of its (possibly qualified) name.
func (l *loader) declare(f *file, s *stmt, kind Kind, parts []string, loc int) *Object {
	if len(parts) == 0 {
		parts = []string{""}
	}
	name := parts[len(parts)-1]
	o := &Object{Name: name, Kind: kind, Scope: l.scopeFor(f, s), Pos: f.Pos(f.lastPart(loc, len(parts)))}
	if len(l.unqualified(parts)) > 1 {
		l.errs.Add(f.Pos(loc), "%s", qualifiedMsg(parts))
	}
	if o.Scope == 0 {
		l.errs.Add(o.Pos, "%s %q has no tenantc scope: add -- tenantc:shared or -- tenantc:tenant before it, or -- tenantc:default at the top of the file", kind, name)
	}
	owner, prev := l.cat.add(o)
	if prev != nil {
		l.errs.Add(o.Pos, "%s", duplicateMsg(o, prev))
	}
	return owner
}

// owner returns the declared relation (or, for ALTER TYPE, type) that a
// statement altering rv follows, or nil when the schema does not declare it.
func (l *loader) owner(rv *pg.RangeVar, isType bool) *Object {
	if rv == nil {
		return nil
	}
	if isType {
		o, _ := l.cat.Type(rv.Relname)
		return o
	}
	o, _ := l.cat.Relation(rv.Relname)
	return o
}

// implicitSequence records the sequence a serial or identity column
// creates, named as PostgreSQL names it when the name is free.
func (l *loader) implicitSequence(f *file, table *Object, cd *pg.ColumnDef) {
	serial := false
	if cd.TypeName != nil && len(cd.TypeName.Names) == 1 {
		switch sqlref.NameList(cd.TypeName.Names)[0] {
		case "serial", "serial2", "serial4", "serial8", "smallserial", "bigserial":
			serial = true
		}
	}
	for _, c := range cd.Constraints {
		if c.GetConstraint().GetContype() == pg.ConstrType_CONSTR_IDENTITY {
			serial = true
		}
	}
	name := table.Name + "_" + cd.Colname + "_seq"
	if !serial || len(name) > 63 {
		return
	}
	l.implicit = append(l.implicit, &Object{Name: name, Kind: Sequence, Scope: table.Scope, Pos: f.Pos(int(cd.Location))})
}

// tableColumns lists a table's columns: inherited ones first, as PostgreSQL
// orders them, then its own and those copied by LIKE. It returns nil when a
// parent, LIKE source or OF type is not in the catalog.
func (l *loader) tableColumns(c *pg.CreateStmt) []string {
	cols := []string{}
	add := func(names []string) {
		for _, n := range names {
			if !slices.Contains(cols, n) {
				cols = append(cols, n)
			}
		}
	}
	if c.OfTypename != nil {
		t, ok := l.cat.Type(baseName(sqlref.NameList(c.OfTypename.Names)))
		if !ok || t.Columns == nil {
			return nil
		}
		add(t.Columns)
	}
	for _, n := range c.InhRelations {
		r, ok := l.cat.Relation(n.GetRangeVar().GetRelname())
		if !ok || r.Columns == nil {
			return nil
		}
		add(r.Columns)
	}
	for _, e := range c.TableElts {
		switch {
		case e.GetColumnDef() != nil:
			add([]string{e.GetColumnDef().Colname})
		case e.GetTableLikeClause() != nil:
			r, ok := l.cat.Relation(e.GetTableLikeClause().GetRelation().GetRelname())
			if !ok || r.Columns == nil {
				return nil
			}
			add(r.Columns)
		}
	}
	return cols
}

// functionBody checks the body of a LANGUAGE sql function written as a
// string: it is parsed like any other SQL, with positions inside the
// literal when the literal is dollar-quoted or has no escapes.
func (l *loader) functionBody(f *file, s *stmt, o *Object, c *pg.CreateFunctionStmt) {
	var lang, body string
	for _, opt := range c.Options {
		d := opt.GetDefElem()
		switch {
		case d == nil:
		case d.Defname == "language":
			lang = strings.ToLower(d.Arg.GetString_().GetSval())
		case d.Defname == "as":
			if items := d.Arg.GetList().GetItems(); len(items) == 1 {
				body = items[0].GetString_().GetSval()
			}
		}
	}
	if lang != "sql" || body == "" {
		return
	}
	tree, err := pg.Parse(body)
	if err != nil {
		return // PostgreSQL reports it when the function is created
	}
	w := &walker{l: l, f: f, from: o, fixed: s.start, fallback: s.start}
	for _, t := range s.toks {
		if t.Token != pg.Token_SCONST {
			continue
		}
		if base, exact := literalBody(f.src[t.Start:t.End], body); base >= 0 {
			if exact {
				w.base, w.fixed = int(t.Start)+base, -1
			} else {
				w.fixed = int(t.Start)
			}
			break
		}
	}
	for _, rs := range tree.Stmts {
		w.walk(rs.Stmt.ProtoReflect())
	}
}

// literalBody reports where body starts inside the string literal lit: the
// offset, and whether offsets in body map one to one onto lit. It returns
// -1 when lit does not hold body.
func literalBody(lit, body string) (int, bool) {
	if strings.HasPrefix(lit, "$") {
		end := strings.IndexByte(lit[1:], '$')
		if end < 0 {
			return -1, false
		}
		tag := lit[:end+2]
		if len(lit) >= 2*len(tag) && strings.HasSuffix(lit, tag) && lit[len(tag):len(lit)-len(tag)] == body {
			return len(tag), true
		}
		return -1, false
	}
	q := strings.IndexByte(lit, '\'')
	if q < 0 || len(lit) < q+2 {
		return -1, false
	}
	inner := lit[q+1 : len(lit)-1]
	switch {
	case inner == body && q == 0:
		return 1, true
	case inner == body || strings.ReplaceAll(inner, "''", "'") == body:
		return 0, false
	}
	return -1, false
}

// walk collects the references in n (skipping the node naming the object
// itself) for the object from.
func (l *loader) walk(f *file, s *stmt, from *Object, n proto.Message, skip proto.Message) {
	w := &walker{l: l, f: f, from: from, skip: skip, fixed: -1, fallback: s.start}
	w.walk(n.ProtoReflect())
}

// keywordName returns the offset of the name after the first of the
// keywords in s (CREATE TYPE name, CREATE FUNCTION name): those statements
// keep no location for their name.
func keywordName(s *stmt, kws ...pg.Token) int {
	if i := tokenAfter(s.toks, kws...); i >= 0 && i+1 < len(s.toks) {
		return int(s.toks[i+1].Start)
	}
	return s.start
}

// tokenAfter returns the index of the first token of one of the kinds, or
// -1.
func tokenAfter(toks []*pg.ScanToken, kinds ...pg.Token) int {
	return slices.IndexFunc(toks, func(t *pg.ScanToken) bool { return slices.Contains(kinds, t.Token) })
}

// renamed applies explicit column names (CREATE VIEW v (a, b)) over the
// names the query gives.
func renamed(cols []string, names []*pg.Node) []string {
	if len(names) == 0 || cols == nil {
		return cols
	}
	out := sqlref.NameList(names)
	if len(cols) > len(out) {
		out = append(out, cols[len(out):]...)
	}
	return out
}

func rangeVarParts(rv *pg.RangeVar) []string {
	if rv == nil {
		return nil
	}
	var parts []string
	if rv.Catalogname != "" {
		parts = append(parts, rv.Catalogname)
	}
	if rv.Schemaname != "" {
		parts = append(parts, rv.Schemaname)
	}
	return append(parts, rv.Relname)
}

func baseName(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return parts[len(parts)-1]
}
