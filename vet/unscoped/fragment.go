package unscoped

import (
	"strings"

	"github.com/tenantc/tenantc/internal/sqlref"
	"github.com/tenantc/tenantc/schema"
	"github.com/tenantc/tenantc/vet/internal/sqltok"
)

// tableKeywords are followed by a table name.
var tableKeywords = map[string]bool{"from": true, "join": true, "into": true, "update": true, "table": true, "using": true}

// name is a possibly qualified name found by the tokenizer.
type name struct {
	name      string // the object's name, folded
	qualified bool
	cast      bool // after ::, a type
}

// nameAt reads a possibly qualified name at toks[i].
func nameAt(toks []sqltok.Token, i int) (parts []string) {
	for i < len(toks) {
		t := toks[i]
		if t.Kind == sqltok.Punct || t.Kind == sqltok.String {
			return parts
		}
		parts = append(parts, t.Text)
		if i+2 < len(toks) && toks[i+1].Text == "." && toks[i+1].Kind == sqltok.Punct {
			i += 2
			continue
		}
		return parts
	}
	return parts
}

// fragmentNames returns the names after FROM, JOIN, INTO, UPDATE, TABLE
// and USING and after :: casts, and whether a table name there is built at
// run time (a hole).
func fragmentNames(sql string) (names []name, dynamic bool) {
	toks := sqltok.Tokenize(sql)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		cast := t.Kind == sqltok.Punct && t.Text == "::"
		if !cast && (t.Kind != sqltok.Word || !tableKeywords[t.Text]) {
			continue
		}
		j := i + 1
		for j < len(toks) && toks[j].Kind == sqltok.Word && (toks[j].Text == "only" || toks[j].Text == "lateral") {
			j++
		}
		parts := nameAt(toks, j)
		if len(parts) == 0 {
			continue
		}
		if strings.Contains(strings.Join(parts, "."), holePrefix) {
			if !cast {
				dynamic = true
			}
			continue
		}
		if len(parts) > 3 {
			continue
		}
		last := parts[len(parts)-1]
		if !cast && len(parts) == 1 && toks[j].Kind == sqltok.Word && sqlKeyword[last] {
			continue
		}
		names = append(names, name{name: last, qualified: len(parts) > 1 && parts[0] != "pg_catalog", cast: cast})
	}
	return names, dynamic
}

// sqlKeyword are words that follow the table keywords without being a
// table: DELETE FROM ONLY, INSERT INTO ... SELECT, FROM (subquery).
var sqlKeyword = map[string]bool{"select": true, "values": true, "with": true, "set": true}

// dynamicTables reports whether a table name in sql is built at run time.
func dynamicTables(sql string) bool {
	if !strings.Contains(sql, holePrefix) {
		return false
	}
	_, dynamic := fragmentNames(sql)
	return dynamic
}

// words are the lower-cased names of a catalog's tenant objects, and the
// words of a search_path change, for a test of SQL text that needs no
// tokens: text none of them is a substring of (in any case) names no
// tenant object.
type words []string

func prefilterWords(cat *schema.Catalog) words {
	// The sequences of serial columns are relations of the catalog but not
	// among its objects; PostgreSQL may shorten their table's name in
	// theirs, so any _seq goes on to the tokenizer.
	w := words{"search_path", "reset", "schema", "_seq"}
	for _, o := range cat.Objects {
		if o.Scope == schema.Tenant {
			w = append(w, sqlref.Fold(o.Name))
		}
	}
	return w
}

// none reports whether no word is in text, folded to lower case.
func (w words) none(text string) bool {
	lower := sqlref.Fold(text)
	for _, x := range w {
		if strings.Contains(lower, x) {
			return false
		}
	}
	return true
}

// mayReference reports whether sql may name a tenant object or change
// search_path: whether any word, quoted name or string literal in it is
// the name of a tenant object, or search_path, or RESET / SET SCHEMA.
// When it reports false, parsing sql would find nothing to report.
func mayReference(cat *schema.Catalog, sql string) bool {
	tenant := func(name string) bool {
		if o, ok := cat.Relation(name); ok && o.IsTenant() {
			return true
		}
		if o, ok := cat.Type(name); ok && o.IsTenant() {
			return true
		}
		o, ok := cat.Function(name)
		return ok && o.IsTenant()
	}
	for _, t := range sqltok.Tokenize(sql) {
		switch t.Kind {
		case sqltok.Word:
			if tenant(t.Text) || t.Text == "search_path" || t.Text == "reset" || t.Text == "schema" {
				return true
			}
		case sqltok.Quoted:
			if tenant(t.Text) || t.Text == "search_path" {
				return true
			}
		case sqltok.String:
			// 'seq' in nextval('seq'), 'name'::regclass, 'search_path' in
			// set_config: any part of a possibly qualified, possibly quoted
			// name, folded or not.
			for _, part := range strings.Split(strings.ReplaceAll(t.Text, `"`, ""), ".") {
				part = strings.TrimSpace(part)
				if tenant(part) || tenant(sqlref.Fold(part)) || strings.EqualFold(part, "search_path") {
					return true
				}
			}
		}
	}
	return false
}
