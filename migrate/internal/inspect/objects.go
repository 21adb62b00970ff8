// Package inspect reads what a PostgreSQL schema holds beyond what Atlas
// inspects, and renders the differences between two schemas, for both the
// runtime side of migrate (tenant baselines, adoption) and the authoring
// side (diff, drift).
package inspect

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The open-source Atlas library plans tables, indexes, constraints and
// enums only. The objects below are planned by tenantc itself: their
// definitions are read from the catalogs of the two dev databases and
// compared, and a changed or new object gets the statement the user wrote
// (CREATE OR REPLACE where PostgreSQL allows it).

// Kinds of objects planned outside Atlas.
const (
	ObjView      = "view"
	ObjMatView   = "materialized view"
	ObjFunction  = "function"
	ObjTrigger   = "trigger"
	ObjDomain    = "domain"
	ObjComposite = "composite type"
	ObjSequence  = "sequence"
)

// ObjKey names an object: kind and name ("table.trigger" for triggers,
// the function name without arguments: all overloads go together).
type ObjKey struct{ Kind, Name string }

// Objects maps each object of a schema to a fingerprint of its definition,
// and functions and triggers to what dropping them needs.
type Objects struct {
	Def  map[ObjKey]string
	Drop map[ObjKey][]string // DROP statements
}

// ReadObjects fingerprints the non-Atlas objects of one schema. Function
// fingerprints leave out proconfig: migrate adds SET search_path FROM
// CURRENT to tenant functions, which captures the (scratch) schema.
func ReadObjects(ctx context.Context, conn *pgx.Conn, schemaName string) (*Objects, error) {
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
	d := &Objects{Def: map[ObjKey]string{}, Drop: map[ObjKey][]string{}}
	for rows.Next() {
		var kind, name, def, drop string
		if err := rows.Scan(&kind, &name, &def, &drop); err != nil {
			return nil, fmt.Errorf("read views, functions and types of %s: %w", schemaName, err)
		}
		k := ObjKey{kind, name}
		d.Def[k] += def + "\n" // overloads concatenate, in argument order
		d.Drop[k] = append(d.Drop[k], drop)
	}
	return d, rows.Err()
}

// SortedKeys returns the keys of m of one kind, sorted by name.
func SortedKeys(m map[ObjKey]string, kind string) []ObjKey {
	var out []ObjKey
	for k := range m {
		if k.Kind == kind {
			out = append(out, k)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Name < out[j-1].Name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
