package schema

import (
	"slices"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/position"
)

// namespace is where a reference is looked up.
type namespace int

const (
	nsRelation namespace = iota + 1 // tables, views, sequences
	nsType                          // types, and row types of relations
	nsFunction
)

// ref is a name used by a statement, resolved once every file is loaded.
type ref struct {
	ns    namespace
	parts []string // folded, possibly qualified
	pos   position.Pos
	from  *Object // the object the statement declares or follows; nil if none
}

// walker collects the references in a parse tree. Locations in the tree are
// byte offsets into the text that was parsed, which starts at base in the
// file (a function body inside a string literal), or maps to fixed when the
// literal's escapes make offsets unreliable.
type walker struct {
	l        *loader
	f        *file
	from     *Object
	skip     proto.Message // the name of the declared object itself
	ctes     []string      // CTE names in scope: not catalog relations
	base     int
	fixed    int // >= 0: every position is this offset
	fallback int // for nodes without a location
}

func (w *walker) pos(loc int32) position.Pos {
	switch {
	case w.fixed >= 0:
		return w.f.Pos(w.fixed)
	case loc < 0:
		return w.f.Pos(w.fallback)
	}
	return w.f.Pos(w.base + int(loc))
}

func (w *walker) add(ns namespace, parts []string, loc int32) {
	if len(parts) == 0 {
		return
	}
	w.l.refs = append(w.l.refs, ref{ns: ns, parts: parts, pos: w.pos(loc), from: w.from})
}

// regclass records the relation named by a string constant used as a
// regclass, as in nextval('tickets_id_seq').
func (w *walker) regclass(c *pg.A_Const) {
	if c == nil || c.GetSval() == nil {
		return
	}
	if parts, ok := sqlref.SplitName(c.GetSval().Sval); ok {
		w.add(nsRelation, parts, c.Location)
	}
}

// walk visits every node below m. The cases below are the nodes that name
// catalog objects; everything else is traversed generically, so new node
// kinds in pg_query cannot hide a reference.
func (w *walker) walk(m protoreflect.Message) {
	if !m.IsValid() {
		return
	}
	msg := m.Interface()
	if w.skip != nil && msg == w.skip {
		return
	}
	var with *pg.WithClause
	switch n := msg.(type) {
	case *pg.RangeVar:
		if n.Schemaname == "" && n.Catalogname == "" && slices.Contains(w.ctes, n.Relname) {
			return
		}
		w.add(nsRelation, rangeVarParts(n), n.Location)
		return
	case *pg.TypeName:
		if !n.PctType {
			w.add(nsType, sqlref.NameList(n.Names), n.Location)
		}
		return
	case *pg.FuncCall:
		names := sqlref.NameList(n.Funcname)
		w.add(nsFunction, names, n.Location)
		switch baseName(names) {
		case "nextval", "currval", "setval":
			if len(n.Args) > 0 {
				w.regclass(n.Args[0].GetAConst())
			}
		}
	case *pg.TypeCast:
		if baseName(sqlref.NameList(n.GetTypeName().GetNames())) == "regclass" {
			w.regclass(n.GetArg().GetAConst())
		}
	case *pg.SelectStmt:
		with = n.WithClause
	case *pg.InsertStmt:
		with = n.WithClause
	case *pg.UpdateStmt:
		with = n.WithClause
	case *pg.DeleteStmt:
		with = n.WithClause
	case *pg.MergeStmt:
		with = n.WithClause
	}
	if with != nil {
		// CTE names are visible in the whole statement, the CTE bodies
		// included (WITH RECURSIVE); a later CTE shadowing a table used by
		// an earlier one is too rare to be worth exact scoping.
		mark := len(w.ctes)
		for _, c := range with.Ctes {
			w.ctes = append(w.ctes, c.GetCommonTableExpr().GetCtename())
		}
		defer func() { w.ctes = w.ctes[:mark] }()
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsMap():
		case fd.IsList():
			list := v.List()
			for i := range list.Len() {
				w.walk(list.Get(i).Message())
			}
		default:
			w.walk(v.Message())
		}
		return true
	})
}

// resolve looks a reference up in the complete catalog, records it on the
// referring object and reports a shared object that depends on a tenant
// one, or a qualified name that tenantc places itself.
func (l *loader) resolve(r ref) {
	r.parts = l.unqualified(r.parts)
	name := baseName(r.parts)
	var target *Object
	switch r.ns {
	case nsRelation:
		target, _ = l.cat.Relation(name)
	case nsType:
		target, _ = l.cat.Type(name)
	case nsFunction:
		target, _ = l.cat.Function(name)
	}
	if len(r.parts) > 1 {
		schema := r.parts[len(r.parts)-2]
		// Built-ins are parsed qualified (integer is pg_catalog.int4), and
		// extensions may live in schemas of their own: only names tenantc
		// places, or schemas it manages, are errors.
		if schema != "pg_catalog" && schema != "information_schema" &&
			(target != nil || schema == l.cfg.SharedSchema || l.isTenantSchema(schema)) {
			l.errs.Add(r.pos, "%s", qualifiedMsg(r.parts))
		}
		return
	}
	if target == nil || r.from == nil || target == r.from {
		return
	}
	if !slices.Contains(r.from.Refs, target.Name) {
		r.from.Refs = append(r.from.Refs, target.Name)
	}
	if r.from.Scope == Shared && target.Scope == Tenant {
		l.errs.Add(r.pos, "%s references %s", describe(r.from), describe(target))
	}
}

// unqualified drops a qualification by the shared schema from a two-part
// name: pg_dump qualifies every name (public.users), and tenantc still
// places the object by its scope, so the qualifier says nothing. Any other
// qualification is kept, for the caller to report.
func (l *loader) unqualified(parts []string) []string {
	if len(parts) == 2 && parts[0] == l.cfg.SharedSchema {
		return parts[1:]
	}
	return parts
}

// isTenantSchema reports whether schema could be a tenant's schema.
func (l *loader) isTenantSchema(schema string) bool {
	prefix, suffix, ok := strings.Cut(l.cfg.TenantSchema, "{id}")
	return ok && len(schema) > len(prefix)+len(suffix) &&
		strings.HasPrefix(schema, prefix) && strings.HasSuffix(schema, suffix)
}

func qualifiedMsg(parts []string) string {
	return "schema-qualified name " + strconv.Quote(strings.Join(parts, ".")) +
		": tenantc chooses the schema, write " + strconv.Quote(baseName(parts))
}
