package unscoped

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/vet/internal/sqltok"
)

// maxNesting bounds how deep SQL inside SQL is followed: a DO block that
// runs EXECUTE of a DO block, and so on.
const maxNesting = 3

// plpgsql checks the PL/pgSQL inside SQL text: the body of each DO block
// (any dollar tag or quoting), with every statement and expression in it,
// the text of EXECUTE '...' and of EXECUTE format('...', ...) with its
// conversions as holes, and PERFORM set_config('search_path', ...).
func (fc *fileChecker) plpgsql(fs *findings, text string, depth int) {
	if depth >= maxNesting || !hasWord(text, "do") {
		return
	}
	tree, err := pg.Parse(text)
	if err != nil {
		return
	}
	for _, raw := range tree.Stmts {
		do := raw.Stmt.GetDoStmt()
		if do == nil {
			continue
		}
		var body, lang string
		for _, a := range do.Args {
			d := a.GetDefElem()
			switch d.GetDefname() {
			case "as":
				body = d.GetArg().GetString_().GetSval()
			case "language":
				lang = strings.ToLower(d.GetArg().GetString_().GetSval())
			}
		}
		if lang != "" && lang != "plpgsql" {
			continue
		}
		fc.block(fs, body, depth+1)
	}
}

// block checks the body of a DO block.
func (fc *fileChecker) block(fs *findings, body string, depth int) {
	tag := "$tenantc_do$"
	for strings.Contains(body, tag) {
		tag = "$" + strings.Trim(tag, "$") + "_$"
	}
	out, err := pg.ParsePlPgSqlToJSON("CREATE FUNCTION tenantc_do() RETURNS void LANGUAGE plpgsql AS " + tag + body + tag)
	var tree any
	if err == nil {
		err = json.Unmarshal([]byte(out), &tree)
	}
	if err != nil {
		// PL/pgSQL that does not compile here (a variable declared
		// elsewhere): the tokenizer still sees the tables it names.
		fc.fragment(fs, body)
		return
	}
	fc.plNode(fs, tree, depth)
}

// plNode walks the JSON form of a PL/pgSQL function.
func (fc *fileChecker) plNode(fs *findings, n any, depth int) {
	switch n := n.(type) {
	case []any:
		for _, x := range n {
			fc.plNode(fs, x, depth)
		}
	case map[string]any:
		if x, ok := n["PLpgSQL_stmt_dynexecute"].(map[string]any); ok {
			if q, ok := x["query"].(map[string]any); ok {
				if e, ok := q["PLpgSQL_expr"].(map[string]any); ok {
					query, _ := e["query"].(string)
					fc.executed(fs, query, depth)
				}
			}
		}
		if e, ok := n["PLpgSQL_expr"].(map[string]any); ok {
			query, _ := e["query"].(string)
			mode, _ := e["parseMode"].(float64)
			fc.text(fs, plStatement(query, int(mode)), depth)
		}
		// In key order, so that findings come out in the same order on
		// every run.
		for _, k := range slices.Sorted(maps.Keys(n)) {
			fc.plNode(fs, n[k], depth)
		}
	}
}

// plStatement returns a PL/pgSQL expression as a statement pg_query
// parses: a statement as it is, an expression after SELECT, an assignment
// (x := expr) as the SELECT of its value.
func plStatement(query string, mode int) string {
	switch mode {
	case 0: // RAW_PARSE_DEFAULT
		return query
	case 3, 4, 5: // RAW_PARSE_PLPGSQL_ASSIGN1..3
		if i := strings.Index(query, ":="); i >= 0 {
			return "SELECT " + query[i+2:]
		}
		if i := strings.IndexByte(query, '='); i >= 0 {
			return "SELECT " + query[i+1:]
		}
	}
	return "SELECT " + query
}

// executed checks the SQL an EXECUTE runs when the analyzer can see it: a
// string literal, or format(...) with its constant arguments formatted in
// and each other conversion a name no catalog holds.
func (fc *fileChecker) executed(fs *findings, expr string, depth int) {
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil || len(tree.Stmts) != 1 {
		return
	}
	targets := tree.Stmts[0].Stmt.GetSelectStmt().GetTargetList()
	if len(targets) != 1 {
		return
	}
	val := targets[0].GetResTarget().GetVal()
	if s := val.GetAConst().GetSval(); s != nil {
		fc.text(fs, s.Sval, depth)
		return
	}
	if c := val.GetFuncCall(); c != nil && len(c.Funcname) > 0 && len(c.Args) > 0 {
		name := c.Funcname[len(c.Funcname)-1].GetString_().GetSval()
		if f := c.Args[0].GetAConst().GetSval(); name == "format" && f != nil {
			// Constant arguments are formatted in; the others are holes.
			arg := func(i int) (string, bool) {
				if i+1 >= len(c.Args) {
					return "", false
				}
				s := c.Args[i+1].GetAConst().GetSval()
				if s == nil {
					return "", false
				}
				return s.Sval, true
			}
			fc.text(fs, sqltok.Format(f.Sval, arg), depth)
			return
		}
	}
	fs.add(RuleDynamic, "dynamic SQL: EXECUTE runs a string built at run time, so tenantc cannot check its tables (write it as EXECUTE format('...') with the names in the literal)")
}

// hasWord reports whether text has the unquoted word w.
func hasWord(text, w string) bool {
	if !containsFold(text, w) {
		return false
	}
	for _, t := range sqltok.Tokenize(text) {
		if t.Kind == sqltok.Word && t.Text == w {
			return true
		}
	}
	return false
}

// settingsSearchPath reports whether sql changes search_path by updating
// pg_settings: UPDATE pg_settings SET setting = ... WHERE name =
// 'search_path'.
func settingsSearchPath(sql string) bool {
	toks := sqltok.Tokenize(sql)
	update, named := false, false
	for i, t := range toks {
		switch {
		case t.Kind == sqltok.Word && t.Text == "update":
			j := i + 1
			if j+2 < len(toks) && toks[j].Text == "pg_catalog" && toks[j+1].Text == "." {
				j += 2
			}
			if j < len(toks) && toks[j].Kind != sqltok.String && toks[j].Text == "pg_settings" {
				update = true
			}
		case t.Kind == sqltok.String && strings.EqualFold(strings.TrimSpace(t.Text), "search_path"):
			named = true
		}
	}
	return update && named
}

// containsFold reports whether text holds the lower-case ASCII word w in
// any case, without allocating: the cheap test before tokenizing.
func containsFold(text, w string) bool {
	for i := 0; i+len(w) <= len(text); i++ {
		j := 0
		for j < len(w) && text[i+j]|0x20 == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}
