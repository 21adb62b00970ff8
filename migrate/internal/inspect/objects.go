package migrate

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// The open-source Atlas library plans tables, indexes, constraints and
// enums only. The objects below are planned by tenantc itself: their
// definitions are read from the catalogs of the two dev databases and
// compared, and a changed or new object gets the statement the user wrote
// (CREATE OR REPLACE where PostgreSQL allows it).

// Kinds of objects planned outside Atlas.
const (
	objView      = "view"
	objMatView   = "materialized view"
	objFunction  = "function"
	objTrigger   = "trigger"
	objDomain    = "domain"
	objComposite = "composite type"
	objSequence  = "sequence"
)

// objKey names an object: kind and name ("table.trigger" for triggers,
// the function name without arguments: all overloads go together).
type objKey struct{ kind, name string }

// objDefs maps each object of a schema to a fingerprint of its definition,
// and functions and triggers to what dropping them needs.
type objDefs struct {
	def  map[objKey]string
	drop map[objKey][]string // DROP statements
}

// readObjects fingerprints the non-Atlas objects of one schema. Function
// fingerprints leave out proconfig: migrate adds SET search_path FROM
// CURRENT to tenant functions, which captures the (scratch) schema.
func readObjects(ctx context.Context, conn *pgx.Conn, schemaName string) (*objDefs, error) {
	const q = `
SELECT 'view', c.relname, pg_get_viewdef(c.oid), format('DROP VIEW %I', c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'v'
UNION ALL
SELECT 'materialized view', c.relname, pg_get_viewdef(c.oid), format('DROP MATERIALIZED VIEW %I', c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'm'
UNION ALL
SELECT 'sequence', c.relname,
	concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle),
	format('DROP SEQUENCE %I', c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE n.nspname = $1 AND c.relkind = 'S'
	AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT 'function', p.proname,
	concat_ws(' ', pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid), l.lanname, p.provolatile, p.prosecdef, p.proisstrict, p.prosrc),
	format('DROP FUNCTION %I(%s)', p.proname, pg_get_function_identity_arguments(p.oid))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
	AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'trigger', c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid), format('DROP TRIGGER %I ON %I', t.tgname, c.relname)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT t.tgisinternal
UNION ALL
SELECT 'domain', t.typname,
	concat_ws(' ', format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
		(SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid)),
	format('DROP DOMAIN %I', t.typname)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1 AND t.typtype = 'd'
UNION ALL
SELECT 'composite type', t.typname,
	(SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
	 FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
	format('DROP TYPE %I', t.typname)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
WHERE n.nspname = $1 AND t.typtype = 'c' AND c.relkind = 'c'
ORDER BY 1, 2, 4`
	rows, err := conn.Query(ctx, q, schemaName)
	if err != nil {
		return nil, fmt.Errorf("read views, functions and types of %s: %w", schemaName, err)
	}
	defer rows.Close()
	d := &objDefs{def: map[objKey]string{}, drop: map[objKey][]string{}}
	for rows.Next() {
		var kind, name, def, drop string
		if err := rows.Scan(&kind, &name, &def, &drop); err != nil {
			return nil, fmt.Errorf("read views, functions and types of %s: %w", schemaName, err)
		}
		k := objKey{kind, name}
		d.def[k] += def + "\n" // overloads concatenate, in argument order
		d.drop[k] = append(d.drop[k], drop)
	}
	return d, rows.Err()
}

// statementObject returns the non-Atlas object a statement creates.
func statementObject(sql string) (objKey, bool) {
	res, err := pg_query.Parse(sql)
	if err != nil || len(res.Stmts) != 1 {
		return objKey{}, false
	}
	n := res.Stmts[0].Stmt
	switch {
	case n.GetViewStmt() != nil:
		return objKey{objView, n.GetViewStmt().View.Relname}, true
	case n.GetCreateTableAsStmt() != nil && n.GetCreateTableAsStmt().Objtype == pg_query.ObjectType_OBJECT_MATVIEW:
		return objKey{objMatView, n.GetCreateTableAsStmt().Into.Rel.Relname}, true
	case n.GetCreateFunctionStmt() != nil:
		return objKey{objFunction, lastString(n.GetCreateFunctionStmt().Funcname)}, true
	case n.GetCreateTrigStmt() != nil:
		t := n.GetCreateTrigStmt()
		return objKey{objTrigger, t.Relation.Relname + "." + t.Trigname}, true
	case n.GetCreateDomainStmt() != nil:
		return objKey{objDomain, lastString(n.GetCreateDomainStmt().Domainname)}, true
	case n.GetCompositeTypeStmt() != nil:
		return objKey{objComposite, n.GetCompositeTypeStmt().Typevar.Relname}, true
	case n.GetCreateSeqStmt() != nil:
		return objKey{objSequence, n.GetCreateSeqStmt().Sequence.Relname}, true
	}
	return objKey{}, false
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
func planObjects(desired, current *objDefs, stmts []stmt, tenant bool) (*objectPlan, error) {
	p := &objectPlan{}
	// Drops first, in reverse dependency order (views and triggers before
	// functions and types), so nothing still depends on what goes.
	order := []string{objTrigger, objMatView, objView, objFunction, objSequence, objComposite, objDomain}
	for _, kind := range order {
		for _, k := range sortedKeys(current.def, kind) {
			if _, ok := desired.def[k]; !ok {
				for _, d := range current.drop[k] {
					p.pre = append(p.pre, &atlasmigrate.Change{Cmd: d, Comment: fmt.Sprintf("drop %s %q", k.kind, k.name)})
				}
			}
		}
	}
	done := map[objKey]bool{}
	for _, s := range stmts {
		k, ok := statementObject(s.SQL)
		if !ok {
			continue
		}
		want, have := desired.def[k], current.def[k]
		if want == have || have == "" && want == "" {
			continue
		}
		sql := s.SQL
		if k.kind == objFunction && tenant && !hasSearchPath(sql) {
			// Tenant functions must resolve tenant objects in their own
			// schema without relying on the caller's search_path.
			sql += "\nSET search_path FROM CURRENT"
		}
		c := &atlasmigrate.Change{Cmd: sql, Comment: fmt.Sprintf("create %s %q", k.kind, k.name)}
		var drop []*atlasmigrate.Change
		if have != "" {
			c.Comment = fmt.Sprintf("replace %s %q", k.kind, k.name)
			switch k.kind {
			case objView:
				c.Cmd = createView.ReplaceAllString(sql, "CREATE OR REPLACE VIEW")
			case objFunction:
				c.Cmd = createFunction.ReplaceAllString(sql, "CREATE OR REPLACE FUNCTION")
			case objTrigger, objMatView:
				if !done[k] {
					for _, d := range current.drop[k] {
						drop = append(drop, &atlasmigrate.Change{Cmd: d, Comment: fmt.Sprintf("drop %s %q", k.kind, k.name)})
					}
				}
			default:
				return nil, fmt.Errorf("%s: %s %q changed: %w", s.Where, k.kind, k.name, ErrUnplannable)
			}
			if k.kind == objFunction && !createOrRepl.MatchString(c.Cmd) {
				return nil, fmt.Errorf("%s: function %q changed: %w", s.Where, k.name, ErrUnplannable)
			}
		}
		done[k] = true
		switch k.kind {
		case objDomain, objComposite, objSequence, objFunction:
			p.pre = append(p.pre, c)
		default:
			p.post = append(p.post, drop...)
			p.post = append(p.post, c)
		}
	}
	return p, nil
}

func sortedKeys(m map[objKey]string, kind string) []objKey {
	var out []objKey
	for k := range m {
		if k.kind == kind {
			out = append(out, k)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].name < out[j-1].name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// around puts the object changes around Atlas's.
func (p *objectPlan) around(changes []*atlasmigrate.Change) []*atlasmigrate.Change {
	out := append([]*atlasmigrate.Change{}, p.pre...)
	out = append(out, changes...)
	return append(out, p.post...)
}
