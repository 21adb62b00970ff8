package generator

import (
	"strings"

	"github.com/dave/jennifer/jen"
)

// expr renders a dotted Go expression such as "arg.PlanID" or "&i.Ticket.ID".
func expr(s string) *jen.Statement {
	st := jen.Empty()
	if rest, ok := strings.CutPrefix(s, "&"); ok {
		st, s = jen.Op("&"), rest
	}
	for i, part := range strings.Split(s, ".") {
		if i == 0 {
			st = st.Id(part)
		} else {
			st = st.Dot(part)
		}
	}
	return st
}

// list renders items as call arguments; more than three go one per line,
// as sqlc lays them out, so long scans stay readable.
func list(items []jen.Code) func(*jen.Group) {
	return func(g *jen.Group) {
		if len(items) <= 3 {
			for _, it := range items {
				g.Add(it)
			}
			return
		}
		for _, it := range items {
			g.Line().Add(it)
		}
		g.Line()
	}
}

// exprs renders each of ss with expr.
func exprs(ss []string) []jen.Code {
	out := make([]jen.Code, len(ss))
	for i, s := range ss {
		out[i] = expr(s)
	}
	return out
}

// rawString renders s as a raw string literal. A backtick cannot appear in
// one and a carriage return would be dropped by the compiler, so both are
// spliced in as interpreted literals; the constant's value, and so every
// tenant reference offset into it, is unchanged.
func rawString(s string) jen.Code {
	s = strings.ReplaceAll(s, "`", "`+\"`\"+`")
	s = strings.ReplaceAll(s, "\r", "`+\"\\r\"+`")
	return jen.Op("`" + s + "`")
}

// recv is the receiver of a generated method.
func recv(typ string) *jen.Statement {
	return jen.Params(jen.Id("q").Op("*").Id(typ))
}

// sqlExpr is the SQL text a query method sends: the constant for a shared
// query, the tenant-qualified text for a tenant query.
func (g *generator) sqlExpr(q *query) *jen.Statement {
	if q.Tenant {
		return g.dbExpr().Dot("SQL").Call(jen.Id(q.SQLVar))
	}
	return jen.Id(q.ConstantName)
}

// dbExpr is the handle a method body runs on: q.db, or the db argument
// with emit_methods_with_db_argument.
func (g *generator) dbExpr() *jen.Statement {
	if g.cfg.Gen.EmitMethodsWithDBArgument {
		return jen.Id("db")
	}
	return jen.Id("q").Dot("db")
}

// paramList is a query method's parameters: the context, the database
// handle with emit_methods_with_db_argument (a tenancy.Conn on
// TenantQueries), then the spread parameters, the Params struct or, for
// batch and copyfrom, a slice of rows.
func (g *generator) paramList(q *query, typ string) []jen.Code {
	out := []jen.Code{jen.Id("ctx").Qual("context", "Context")}
	if g.cfg.Gen.EmitMethodsWithDBArgument {
		if typ == "TenantQueries" {
			out = append(out, jen.Id("db").Qual(tenancyPath, "Conn"))
		} else {
			out = append(out, jen.Id("db").Id("DBTX"))
		}
	}
	if q.Cmd == ":copyfrom" || q.isBatch() {
		return append(out, jen.Id(q.Arg.Name).Index().Add(q.Arg.defType().code()))
	}
	for _, a := range q.Arg.pairs() {
		out = append(out, jen.Id(a.Name).Add(a.Type.code()))
	}
	return out
}

// results is a query method's result list, by command, as sqlc has it.
func (g *generator) results(q *query) *jen.Statement {
	switch q.Cmd {
	case ":one":
		return jen.Params(q.Ret.defType().code(), jen.Error())
	case ":many":
		return jen.Params(jen.Index().Add(q.Ret.defType().code()), jen.Error())
	case ":exec":
		return jen.Error()
	case ":execrows", ":copyfrom":
		return jen.Params(jen.Int64(), jen.Error())
	case ":execresult":
		return jen.Params(jen.Qual(pgconnPath, "CommandTag"), jen.Error())
	}
	return jen.Op("*").Id(q.Method + "BatchResults")
}

// declareSQL emits the query's constant and, for a tenant query, the
// tenancy.SQL that marks where the tenant schema goes, each offset followed
// by the name found there: tenancy.NewSQL(listOrders, 152 /* orders */).
func (g *generator) declareSQL(f *jen.File, q *query) {
	f.Line()
	text := q.text()
	f.Const().Id(q.ConstantName).Op("=").Add(rawString(text))
	if q.Tenant {
		args := []jen.Code{jen.Id(q.ConstantName)}
		for _, r := range q.refs() {
			lit := jen.Lit(r)
			if name := nameAt(text, r); name != "" {
				lit.Comment("/* " + name + " */")
			}
			args = append(args, lit)
		}
		f.Line()
		f.Var().Id(q.SQLVar).Op("=").Qual(tenancyPath, "NewSQL").Call(args...)
	}
}

// declareStruct emits a model, Params or Row struct.
func (g *generator) declareStruct(f *jen.File, s *structDef) {
	fields := make([]jen.Code, 0, len(s.Fields))
	for _, fd := range s.Fields {
		st := jen.Id(fd.Name).Add(fd.Type.code())
		if len(fd.Tags) > 0 {
			st = st.Tag(fd.Tags)
		}
		if fd.Comment != "" {
			fields = append(fields, docComment(fd.Comment))
		}
		fields = append(fields, st)
	}
	f.Line()
	if s.Comment != "" {
		f.Add(docComment(s.Comment))
	}
	f.Type().Id(s.Name).Struct(fields...)
}

// queryFile renders the non-batch queries of one query file.
func (g *generator) queryFile(source string, qs []*query) *jen.File {
	f := g.newFile(source)
	for _, q := range qs {
		if q.isBatch() {
			continue
		}
		if q.Cmd != ":copyfrom" {
			g.declareSQL(f, q)
		}
		if q.Arg.Emit {
			g.declareStruct(f, q.Arg.Struct)
		}
		if q.Ret.Emit {
			g.declareStruct(f, q.Ret.Struct)
		}
		if q.Cmd == ":copyfrom" {
			// The method lives in copyfrom.go beside its iterator, as in sqlc.
			continue
		}
		g.method(f, q)
	}
	return f
}

// method emits q's method on the type that may run it, and for a shared
// query a second method on TenantQueries that runs the same code through
// the tenant's connection.
func (g *generator) method(f *jen.File, q *query) {
	typ := "Queries"
	if q.Tenant {
		typ = "TenantQueries"
	}
	f.Line()
	for _, c := range q.Comments {
		f.Comment("//" + c)
	}
	f.Func().Add(recv(typ)).Id(q.Method).Params(g.paramList(q, typ)...).Add(g.results(q)).BlockFunc(func(b *jen.Group) {
		g.body(b, q)
	})
	if q.Tenant || !g.model.Tenant {
		return
	}
	// The shared query runs on the tenant's Conn, so an unbound
	// TenantQueries returns tenancy.ErrUnbound here too. The body is written
	// out again rather than delegated to a Queries built on q.db: storing
	// the Conn in the DBTX interface would allocate on every call.
	f.Line()
	for _, c := range q.Comments {
		f.Comment("//" + c)
	}
	f.Func().Add(recv("TenantQueries")).Id(q.Method).Params(g.paramList(q, "TenantQueries")...).Add(g.results(q)).BlockFunc(func(b *jen.Group) {
		g.body(b, q)
	})
}

// body emits the statements of a query method.
func (g *generator) body(b *jen.Group, q *query) {
	db := g.dbExpr()
	call := func(method string) *jen.Statement {
		args := append([]jen.Code{jen.Id("ctx"), g.sqlExpr(q)}, exprs(q.Arg.params())...)
		return db.Clone().Dot(method).CallFunc(list(args))
	}
	// wrapped is err, or with wrap_errors the error wrapped with the
	// query's name, as sqlc words it.
	wrap := g.cfg.Gen.WrapErrors
	wrapped := func() *jen.Statement {
		if wrap {
			return jen.Qual("fmt", "Errorf").Call(jen.Lit("query "+q.Method+": %w"), jen.Err())
		}
		return jen.Err()
	}
	ret := q.Ret
	switch q.Cmd {
	case ":one":
		b.Id("row").Op(":=").Add(call("QueryRow"))
		b.Var().Id(ret.Name).Add(ret.typ().code())
		b.Err().Op(":=").Id("row").Dot("Scan").CallFunc(list(exprs(ret.scan())))
		if wrap {
			b.If(jen.Err().Op("!=").Nil()).Block(jen.Err().Op("=").Add(wrapped()))
		}
		b.Return(expr(ret.returnName()), jen.Err())
	case ":many":
		b.List(jen.Id("rows"), jen.Err()).Op(":=").Add(call("Query"))
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), wrapped()))
		b.Defer().Id("rows").Dot("Close").Call()
		g.declareItems(b, ret)
		b.For(jen.Id("rows").Dot("Next").Call()).Block(
			jen.Var().Id(ret.Name).Add(ret.typ().code()),
			jen.If(jen.Err().Op(":=").Id("rows").Dot("Scan").CallFunc(list(exprs(ret.scan()))), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), wrapped()),
			),
			jen.Id("items").Op("=").Append(jen.Id("items"), expr(ret.returnName())),
		)
		b.If(jen.Err().Op(":=").Id("rows").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), wrapped()))
		b.Return(jen.Id("items"), jen.Nil())
	case ":exec":
		b.List(jen.Id("_"), jen.Err()).Op(":=").Add(call("Exec"))
		if wrap {
			b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(wrapped()))
			b.Return(jen.Nil())
		} else {
			b.Return(jen.Err())
		}
	case ":execrows":
		b.List(jen.Id("result"), jen.Err()).Op(":=").Add(call("Exec"))
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Lit(0), wrapped()))
		b.Return(jen.Id("result").Dot("RowsAffected").Call(), jen.Nil())
	case ":execresult":
		if wrap {
			b.List(jen.Id("result"), jen.Err()).Op(":=").Add(call("Exec"))
			b.If(jen.Err().Op("!=").Nil()).Block(jen.Err().Op("=").Add(wrapped()))
			b.Return(jen.Id("result"), jen.Err())
		} else {
			b.Return(call("Exec"))
		}
	case ":copyfrom":
		var table jen.Code
		if q.Tenant {
			table = g.dbExpr().Dot("Table").Call(jen.Lit(q.Src.InsertIntoTable.Name))
		} else {
			table = jen.Qual(pgxPath, "Identifier").Values(jen.Lit(g.cfg.SharedSchema), jen.Lit(q.Src.InsertIntoTable.Name))
		}
		var cols []jen.Code
		for _, name := range g.copyColumns(q) {
			cols = append(cols, jen.Lit(name))
		}
		b.Return(db.Clone().Dot("CopyFrom").Call(
			jen.Id("ctx"), table, jen.Index().String().Values(cols...),
			jen.Op("&").Id("iteratorFor"+q.Method).Values(jen.Dict{jen.Id("rows"): jen.Id(q.Arg.Name)}),
		))
	default: // batch
		b.Id("batch").Op(":=").Op("&").Qual(pgxPath, "Batch").Values()
		var sql jen.Code = jen.Id(q.ConstantName)
		if q.Tenant {
			// Qualify once: every queued statement is for the same tenant.
			b.Id("stmt").Op(":=").Add(g.sqlExpr(q))
			sql = jen.Id("stmt")
		}
		var vals []jen.Code
		if q.Arg.Struct != nil {
			for _, fd := range q.Arg.Struct.Fields {
				vals = append(vals, jen.Id("a").Dot(fd.Name))
			}
		} else {
			vals = append(vals, jen.Id("a"))
		}
		b.For(jen.List(jen.Id("_"), jen.Id("a")).Op(":=").Range().Id(q.Arg.Name)).Block(
			jen.Id("vals").Op(":=").Index().Interface().ValuesFunc(list(vals)),
			jen.Id("batch").Dot("Queue").Call(sql, jen.Id("vals").Op("...")),
		)
		b.Id("br").Op(":=").Add(db.Clone().Dot("SendBatch").Call(jen.Id("ctx"), jen.Id("batch")))
		b.Return(jen.Op("&").Id(q.Method+"BatchResults").Values(jen.Id("br"), jen.Len(jen.Id(q.Arg.Name)), jen.False()))
	}
}

// declareItems declares the result slice of a :many or :batchmany.
func (g *generator) declareItems(b *jen.Group, ret value) {
	if g.cfg.Gen.EmitEmptySlices {
		b.Id("items").Op(":=").Index().Add(ret.defType().code()).Values()
	} else {
		b.Var().Id("items").Index().Add(ret.defType().code())
	}
}

// copyColumns are the column names a :copyfrom writes, in parameter order.
func (g *generator) copyColumns(q *query) []string {
	if q.Arg.Struct == nil {
		return []string{q.Arg.DBName}
	}
	out := make([]string, len(q.Arg.Struct.Fields))
	for i, fd := range q.Arg.Struct.Fields {
		if fd.Column != nil && fd.Column.OriginalName != "" {
			out[i] = fd.Column.OriginalName
		} else {
			out[i] = fd.DBName
		}
	}
	return out
}

// copyFromFile renders the iterators and methods of the :copyfrom queries.
func (g *generator) copyFromFile(qs []*query) *jen.File {
	f := g.newFile("")
	for _, q := range qs {
		it := "iteratorFor" + q.Method
		f.Line()
		f.Comment(it + " implements pgx.CopyFromSource.")
		f.Type().Id(it).Struct(
			jen.Id("rows").Index().Add(q.Arg.defType().code()),
			jen.Id("skippedFirstNextCall").Bool(),
		)
		f.Line()
		f.Func().Params(jen.Id("r").Op("*").Id(it)).Id("Next").Params().Bool().Block(
			jen.If(jen.Len(jen.Id("r").Dot("rows")).Op("==").Lit(0)).Block(jen.Return(jen.False())),
			jen.If(jen.Op("!").Id("r").Dot("skippedFirstNextCall")).Block(
				jen.Id("r").Dot("skippedFirstNextCall").Op("=").True(),
				jen.Return(jen.True()),
			),
			jen.Id("r").Dot("rows").Op("=").Id("r").Dot("rows").Index(jen.Lit(1), jen.Empty()),
			jen.Return(jen.Len(jen.Id("r").Dot("rows")).Op(">").Lit(0)),
		)
		var vals []jen.Code
		if q.Arg.Struct != nil {
			for _, fd := range q.Arg.Struct.Fields {
				vals = append(vals, jen.Id("r").Dot("rows").Index(jen.Lit(0)).Dot(fd.Name))
			}
		} else {
			vals = append(vals, jen.Id("r").Dot("rows").Index(jen.Lit(0)))
		}
		f.Line()
		f.Func().Params(jen.Id("r").Id(it)).Id("Values").Params().Params(jen.Index().Interface(), jen.Error()).Block(
			jen.Return(jen.Index().Interface().ValuesFunc(func(g *jen.Group) {
				for _, v := range vals {
					g.Line().Add(v)
				}
				g.Line()
			}), jen.Nil()),
		)
		f.Line()
		f.Func().Params(jen.Id("r").Id(it)).Id("Err").Params().Error().Block(jen.Return(jen.Nil()))
		g.method(f, q)
	}
	return f
}

// batchFile renders the :batch queries.
func (g *generator) batchFile(qs []*query) *jen.File {
	f := g.newFile("")
	f.Line()
	f.Var().Defs(
		jen.Comment("ErrBatchAlreadyClosed is passed to a batch callback for the statements"),
		jen.Comment("left when Close was called first. Test with errors.Is."),
		jen.Id("ErrBatchAlreadyClosed").Op("=").Qual("errors", "New").Call(jen.Lit("batch already closed")),
	)
	for _, q := range qs {
		g.batchQuery(f, q)
	}
	return f
}

// batchQuery emits one batch query: its SQL, its BatchResults type, its
// Params and Row structs, the method that queues it, and the methods that
// read its results and close the batch.
func (g *generator) batchQuery(f *jen.File, q *query) {
	g.declareSQL(f, q)
	res := q.Method + "BatchResults"
	f.Line()
	f.Comment(res + " holds the results of one " + q.Method + " batch.")
	f.Type().Id(res).Struct(
		jen.Id("br").Qual(pgxPath, "BatchResults"),
		jen.Id("tot").Int(),
		jen.Id("closed").Bool(),
	)
	if q.Arg.Struct != nil {
		g.declareStruct(f, q.Arg.Struct)
	}
	if q.Ret.Emit {
		g.declareStruct(f, q.Ret.Struct)
	}
	g.method(f, q)
	self := jen.Id("b").Op("*").Id(res)
	switch q.Cmd {
	case ":batchexec":
		batchExec(f, self)
	case ":batchmany":
		g.batchMany(f, self, q.Ret)
	case ":batchone":
		batchOne(f, self, q.Ret)
	}
	f.Line()
	f.Comment("Close stops the batch; statements not yet read report ErrBatchAlreadyClosed.")
	f.Func().Params(self).Id("Close").Params().Error().Block(
		jen.Id("b").Dot("closed").Op("=").True(),
		jen.Return(jen.Id("b").Dot("br").Dot("Close").Call()),
	)
}

// batchLoop runs body for each statement of the batch, t counting them.
func batchLoop(body ...jen.Code) jen.Code {
	return jen.For(jen.Id("t").Op(":=").Lit(0), jen.Id("t").Op("<").Id("b").Dot("tot"), jen.Id("t").Op("++")).Block(body...)
}

// batchCallback calls the caller's f with args, when f is not nil.
func batchCallback(args ...jen.Code) jen.Code {
	return jen.If(jen.Id("f").Op("!=").Nil()).Block(jen.Id("f").Call(args...))
}

// batchExec emits the Exec method of a :batchexec query's results.
func batchExec(f *jen.File, self *jen.Statement) {
	f.Line()
	f.Func().Params(self).Id("Exec").Params(jen.Id("f").Func().Params(jen.Int(), jen.Error())).Block(
		jen.Defer().Id("b").Dot("br").Dot("Close").Call(),
		batchLoop(
			jen.If(jen.Id("b").Dot("closed")).Block(
				batchCallback(jen.Id("t"), jen.Id("ErrBatchAlreadyClosed")),
				jen.Continue(),
			),
			jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("b").Dot("br").Dot("Exec").Call(),
			batchCallback(jen.Id("t"), jen.Err()),
		),
	)
}

// batchMany emits the Query method of a :batchmany query's results.
func (g *generator) batchMany(f *jen.File, self *jen.Statement, ret value) {
	f.Line()
	f.Func().Params(self).Id("Query").Params(jen.Id("f").Func().Params(jen.Int(), jen.Index().Add(ret.defType().code()), jen.Error())).Block(
		jen.Defer().Id("b").Dot("br").Dot("Close").Call(),
		batchLoop(
			jen.Do(func(s *jen.Statement) {
				if g.cfg.Gen.EmitEmptySlices {
					s.Id("items").Op(":=").Index().Add(ret.defType().code()).Values()
				} else {
					s.Var().Id("items").Index().Add(ret.defType().code())
				}
			}),
			jen.If(jen.Id("b").Dot("closed")).Block(
				batchCallback(jen.Id("t"), jen.Id("items"), jen.Id("ErrBatchAlreadyClosed")),
				jen.Continue(),
			),
			jen.Err().Op(":=").Func().Params().Error().Block(
				jen.List(jen.Id("rows"), jen.Err()).Op(":=").Id("b").Dot("br").Dot("Query").Call(),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
				jen.Defer().Id("rows").Dot("Close").Call(),
				jen.For(jen.Id("rows").Dot("Next").Call()).Block(
					jen.Var().Id(ret.Name).Add(ret.typ().code()),
					jen.If(jen.Err().Op(":=").Id("rows").Dot("Scan").CallFunc(list(exprs(ret.scan()))), jen.Err().Op("!=").Nil()).Block(
						jen.Return(jen.Err()),
					),
					jen.Id("items").Op("=").Append(jen.Id("items"), expr(ret.returnName())),
				),
				jen.Return(jen.Id("rows").Dot("Err").Call()),
			).Call(),
			batchCallback(jen.Id("t"), jen.Id("items"), jen.Err()),
		),
	)
}

// batchOne emits the QueryRow method of a :batchone query's results.
func batchOne(f *jen.File, self *jen.Statement, ret value) {
	f.Line()
	closedValue := jen.Id(ret.Name)
	if ret.Pointer && ret.Struct != nil {
		closedValue = jen.Nil()
	}
	f.Func().Params(self).Id("QueryRow").Params(jen.Id("f").Func().Params(jen.Int(), ret.defType().code(), jen.Error())).Block(
		jen.Defer().Id("b").Dot("br").Dot("Close").Call(),
		batchLoop(
			jen.Var().Id(ret.Name).Add(ret.typ().code()),
			jen.If(jen.Id("b").Dot("closed")).Block(
				batchCallback(jen.Id("t"), closedValue, jen.Id("ErrBatchAlreadyClosed")),
				jen.Continue(),
			),
			jen.Id("row").Op(":=").Id("b").Dot("br").Dot("QueryRow").Call(),
			jen.Err().Op(":=").Id("row").Dot("Scan").CallFunc(list(exprs(ret.scan()))),
			batchCallback(jen.Id("t"), expr(ret.returnName()), jen.Err()),
		),
	)
}

// docComment renders a database comment (COMMENT ON) as // lines; jennifer
// would turn a multi-line string into a /* */ block.
func docComment(text string) jen.Code {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("// "+l, " ")
	}
	return jen.Comment(strings.Join(lines, "\n"))
}

// nameAt returns the name that starts at byte off of sql, for the comment
// after a tenant reference offset: an identifier, a quoted identifier with
// its quotes, or a sequence name inside nextval('…'). It returns "" when
// nothing name-like is there or the name could not sit in a /* */ comment.
func nameAt(sql string, off int) string {
	if off < 0 || off >= len(sql) {
		return ""
	}
	end := off
	if sql[off] == '"' {
		end = strings.IndexByte(sql[off+1:], '"')
		if end < 0 {
			return ""
		}
		end += off + 2
	} else {
		for end < len(sql) && (sql[end] == '_' || sql[end] == '$' || sql[end] >= 0x80 ||
			'a' <= sql[end] && sql[end] <= 'z' || 'A' <= sql[end] && sql[end] <= 'Z' || '0' <= sql[end] && sql[end] <= '9') {
			end++
		}
	}
	name := sql[off:end]
	if strings.Contains(name, "*/") || strings.Contains(name, "/*") || strings.ContainsAny(name, "\n\r") {
		return ""
	}
	return name
}
