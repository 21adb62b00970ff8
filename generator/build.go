package generator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
)

// enum is a generated enum type.
type enum struct {
	Name      string
	SQLName   string // the type's name in the schema
	Comment   string
	Constants []constant
	NameTags  map[string]string // tags of NullXxx.Xxx
	ValidTags map[string]string // tags of NullXxx.Valid
}

type constant struct {
	Name  string
	Value string
}

// structDef is a generated struct: a model, a Params or a Row type.
type structDef struct {
	Name    string
	Table   *queries.Identifier // the table of a model (schema filled in)
	Fields  []field
	Comment string
}

type field struct {
	Name    string
	DBName  string
	ArgName string // as a spread method parameter: planID, not PlanID
	Type    goType
	Tags    map[string]string
	Comment string
	Column  *queries.Column
	// Embed holds the model's fields for a sqlc.embed column; each is
	// scanned into Name.<field>.
	Embed []field
}

// value is a method's argument or result: a scalar or a struct.
type value struct {
	Emit    bool // the struct type is declared for this query
	Pointer bool // a struct passed or returned by pointer (emit_*_struct_pointers)
	Name    string
	DBName  string // for a scalar
	Type    goType // for a scalar
	Struct  *structDef
	Column  *queries.Column // for a scalar
}

// isEmpty reports whether the method has no such value.
func (v value) isEmpty() bool { return v.Name == "" && v.Struct == nil }

// typ is the Go type of the value as a whole.
func (v value) typ() goType {
	if v.Struct != nil {
		return local(v.Struct.Name)
	}
	return v.Type
}

// defType is the Go type of the value as methods pass it: typ, or a
// pointer to the struct with emit_params_struct_pointers and
// emit_result_struct_pointers.
func (v value) defType() goType {
	t := v.typ()
	if v.Pointer && v.Struct != nil {
		return ptr(t)
	}
	return t
}

// returnName is the expression a method returns for the value.
func (v value) returnName() string {
	if v.Pointer && v.Struct != nil {
		return "&" + v.Name
	}
	return v.Name
}

// arg is one parameter of a generated method.
type arg struct {
	Name string
	Type goType
}

// pairs are the method parameters for v: one per field of a struct that is
// not emitted (spread parameters), or v itself.
func (v value) pairs() []arg {
	if v.isEmpty() {
		return nil
	}
	if v.Struct != nil && !v.Emit {
		out := make([]arg, 0, len(v.Struct.Fields))
		for _, f := range v.Struct.Fields {
			out = append(out, arg{Name: f.ArgName, Type: f.Type})
		}
		return out
	}
	return []arg{{Name: escape(v.Name), Type: v.defType()}}
}

// params are the expressions passed to the database call, in $N order.
func (v value) params() []string {
	if v.isEmpty() {
		return nil
	}
	if v.Struct == nil {
		return []string{escape(v.Name)}
	}
	out := make([]string, 0, len(v.Struct.Fields))
	for _, f := range v.Struct.Fields {
		if v.Emit {
			out = append(out, v.Name+"."+f.Name)
		} else {
			out = append(out, f.ArgName)
		}
	}
	return out
}

// scan are the destinations of rows.Scan for a result.
func (v value) scan() []string {
	if v.Struct == nil {
		return []string{"&" + v.Name}
	}
	var out []string
	for _, f := range v.Struct.Fields {
		if len(f.Embed) > 0 {
			for _, e := range f.Embed {
				out = append(out, "&"+v.Name+"."+f.Name+"."+e.Name)
			}
			continue
		}
		out = append(out, "&"+v.Name+"."+f.Name)
	}
	return out
}

// query is one generated method.
type query struct {
	Src          *queries.Query
	Cmd          string
	Method       string
	ConstantName string
	SQLVar       string // tenant queries: the *tenancy.SQL variable
	Comments     []string
	Source       string // query file name, e.g. "tickets.sql"
	Tenant       bool
	Arg          value
	Ret          value
}

// isBatch reports whether q is one of the :batch commands.
func (q *query) isBatch() bool { return strings.HasPrefix(q.Cmd, ":batch") }

// header is the "-- name:" line the SQL constant starts with.
func (q *query) header() string { return "-- name: " + q.Method + " " + q.Cmd + "\n" }

// text is the SQL constant's value.
func (q *query) text() string { return q.header() + q.Src.SQL + "\n" }

// refs are the tenant reference offsets into text.
func (q *query) refs() []int {
	shift := len(q.header())
	out := make([]int, len(q.Src.TenantRefs))
	for i, r := range q.Src.TenantRefs {
		out[i] = r + shift
	}
	return out
}

// builder turns the analyzed input into the package model.
type builder struct {
	gen   *generator
	res   *queries.Result
	ty    *typer
	n     *namer
	errs  []error
	model model
}

// model is everything the package declares.
type model struct {
	Enums   []enum
	Structs []structDef
	Queries []*query
	Tenant  bool // emit TenantQueries
}

// validCmd reports whether cmd is a sqlc command for PostgreSQL.
func validCmd(cmd string) bool {
	switch cmd {
	case ":one", ":many", ":exec", ":execrows", ":execresult", ":copyfrom", ":batchexec", ":batchmany", ":batchone":
		return true
	}
	return false
}

// userSchemas are the engine catalog's schemas other than the built-in ones.
func (b *builder) userSchemas() []*queries.Schema {
	var out []*queries.Schema
	if b.res.Catalog == nil {
		return nil
	}
	for _, s := range b.res.Catalog.Schemas {
		if s.Name == "pg_catalog" || s.Name == "information_schema" {
			continue
		}
		out = append(out, s)
	}
	return out
}

// qualified is a catalog name as sqlc spells a type in another schema.
func (b *builder) qualified(schema, name string) string {
	if schema == b.ty.defaultSchema {
		return name
	}
	return schema + "_" + name
}

// buildEnums declares one Go enum per enum type, sorted by Go name.
func (b *builder) buildEnums() {
	opts := b.gen.cfg.Gen
	for _, s := range b.userSchemas() {
		for _, e := range s.Enums {
			name := b.qualified(s.Name, e.Name)
			en := enum{
				Name:      b.n.structName(name),
				SQLName:   e.Name,
				Comment:   e.Comment,
				NameTags:  map[string]string{},
				ValidTags: map[string]string{},
			}
			if opts.EmitJSONTags {
				en.NameTags["json"] = b.n.jsonTag(name)
				en.ValidTags["json"] = b.n.jsonTag("valid")
			}
			seen := map[string]bool{}
			for i, v := range e.Vals {
				id := enumValueIdent(v)
				if seen[id] || id == "" {
					id = fmt.Sprintf("value_%d", i)
				}
				seen[id] = true
				en.Constants = append(en.Constants, constant{Name: b.n.structName(name + "_" + id), Value: v})
			}
			b.model.Enums = append(b.model.Enums, en)
		}
	}
	slices.SortStableFunc(b.model.Enums, func(a, c enum) int { return strings.Compare(a.Name, c.Name) })
}

// buildStructs declares one model per table or view, sorted by Go name;
// table names are singular unless emit_exact_table_names.
func (b *builder) buildStructs() {
	opts := b.gen.cfg.Gen
	for _, s := range b.userSchemas() {
		for _, t := range s.Tables {
			name := b.qualified(s.Name, t.Rel.Name)
			if !opts.EmitExactTableNames {
				name = singular(name, opts.InflectionExcludeTableNames)
			}
			sd := structDef{
				Name:    b.n.structName(name),
				Table:   &queries.Identifier{Schema: s.Name, Name: t.Rel.Name},
				Comment: t.Comment,
			}
			for _, c := range t.Columns {
				sd.Fields = append(sd.Fields, field{
					Name:    b.n.structName(c.Name),
					DBName:  c.Name,
					Type:    b.ty.columnType(c),
					Tags:    b.tags(c),
					Comment: c.Comment,
					Column:  c,
				})
			}
			b.model.Structs = append(b.model.Structs, sd)
		}
	}
	slices.SortStableFunc(b.model.Structs, func(a, c structDef) int { return strings.Compare(a.Name, c.Name) })
}

// tags are the struct tags of a model field: db and json as configured,
// then the go_struct_tag of the overrides naming the column.
func (b *builder) tags(c *queries.Column) map[string]string {
	opts := b.gen.cfg.Gen
	tags := map[string]string{}
	if opts.EmitDBTags {
		tags["db"] = c.Name
	}
	if opts.EmitJSONTags {
		tags["json"] = b.n.jsonTag(c.Name)
	}
	b.ty.structTags(tags, c)
	return tags
}

// queryError records a problem with a query at its position.
func (b *builder) queryError(q *queries.Query, format string, args ...any) {
	b.errs = append(b.errs, posError(q, fmt.Sprintf(format, args...)))
}

// buildQueries shapes each query's method: a plain argument, spread
// arguments or a Params struct; a scalar, a model or a Row struct.
func (b *builder) buildQueries() {
	for _, src := range b.res.Queries {
		if src.Name == "" || src.Cmd == "" {
			continue
		}
		if !validCmd(src.Cmd) {
			b.queryError(src, "query %s: unsupported command %s", src.Name, src.Cmd)
			continue
		}
		q := b.newQuery(src)
		if !b.buildArg(q) || !b.buildResult(q) {
			continue
		}
		b.model.Queries = append(b.model.Queries, q)
	}
	slices.SortStableFunc(b.model.Queries, func(a, c *query) int { return strings.Compare(a.Method, c.Method) })
}

// newQuery names the method of src and its SQL constant and variable.
func (b *builder) newQuery(src *queries.Query) *query {
	q := &query{
		Src:          src,
		Cmd:          src.Cmd,
		Method:       src.Name,
		ConstantName: lowerFirst(src.Name),
		Comments:     b.comments(src),
		Source:       sourceName(src.File),
		Tenant:       src.Scope == schema.Tenant,
	}
	if b.gen.cfg.Gen.EmitExportedQueries {
		q.ConstantName = title(src.Name)
	}
	if q.Tenant {
		q.SQLVar = q.ConstantName + "SQL"
	}
	return q
}

// buildArg shapes q's parameters: one plain argument, spread arguments or
// a Params struct, as query_parameter_limit says. It reports false, with
// the error recorded, when q cannot be generated.
func (b *builder) buildArg(q *query) bool {
	opts := b.gen.cfg.Gen
	qpl := opts.QueryParameterLimit
	src := q.Src
	switch {
	case len(src.Params) == 1 && qpl != 0:
		p := src.Params[0]
		q.Arg = value{
			Name:   escape(b.paramName(p)),
			DBName: p.Column.Name,
			Type:   b.ty.columnType(p.Column),
			Column: p.Column,
		}
	case len(src.Params) >= 1:
		cols := make([]goColumn, len(src.Params))
		for i, p := range src.Params {
			cols[i] = goColumn{id: p.Number, Column: p.Column}
		}
		s, err := b.columnsToStruct(q.Method+"Params", cols, false)
		if err != nil {
			b.queryError(src, "query %s: %v", src.Name, err)
			return false
		}
		// Batch and copyfrom methods take a slice of the Params struct,
		// so it is declared whatever the parameter limit.
		emit := len(src.Params) > qpl || q.Cmd == ":copyfrom" || q.isBatch()
		q.Arg = value{Emit: emit, Name: "arg", Struct: s, Pointer: opts.EmitParamsStructPointers}
	}
	if (q.Cmd == ":copyfrom" || q.isBatch()) && q.Arg.isEmpty() {
		b.queryError(src, "query %s: %s needs at least one parameter", src.Name, src.Cmd)
		return false
	}
	if q.Cmd == ":copyfrom" && src.InsertIntoTable == nil {
		b.queryError(src, "query %s: :copyfrom needs an INSERT INTO statement", src.Name)
		return false
	}
	return true
}

// buildResult shapes what q returns: nothing, a scalar, a model or a Row
// struct. It reports false, with the error recorded, when q cannot be
// generated.
func (b *builder) buildResult(q *query) bool {
	src := q.Src
	returnsData := q.Cmd == ":one" || q.Cmd == ":many" || q.Cmd == ":batchone" || q.Cmd == ":batchmany"
	switch {
	case !returnsData:
	case len(src.Columns) == 1 && src.Columns[0].EmbedTable == nil:
		c := src.Columns[0]
		name := varName(columnName(c.Name, 0))
		// The scan target of a :one lives beside the parameters; a
		// shared name would overwrite the caller's input on ErrNoRows,
		// as sqlc learned in sqlc-dev/sqlc#4354.
		if q.Cmd == ":one" || q.Cmd == ":batchone" {
			taken := map[string]bool{}
			for _, a := range q.Arg.pairs() {
				taken[a.Name] = true
			}
			for taken[name] {
				name += "_2"
			}
		}
		q.Ret = value{Name: name, DBName: c.Name, Type: b.ty.columnType(c), Column: c}
	default:
		opts := b.gen.cfg.Gen
		// An empty select list (SELECT FROM t) gets an empty Row
		// struct, as in sqlc: the rows still count.
		if s := b.matchModel(src.Columns); s != nil {
			q.Ret = value{Name: "i", Struct: s, Pointer: opts.EmitResultStructPointers}
			break
		}
		cols := make([]goColumn, len(src.Columns))
		for i, c := range src.Columns {
			cols[i] = goColumn{id: i, Column: c}
			if c.EmbedTable != nil {
				m := b.findModel(c.EmbedTable)
				if m == nil {
					b.queryError(src, "query %s: sqlc.embed(%s) names no table", src.Name, c.EmbedTable.Name)
					continue
				}
				cols[i].embed = m
			}
		}
		s, err := b.columnsToStruct(q.Method+"Row", cols, true)
		if err != nil {
			b.queryError(src, "query %s: %v", src.Name, err)
			return false
		}
		q.Ret = value{Emit: true, Name: "i", Struct: s, Pointer: opts.EmitResultStructPointers}
	}
	return true
}

// comments are the method's doc comment lines: the query's own comments
// and, with emit_sql_as_comment, its SQL (after its name when it has no
// comment), as sqlc writes them.
func (b *builder) comments(src *queries.Query) []string {
	out := slices.Clone(src.Comments)
	if !b.gen.cfg.Gen.EmitSQLAsComment {
		return out
	}
	if len(out) == 0 {
		out = append(out, src.Name)
	}
	out = append(out, " ")
	// Lines as bufio.ScanLines splits them: no empty line after a final
	// newline, carriage returns dropped.
	for _, line := range strings.Split(strings.TrimSuffix(src.SQL, "\n"), "\n") {
		out = append(out, "  "+strings.TrimSuffix(line, "\r"))
	}
	return out
}

// paramName names a lone parameter: its column, or dollar_N.
func (b *builder) paramName(p *queries.Param) string {
	if p.Column != nil && p.Column.Name != "" {
		return b.n.argName(p.Column.Name)
	}
	return fmt.Sprintf("dollar_%d", p.Number)
}

// sameTable reports whether a column's table is the model's table; the
// engine leaves the default schema out.
func (b *builder) sameTable(t, model *queries.Identifier) bool {
	if t == nil {
		return false
	}
	s := t.Schema
	if s == "" {
		s = b.ty.defaultSchema
	}
	return s == model.Schema && t.Name == model.Name
}

// matchModel returns the model whose columns the result has, in order.
func (b *builder) matchModel(cols []*queries.Column) *structDef {
	for i := range b.model.Structs {
		s := &b.model.Structs[i]
		if len(s.Fields) != len(cols) {
			continue
		}
		same := true
		for j, f := range s.Fields {
			c := cols[j]
			if c.EmbedTable != nil || f.Name != b.n.structName(columnName(c.Name, j)) ||
				f.Type.String() != b.ty.columnType(c).String() || !b.sameTable(c.Table, s.Table) {
				same = false
				break
			}
		}
		if same {
			return s
		}
	}
	return nil
}

// findModel returns the model of a table named by sqlc.embed.
func (b *builder) findModel(id *queries.Identifier) *structDef {
	for i := range b.model.Structs {
		if b.sameTable(id, b.model.Structs[i].Table) {
			return &b.model.Structs[i]
		}
	}
	return nil
}

type goColumn struct {
	id int
	*queries.Column
	embed *structDef
}

// columnsToStruct builds a Params or Row struct. Duplicate names get a _2,
// _3… suffix, except named parameters used twice, which are one field.
func (b *builder) columnsToStruct(name string, columns []goColumn, useID bool) (*structDef, error) {
	opts := b.gen.cfg.Gen
	s := &structDef{Name: name}
	seen := map[string][]int{}
	suffixes := map[int]int{}
	for i, c := range columns {
		colName := columnName(c.Name, i)
		tagName := colName
		if c.embed != nil {
			colName = c.embed.Name
			tagName = toSnake(colName)
		}
		fieldName := b.n.structName(colName)
		if c.embed != nil {
			fieldName = c.embed.Name
		}
		base := fieldName
		suffix := 0
		if o, ok := suffixes[c.id]; ok && useID {
			suffix = o
		} else if v := len(seen[fieldName]); v > 0 && !c.IsNamedParam {
			suffix = v + 1
		}
		suffixes[c.id] = suffix
		if suffix > 0 {
			tagName = fmt.Sprintf("%s_%d", tagName, suffix)
			fieldName = fmt.Sprintf("%s_%d", fieldName, suffix)
		}
		tags := map[string]string{}
		if opts.EmitDBTags {
			tags["db"] = tagName
		}
		if opts.EmitJSONTags {
			tags["json"] = b.n.jsonTag(tagName)
		}
		b.ty.structTags(tags, c.Column)
		f := field{Name: fieldName, DBName: colName, ArgName: escape(spreadName(fieldName)), Tags: tags, Column: c.Column}
		if c.embed == nil {
			f.Type = b.ty.columnType(c.Column)
		} else {
			f.Type = local(c.embed.Name)
			f.Embed = slices.Clone(c.embed.Fields)
		}
		s.Fields = append(s.Fields, f)
		seen[base] = append(seen[base], i)
	}
	// A named parameter used in two places is one field; when only one use
	// has a known type, both take it.
	for i, f := range s.Fields {
		if len(seen[f.Name]) > 1 && f.Type.String() == anyType().String() {
			for _, j := range seen[f.Name] {
				if i != j && s.Fields[j].Type.String() != f.Type.String() {
					s.Fields[i].Type = s.Fields[j].Type
				}
			}
		}
	}
	types := map[string]string{}
	for _, f := range s.Fields {
		if t, ok := types[f.Name]; ok && t != f.Type.String() {
			return nil, fmt.Errorf("named parameter %s has incompatible types %s and %s", f.Name, t, f.Type.String())
		}
		types[f.Name] = f.Type.String()
	}
	return s, nil
}

// omitUnused drops the enums and models no query uses (omit_unused_structs),
// with sqlc's test: a type is used when it is a query's argument or result
// type, or the type of one of their fields.
func (b *builder) omitUnused() {
	keep := map[string]bool{}
	// name spells a local type as sqlc's type strings do: "NullMood",
	// "*Mood", "[]Mood".
	name := func(t goType) string {
		if t.Path != "" {
			return ""
		}
		s := strings.Repeat("[]", t.Slices)
		if t.Pointer {
			s += "*"
		}
		return s + t.Name
	}
	for _, q := range b.model.Queries {
		if !q.Arg.isEmpty() {
			keep[name(q.Arg.typ())] = true
			if q.Arg.Struct != nil {
				for _, f := range q.Arg.Struct.Fields {
					keep[name(f.Type)] = true
				}
			}
		}
		if !q.Ret.isEmpty() {
			keep[name(q.Ret.typ())] = true
			if q.Ret.Struct != nil {
				for _, f := range q.Ret.Struct.Fields {
					keep[strings.TrimPrefix(name(f.Type), "[]")] = true
					for _, e := range f.Embed {
						keep[name(e.Type)] = true
					}
				}
			}
		}
	}
	var enums []enum
	for _, e := range b.model.Enums {
		if keep[e.Name] || keep["Null"+e.Name] || keep["*"+e.Name] {
			enums = append(enums, e)
		}
	}
	// A new slice: queries point into the old one's models.
	var structs []structDef
	for _, s := range b.model.Structs {
		if keep[s.Name] {
			structs = append(structs, s)
		}
	}
	b.model.Enums, b.model.Structs = enums, structs
}
