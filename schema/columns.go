package schema

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/tenantc/tenantc/internal/sqlref"
)

// queryColumns returns the column names of a view's query as PostgreSQL
// names them, or nil when they cannot be known without a database (a * over
// a relation the catalog does not hold, a join USING). ctes maps the CTE
// names in scope to their columns.
func (l *loader) queryColumns(sel *pg.SelectStmt, ctes map[string][]string) []string {
	if sel == nil {
		return nil
	}
	if sel.Op != pg.SetOperation_SETOP_NONE {
		return l.queryColumns(sel.Larg, ctes)
	}
	if sel.WithClause != nil {
		inner := map[string][]string{}
		for k, v := range ctes {
			inner[k] = v
		}
		for _, c := range sel.WithClause.Ctes {
			cte := c.GetCommonTableExpr()
			if cte == nil {
				continue
			}
			inner[cte.Ctename] = renamed(l.queryColumns(cte.Ctequery.GetSelectStmt(), inner), cte.Aliascolnames)
		}
		ctes = inner
	}
	if len(sel.ValuesLists) > 0 {
		row := sel.ValuesLists[0].GetList().GetItems()
		cols := make([]string, len(row))
		for i := range row {
			cols[i] = fmt.Sprintf("column%d", i+1)
		}
		return cols
	}
	cols := []string{}
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			return nil
		}
		if rt.Name != "" {
			cols = append(cols, rt.Name)
			continue
		}
		if ref := rt.Val.GetColumnRef(); ref != nil && ref.Fields[len(ref.Fields)-1].GetAStar() != nil {
			alias := ""
			if len(ref.Fields) > 1 {
				alias = baseName(sqlref.NameList(ref.Fields[:len(ref.Fields)-1]))
			}
			star, ok := l.fromColumns(sel.FromClause, alias, ctes)
			if !ok {
				return nil
			}
			cols = append(cols, star...)
			continue
		}
		cols = append(cols, colname(rt.Val))
	}
	return cols
}

// fromColumns returns the columns a * expands to over a FROM list, or over
// the one item named alias.
func (l *loader) fromColumns(from []*pg.Node, alias string, ctes map[string][]string) ([]string, bool) {
	var cols []string
	found := alias == ""
	for _, item := range from {
		c, name, ok := l.itemColumns(item, ctes, alias)
		if !ok {
			return nil, false
		}
		if alias == "" {
			cols = append(cols, c...)
		} else if name == alias {
			return c, true
		}
	}
	return cols, found
}

// itemColumns returns the columns of one FROM item and the name it is known
// by. A join has no name of its own; when alias is set, it returns the
// columns of the joined item named alias.
func (l *loader) itemColumns(n *pg.Node, ctes map[string][]string, alias string) ([]string, string, bool) {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		name := rv.Relname
		var cols []string
		if c, ok := ctes[rv.Relname]; ok && rv.Schemaname == "" {
			cols = c
		} else if r, ok := l.cat.Relation(rv.Relname); ok {
			cols = r.Columns
		}
		if rv.Alias != nil {
			name = rv.Alias.Aliasname
			cols = renamed(cols, rv.Alias.Colnames)
		}
		return cols, name, cols != nil
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		cols := l.queryColumns(rs.Subquery.GetSelectStmt(), ctes)
		name := ""
		if rs.Alias != nil {
			name = rs.Alias.Aliasname
			cols = renamed(cols, rs.Alias.Colnames)
		}
		return cols, name, cols != nil
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		if j.IsNatural || len(j.UsingClause) > 0 || j.Alias != nil {
			return nil, "", false // merged or renamed columns
		}
		lc, ln, lok := l.itemColumns(j.Larg, ctes, alias)
		rc, rn, rok := l.itemColumns(j.Rarg, ctes, alias)
		if !lok || !rok {
			return nil, "", false
		}
		switch {
		case alias != "" && ln == alias:
			return lc, alias, true
		case alias != "" && rn == alias:
			return rc, alias, true
		}
		return append(append([]string{}, lc...), rc...), "", true
	}
	return nil, "", false
}

// colname is PostgreSQL's FigureColname: the name of an unnamed output
// column.
func colname(n *pg.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		f := n.GetColumnRef().Fields
		if s := f[len(f)-1].GetString_(); s != nil {
			return s.Sval
		}
	case n.GetFuncCall() != nil:
		return baseName(sqlref.NameList(n.GetFuncCall().Funcname))
	case n.GetTypeCast() != nil:
		if c := colname(n.GetTypeCast().Arg); c != "?column?" {
			return c
		}
		return baseName(sqlref.NameList(n.GetTypeCast().GetTypeName().GetNames()))
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection().Indirection
		if len(ind) > 0 {
			if s := ind[len(ind)-1].GetString_(); s != nil {
				return s.Sval
			}
		}
		return colname(n.GetAIndirection().Arg)
	case n.GetCaseExpr() != nil:
		return "case"
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetAArrayExpr() != nil:
		return "array"
	case n.GetRowExpr() != nil:
		return "row"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().Op == pg.MinMaxOp_IS_GREATEST {
			return "greatest"
		}
		return "least"
	case n.GetNullIfExpr() != nil:
		return "nullif"
	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		switch sl.SubLinkType {
		case pg.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg.SubLinkType_ARRAY_SUBLINK:
			return "array"
		case pg.SubLinkType_EXPR_SUBLINK:
			if sel := sl.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 {
				if rt := sel.TargetList[0].GetResTarget(); rt != nil {
					if rt.Name != "" {
						return rt.Name
					}
					return colname(rt.Val)
				}
			}
		}
	}
	return "?column?"
}
