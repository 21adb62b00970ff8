package schema

import (
	"fmt"
	"os"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/internal/sqlpos"
)

// Statement is one DDL statement of the schema files with the scope it is
// applied in: migrate runs the shared statements in the shared schema and
// the tenant statements in a tenant schema.
type Statement struct {
	// SQL is the statement's original text, without the trailing semicolon.
	SQL   string
	Scope Scope
	// Pos is the statement's first token.
	Pos sqlpos.Pos
}

// Statements re-reads the catalog's files and returns every statement in
// order with its scope. A CREATE of a catalog object takes the object's
// scope; CREATE INDEX, ALTER, COMMENT ON, CREATE TRIGGER, GRANT, policies
// and rules follow the table (or type, function) they name; anything else,
// such as CREATE EXTENSION, is [Shared].
//
// The original text is kept rather than deparsed so that what migrate
// replays is exactly what the user wrote.
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
		// pg_query's statement span starts right after the previous
		// semicolon, so it holds the comments (annotations) in between.
		text := src[start:end]
		skip := leadingNoise(text)
		out = append(out, Statement{
			SQL:   strings.TrimSpace(text[skip:]),
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
