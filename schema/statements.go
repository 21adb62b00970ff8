package schema

import (
	"fmt"
	"os"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/position"
)

// Statement is one DDL statement of the schema files with the scope it is
// applied in: migrate runs the shared statements in the shared schema and
// the tenant statements in a tenant schema.
type Statement struct {
	// SQL is the statement's original text, without the trailing semicolon.
	SQL   string
	Scope Scope
	// Pos is the statement's first token.
	Pos position.Pos
}

// Statements re-reads the catalog's files and returns every statement in
// order with its scope. A CREATE of a catalog object takes the object's
// scope; CREATE INDEX, ALTER, COMMENT ON, CREATE TRIGGER, GRANT, policies
// and rules follow the table (or type, function) they name; anything else,
// such as CREATE EXTENSION, is [Shared].
//
// The original text is kept rather than deparsed so that what migrate
// replays is exactly what the user wrote, with two exceptions for schemas
// written by pg_dump --schema-only. The session statements it emits are
// left out: SET, SELECT pg_catalog.set_config(...), CREATE SCHEMA and
// COMMENT ON SCHEMA of the shared schema, ALTER ... OWNER TO and COMMENT
// ON EXTENSION; they would change the replaying session or name roles of
// the dumped server. And a qualification by the catalog's shared schema is
// dropped from the names of catalog objects (public.users becomes users,
// 'public.users_id_seq'::regclass becomes 'users_id_seq'::regclass), since
// tenantc places each object by its scope; qualified names of other
// objects, such as an extension's, are kept.
func Statements(cat *Catalog) ([]Statement, error) {
	var out []Statement
	for _, name := range cat.Files {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("schema: reading %s: %w", name, err)
		}
		stmts, err := fileStatements(cat, name, string(src))
		if err != nil {
			return nil, err
		}
		out = append(out, stmts...)
	}
	return out, nil
}

func fileStatements(cat *Catalog, name, src string) ([]Statement, error) {
	src = BlankMetaCommands(src)
	res, err := pg_query.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("schema: parsing %s: %w", name, err)
	}
	f := sqlpos.NewFile(name, []byte(src))
	var out []Statement
	for _, raw := range res.Stmts {
		start := int(raw.StmtLocation)
		end := len(src)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		if isSessionStmt(raw.Stmt, cat.SharedSchema) {
			continue
		}
		// pg_query's statement span starts right after the previous
		// semicolon, so it holds the comments (annotations) in between.
		text := src[start:end]
		skip := leadingNoise(text)
		out = append(out, Statement{
			SQL:   unqualify(cat, strings.TrimSpace(text[skip:])),
			Scope: stmtScope(cat, raw.Stmt),
			Pos:   f.Pos(start + skip),
		})
	}
	return out, nil
}

// leadingNoise returns the length of the whitespace and comments that begin
// s.
func leadingNoise(s string) int {
	i := 0
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f':
			i++
		case strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return len(s)
			}
			i += nl + 1
		case strings.HasPrefix(s[i:], "/*"):
			e := strings.Index(s[i+2:], "*/")
			if e < 0 {
				return len(s)
			}
			i += e + 4
		default:
			return i
		}
	}
	return i
}

// stmtScope finds the catalog object a statement creates or changes and
// returns its scope; statements about nothing in the catalog are shared.
func stmtScope(cat *Catalog, n *pg_query.Node) Scope {
	rel := func(rv *pg_query.RangeVar) Scope {
		if rv == nil {
			return Shared
		}
		if o, ok := cat.Relation(rv.Relname); ok {
			return o.Scope
		}
		return Shared
	}
	typ := func(names []*pg_query.Node) Scope {
		if o, ok := cat.Type(finalName(names)); ok {
			return o.Scope
		}
		return Shared
	}
	fn := func(names []*pg_query.Node) Scope {
		if o, ok := cat.Function(finalName(names)); ok {
			return o.Scope
		}
		return Shared
	}
	// anyName resolves a dotted name list against every namespace: the
	// statements that use one (COMMENT, GRANT, ALTER ... OWNER) may name a
	// relation, a type or a function.
	anyName := func(names []*pg_query.Node) Scope {
		for i := len(names); i > 0; i-- {
			nm := finalName(names[:i])
			if o, ok := cat.Relation(nm); ok {
				return o.Scope
			}
			if o, ok := cat.Type(nm); ok {
				return o.Scope
			}
			if o, ok := cat.Function(nm); ok {
				return o.Scope
			}
		}
		return Shared
	}
	object := func(obj *pg_query.Node) Scope {
		switch {
		case obj == nil:
			return Shared
		case obj.GetList() != nil:
			return anyName(obj.GetList().Items)
		case obj.GetTypeName() != nil:
			return typ(obj.GetTypeName().Names)
		case obj.GetObjectWithArgs() != nil:
			return fn(obj.GetObjectWithArgs().Objname)
		case obj.GetRangeVar() != nil:
			return rel(obj.GetRangeVar())
		case obj.GetString_() != nil:
			return anyName([]*pg_query.Node{obj})
		}
		return Shared
	}
	switch {
	case n.GetCreateStmt() != nil:
		return rel(n.GetCreateStmt().Relation)
	case n.GetViewStmt() != nil:
		return rel(n.GetViewStmt().View)
	case n.GetCreateTableAsStmt() != nil && n.GetCreateTableAsStmt().Into != nil:
		return rel(n.GetCreateTableAsStmt().Into.Rel)
	case n.GetCreateSeqStmt() != nil:
		return rel(n.GetCreateSeqStmt().Sequence)
	case n.GetAlterSeqStmt() != nil:
		return rel(n.GetAlterSeqStmt().Sequence)
	case n.GetIndexStmt() != nil:
		return rel(n.GetIndexStmt().Relation)
	case n.GetAlterTableStmt() != nil:
		return rel(n.GetAlterTableStmt().Relation)
	case n.GetCreateTrigStmt() != nil:
		return rel(n.GetCreateTrigStmt().Relation)
	case n.GetCreatePolicyStmt() != nil:
		return rel(n.GetCreatePolicyStmt().Table)
	case n.GetRuleStmt() != nil:
		return rel(n.GetRuleStmt().Relation)
	case n.GetRenameStmt() != nil:
		r := n.GetRenameStmt()
		if r.Relation != nil {
			return rel(r.Relation)
		}
		return object(r.Object)
	case n.GetCreateEnumStmt() != nil:
		return typ(n.GetCreateEnumStmt().TypeName)
	case n.GetAlterEnumStmt() != nil:
		return typ(n.GetAlterEnumStmt().TypeName)
	case n.GetCompositeTypeStmt() != nil:
		cs := n.GetCompositeTypeStmt()
		if cs.Typevar != nil {
			if o, ok := cat.Type(cs.Typevar.Relname); ok {
				return o.Scope
			}
		}
		return Shared
	case n.GetCreateDomainStmt() != nil:
		return typ(n.GetCreateDomainStmt().Domainname)
	case n.GetCreateFunctionStmt() != nil:
		return fn(n.GetCreateFunctionStmt().Funcname)
	case n.GetCommentStmt() != nil:
		return object(n.GetCommentStmt().Object)
	case n.GetAlterOwnerStmt() != nil:
		return object(n.GetAlterOwnerStmt().Object)
	case n.GetGrantStmt() != nil:
		// A GRANT naming several objects takes the first catalog object's
		// scope; mixing scopes in one GRANT cannot be split faithfully.
		for _, o := range n.GetGrantStmt().Objects {
			if s := object(o); s == Tenant {
				return Tenant
			}
		}
		return Shared
	}
	return Shared
}

// finalName returns the last element of a dotted name list, which is the
// object's own name (the list may be schema-qualified).
func finalName(names []*pg_query.Node) string {
	if len(names) == 0 {
		return ""
	}
	if s := names[len(names)-1].GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// isSessionStmt reports whether n is one of the statements pg_dump writes
// for the session or the dumped server rather than for the schema: SET,
// SELECT set_config(...), CREATE SCHEMA or COMMENT ON SCHEMA of the shared
// schema, ALTER ... OWNER TO and COMMENT ON EXTENSION.
func isSessionStmt(n *pg_query.Node, shared string) bool {
	switch n := n.Node.(type) {
	case *pg_query.Node_VariableSetStmt:
		return true
	case *pg_query.Node_SelectStmt:
		return isSetConfig(n.SelectStmt)
	case *pg_query.Node_CreateSchemaStmt:
		return n.CreateSchemaStmt.Schemaname == shared && len(n.CreateSchemaStmt.SchemaElts) == 0
	case *pg_query.Node_CommentStmt:
		c := n.CommentStmt
		return c.Objtype == pg_query.ObjectType_OBJECT_EXTENSION ||
			c.Objtype == pg_query.ObjectType_OBJECT_SCHEMA && c.Object.GetString_().GetSval() == shared
	case *pg_query.Node_AlterOwnerStmt:
		return true
	case *pg_query.Node_AlterTableStmt:
		// pg_dump writes ALTER TABLE ... OWNER TO for tables, views and
		// sequences alike.
		cmds := n.AlterTableStmt.Cmds
		for _, c := range cmds {
			if c.GetAlterTableCmd().GetSubtype() != pg_query.AlterTableType_AT_ChangeOwner {
				return false
			}
		}
		return len(cmds) > 0
	}
	return false
}

// isSetConfig reports whether s is a bare SELECT [pg_catalog.]set_config(...),
// which pg_dump uses to empty the search_path.
func isSetConfig(s *pg_query.SelectStmt) bool {
	if len(s.TargetList) != 1 || len(s.FromClause) > 0 || s.WhereClause != nil || len(s.ValuesLists) > 0 || s.Op != pg_query.SetOperation_SETOP_NONE {
		return false
	}
	call := s.TargetList[0].GetResTarget().GetVal().GetFuncCall()
	if call == nil {
		return false
	}
	names := sqlref.NameList(call.Funcname)
	switch {
	case len(names) == 1:
		return names[0] == "set_config"
	case len(names) == 2:
		return names[0] == "pg_catalog" && names[1] == "set_config"
	}
	return false
}

// unqualify drops the shared schema's qualifier from the names of catalog
// objects in the statement sql: from identifiers ("public"."users" too)
// and from the whole-name string literals of nextval('public.users_id_seq')
// and 'public.users_id_seq'::regclass. Function bodies are left as written.
func unqualify(cat *Catalog, sql string) string {
	if cat.SharedSchema == "" {
		return sql
	}
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return sql
	}
	var toks []*pg_query.ScanToken
	for _, t := range scan.Tokens {
		if t.Token != pg_query.Token_SQL_COMMENT && t.Token != pg_query.Token_C_COMMENT {
			toks = append(toks, t)
		}
	}
	inCatalog := func(name string) bool {
		_, rel := cat.Relation(name)
		_, typ := cat.Type(name)
		_, fn := cat.Function(name)
		return rel || typ || fn
	}
	text := func(t *pg_query.ScanToken) string { return sql[t.Start:t.End] }
	var b strings.Builder
	last := 0 // sql[:last] is written
	for i, t := range toks {
		switch {
		case t.Token == pg_query.Token_SCONST && strings.HasPrefix(text(t), "'") && isRegclassLiteral(sql, toks, i):
			lit := text(t)
			parts, ok := sqlref.SplitName(strings.ReplaceAll(lit[1:len(lit)-1], "''", "'"))
			if !ok || len(parts) != 2 || parts[0] != cat.SharedSchema || !inCatalog(parts[1]) || strings.Contains(lit, "''") {
				continue
			}
			dot := qualifierEnd(lit[1 : len(lit)-1])
			if dot < 0 {
				continue
			}
			b.WriteString(sql[last : t.Start+1])
			last = int(t.Start) + 1 + dot + 1
		case i+2 < len(toks) && toks[i+1].Token == pg_query.Token_ASCII_46 &&
			(i == 0 || toks[i-1].Token != pg_query.Token_ASCII_46):
			// A name whose first part is the shared schema; a third part
			// (public.users.id in OWNED BY) is a column of the relation.
			schema, ok := sqlref.SplitName(text(t))
			if !ok || len(schema) != 1 || schema[0] != cat.SharedSchema {
				continue
			}
			name, ok := sqlref.SplitName(text(toks[i+2]))
			if !ok || len(name) != 1 || !inCatalog(name[0]) {
				continue
			}
			b.WriteString(sql[last:t.Start])
			last = int(toks[i+2].Start)
		}
	}
	if last == 0 {
		return sql
	}
	b.WriteString(sql[last:])
	return b.String()
}

// isRegclassLiteral reports whether the string literal toks[i] names a
// relation: cast to regclass, or the first argument of nextval, currval or
// setval. Other literals are data, such as a comment's text.
func isRegclassLiteral(sql string, toks []*pg_query.ScanToken, i int) bool {
	name := func(j int) string {
		if j < 0 || j >= len(toks) {
			return ""
		}
		parts, _ := sqlref.SplitName(sql[toks[j].Start:toks[j].End])
		return strings.Join(parts, ".")
	}
	if i+2 < len(toks) && toks[i+1].Token == pg_query.Token_TYPECAST {
		switch {
		case name(i+2) == "regclass":
			return true
		case name(i+2) == "pg_catalog" && i+4 < len(toks) && toks[i+3].Token == pg_query.Token_ASCII_46:
			return name(i+4) == "regclass"
		}
	}
	if i >= 2 && toks[i-1].Token == pg_query.Token_ASCII_40 {
		switch name(i - 2) {
		case "nextval", "currval", "setval":
			return true
		}
	}
	return false
}

// qualifierEnd returns the offset of the dot that ends the first part of a
// dotted name, or -1.
func qualifierEnd(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	if i < len(s) && s[i] == '"' {
		for i++; i < len(s); i++ {
			if s[i] == '"' {
				if i+1 < len(s) && s[i+1] == '"' {
					i++
					continue
				}
				break
			}
		}
	}
	if j := strings.IndexByte(s[i:], '.'); j >= 0 {
		return i + j
	}
	return -1
}
