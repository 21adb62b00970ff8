package migratedev

import (
	"errors"
	"fmt"
	"regexp"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/migrate/internal/inspect"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
)

// The open-source Atlas library plans tables, indexes, constraints and
// enums only. The objects below are planned by tenantc itself: their
// definitions are read from the catalogs of the two dev databases and
// compared, and a changed or new object gets the statement the user wrote
// (CREATE OR REPLACE where PostgreSQL allows it).

// statementObject returns the non-Atlas object a statement creates.
func statementObject(sql string) (inspect.ObjKey, bool) {
	res, err := pg_query.Parse(sql)
	if err != nil || len(res.Stmts) != 1 {
		return inspect.ObjKey{}, false
	}
	n := res.Stmts[0].Stmt
	switch {
	case n.GetViewStmt() != nil:
		return inspect.ObjKey{Kind: inspect.ObjView, Name: n.GetViewStmt().View.Relname}, true
	case n.GetCreateTableAsStmt() != nil && n.GetCreateTableAsStmt().Objtype == pg_query.ObjectType_OBJECT_MATVIEW:
		return inspect.ObjKey{Kind: inspect.ObjMatView, Name: n.GetCreateTableAsStmt().Into.Rel.Relname}, true
	case n.GetCreateFunctionStmt() != nil:
		return inspect.ObjKey{Kind: inspect.ObjFunction, Name: lastString(n.GetCreateFunctionStmt().Funcname)}, true
	case n.GetCreateTrigStmt() != nil:
		t := n.GetCreateTrigStmt()
		return inspect.ObjKey{Kind: inspect.ObjTrigger, Name: t.Relation.Relname + "." + t.Trigname}, true
	case n.GetCreateDomainStmt() != nil:
		return inspect.ObjKey{Kind: inspect.ObjDomain, Name: lastString(n.GetCreateDomainStmt().Domainname)}, true
	case n.GetCompositeTypeStmt() != nil:
		return inspect.ObjKey{Kind: inspect.ObjComposite, Name: n.GetCompositeTypeStmt().Typevar.Relname}, true
	case n.GetCreateSeqStmt() != nil:
		return inspect.ObjKey{Kind: inspect.ObjSequence, Name: n.GetCreateSeqStmt().Sequence.Relname}, true
	}
	return inspect.ObjKey{}, false
}

func lastString(ns []*pg_query.Node) string {
	if len(ns) == 0 {
		return ""
	}
	return ns[len(ns)-1].GetString_().GetSval()
}

// hasSearchPath reports whether a CREATE FUNCTION sets search_path.
func hasSearchPath(sql string) bool {
	res, err := pg_query.Parse(sql)
	if err != nil || len(res.Stmts) != 1 {
		return false
	}
	f := res.Stmts[0].Stmt.GetCreateFunctionStmt()
	if f == nil {
		return false
	}
	for _, o := range f.Options {
		if de := o.GetDefElem(); de != nil && de.Defname == "set" {
			if vs := de.Arg.GetVariableSetStmt(); vs != nil && vs.Name == "search_path" {
				return true
			}
		}
	}
	return false
}

var (
	createView     = regexp.MustCompile(`(?i)^CREATE\s+VIEW\b`)
	createFunction = regexp.MustCompile(`(?i)^CREATE\s+FUNCTION\b`)
	createOrRepl   = regexp.MustCompile(`(?i)^CREATE\s+OR\s+REPLACE\b`)
)

// ErrUnplannable is wrapped by [Diff] when a domain, composite type or
// sequence changed: PostgreSQL has no CREATE OR REPLACE for them and the
// ALTER statements depend on intent. Test with errors.Is.
var ErrUnplannable = errors.New("migrate: change needs a hand-written migration")

// objectPlan is the part of one side's plan made outside Atlas: pre runs
// before Atlas's changes (drops, and types, sequences and functions that
// tables may use), post after (views and triggers, which use tables).
type objectPlan struct {
	pre, post []*atlasmigrate.Change
}

func (p *objectPlan) empty() bool { return len(p.pre) == 0 && len(p.post) == 0 }

// planObjects compares the non-Atlas objects of the desired and current
// states of one side. stmts are the desired side's statements in order.
func planObjects(desired, current *inspect.Objects, stmts []migdir.Stmt, tenant bool) (*objectPlan, error) {
	p := &objectPlan{}
	// Drops first, in reverse dependency order (views and triggers before
	// functions and types), so nothing still depends on what goes.
	order := []string{inspect.ObjTrigger, inspect.ObjMatView, inspect.ObjView, inspect.ObjFunction, inspect.ObjSequence, inspect.ObjComposite, inspect.ObjDomain}
	for _, kind := range order {
		for _, k := range inspect.SortedKeys(current.Def, kind) {
			if _, ok := desired.Def[k]; !ok {
				for _, d := range current.Drop[k] {
					p.pre = append(p.pre, &atlasmigrate.Change{Cmd: d, Comment: fmt.Sprintf("drop %s %q", k.Kind, k.Name)})
				}
			}
		}
	}
	done := map[inspect.ObjKey]bool{}
	for _, s := range stmts {
		k, ok := statementObject(s.SQL)
		if !ok {
			continue
		}
		want, have := desired.Def[k], current.Def[k]
		if want == have || have == "" && want == "" {
			continue
		}
		sql := s.SQL
		if k.Kind == inspect.ObjFunction && tenant && !hasSearchPath(sql) {
			// Tenant functions must resolve tenant objects in their own
			// schema without relying on the caller's search_path.
			sql += "\nSET search_path FROM CURRENT"
		}
		c := &atlasmigrate.Change{Cmd: sql, Comment: fmt.Sprintf("create %s %q", k.Kind, k.Name)}
		var drop []*atlasmigrate.Change
		if have != "" {
			c.Comment = fmt.Sprintf("replace %s %q", k.Kind, k.Name)
			switch k.Kind {
			case inspect.ObjView:
				c.Cmd = createView.ReplaceAllString(sql, "CREATE OR REPLACE VIEW")
			case inspect.ObjFunction:
				c.Cmd = createFunction.ReplaceAllString(sql, "CREATE OR REPLACE FUNCTION")
			case inspect.ObjTrigger, inspect.ObjMatView:
				if !done[k] {
					for _, d := range current.Drop[k] {
						drop = append(drop, &atlasmigrate.Change{Cmd: d, Comment: fmt.Sprintf("drop %s %q", k.Kind, k.Name)})
					}
				}
			default:
				return nil, fmt.Errorf("%s: %s %q changed: %w", s.Where, k.Kind, k.Name, ErrUnplannable)
			}
			if k.Kind == inspect.ObjFunction && !createOrRepl.MatchString(c.Cmd) {
				return nil, fmt.Errorf("%s: function %q changed: %w", s.Where, k.Name, ErrUnplannable)
			}
		}
		done[k] = true
		switch k.Kind {
		case inspect.ObjDomain, inspect.ObjComposite, inspect.ObjSequence, inspect.ObjFunction:
			p.pre = append(p.pre, c)
		default:
			p.post = append(p.post, drop...)
			p.post = append(p.post, c)
		}
	}
	return p, nil
}

// around puts the object changes around Atlas's.
func (p *objectPlan) around(changes []*atlasmigrate.Change) []*atlasmigrate.Change {
	out := append([]*atlasmigrate.Change{}, p.pre...)
	out = append(out, changes...)
	return append(out, p.post...)
}
