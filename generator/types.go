package generator

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/queries"
)

// Import paths the generated code uses.
const (
	pgxPath     = "github.com/jackc/pgx/v5"
	pgconnPath  = "github.com/jackc/pgx/v5/pgconn"
	pgtypePath  = "github.com/jackc/pgx/v5/pgtype"
	tenancyPath = "github.com/tenantc/tenantc/tenancy"
	// pgvectorPath is pgvector's Go package, which sqlc maps vector to.
	pgvectorPath = "github.com/pgvector/pgvector-go"
)

// goType is a Go type in generated code. Types are values, not strings, so
// that an override's import path travels with its name; String gives a
// canonical spelling used to compare types.
type goType struct {
	Path    string // import path; "" for builtin and generated types
	Alias   string // the name Path is imported as, when an override gives one
	Name    string // "int64", "Ticket", "Int4", "interface{}"
	Pointer bool
	Slices  int      // number of leading []
	Args    []goType // type arguments of a generic type
}

func builtin(name string) goType     { return goType{Name: name} }
func pgtype(name string) goType      { return goType{Path: pgtypePath, Name: name} }
func local(name string) goType       { return goType{Name: name} }
func ptr(t goType) goType            { t.Pointer = true; return t }
func sliceOf(t goType, n int) goType { t.Slices += n; return t }

// pgRange is pgtype.Range[pgtype.<elem>].
func pgRange(elem string) goType {
	return goType{Path: pgtypePath, Name: "Range", Args: []goType{pgtype(elem)}}
}

// pgMultirange is pgtype.Multirange[pgtype.Range[pgtype.<elem>]].
func pgMultirange(elem string) goType {
	return goType{Path: pgtypePath, Name: "Multirange", Args: []goType{pgRange(elem)}}
}

// anyType is the type of a value whose database type tenantc cannot map.
func anyType() goType { return builtin("interface{}") }

// String spells t with its full import path, e.g. "[]*net/netip.Addr".
func (t goType) String() string {
	var b strings.Builder
	b.WriteString(strings.Repeat("[]", t.Slices))
	if t.Pointer {
		b.WriteByte('*')
	}
	if t.Path != "" {
		b.WriteString(t.Path + ".")
	}
	if t.Alias != "" {
		b.WriteString("(" + t.Alias + ")")
	}
	b.WriteString(t.Name)
	if len(t.Args) > 0 {
		b.WriteByte('[')
		for i, a := range t.Args {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(a.String())
		}
		b.WriteByte(']')
	}
	return b.String()
}

// code renders t.
func (t goType) code() *jen.Statement {
	s := jen.Empty()
	for range t.Slices {
		s = s.Index()
	}
	if t.Pointer {
		s = s.Op("*")
	}
	switch {
	case t.Alias != "":
		s = s.Qual(aliasKey(t.Path, t.Alias), t.Name)
	case t.Path != "":
		s = s.Qual(t.Path, t.Name)
	default:
		s = s.Id(t.Name)
	}
	if len(t.Args) > 0 {
		args := make([]jen.Code, len(t.Args))
		for i, a := range t.Args {
			args[i] = a.code()
		}
		s = s.Types(args...)
	}
	return s
}

// dataType is the engine's type name, schema-qualified when the engine
// qualified it (pg_catalog.int8); tenantc DDL is unqualified, so user types
// come without a schema.
func dataType(id *queries.Identifier) string {
	if id == nil {
		return ""
	}
	if id.Schema != "" {
		return id.Schema + "." + id.Name
	}
	return id.Name
}

// typer maps engine columns to Go types for pgx/v5.
type typer struct {
	g             *config.Gen
	n             *namer
	defaultSchema string
	enums         map[string]bool // "schema.name" of every enum
	composites    map[string]bool
	overrides     []override
	typeSeen      map[string]bool // every column type named, for hints
}

// override is a config override with its column pattern compiled, and
// whether it matched any column of the run (for the unmatched warning).
type override struct {
	config.Override
	catalog, schema, table, column *regexp.Regexp // nil: no such part
	matched                        bool
}

// compileOverrides compiles the column patterns of the config's overrides
// as sqlc does: table.column is in the default schema, schema.table.column
// and catalog.schema.table.column name theirs, and each part may use * and
// ?. The config has checked the patterns.
func compileOverrides(list []config.Override, defaultSchema string) []override {
	out := make([]override, len(list))
	for i, o := range list {
		out[i].Override = o
		if o.Column == "" {
			continue
		}
		parts := strings.Split(o.Column, ".")
		if len(parts) == 2 {
			parts = append([]string{defaultSchema}, parts...)
		}
		if len(parts) == 4 {
			out[i].catalog = matchPattern(parts[0])
			parts = parts[1:]
		}
		if len(parts) != 3 {
			continue
		}
		out[i].schema, out[i].table, out[i].column = matchPattern(parts[0]), matchPattern(parts[1]), matchPattern(parts[2])
	}
	return out
}

// matchPattern compiles one part of an override's column, in sqlc's
// pattern syntax: * is any run of characters, ? one character, and a
// backslash escapes either (or itself).
func matchPattern(p string) *regexp.Regexp {
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			i++
			re.WriteString(regexp.QuoteMeta(p[i : i+1]))
		case c == '*':
			re.WriteString(".*")
		case c == '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String())
}

// matchesColumn reports whether a column override names col: its table
// (schema, catalog) and its original column name.
func (o *override) matchesColumn(col *queries.Column, defaultSchema string) bool {
	if o.column == nil || col.Table == nil {
		return false
	}
	t := col.Table
	schema := t.Schema
	if schema == "" {
		schema = defaultSchema
	}
	name := col.Name
	if col.OriginalName != "" {
		name = col.OriginalName
	}
	return (o.catalog == nil || o.catalog.MatchString(t.Catalog)) &&
		o.schema.MatchString(schema) && o.table.MatchString(t.Name) && o.column.MatchString(name)
}

// matchesType reports whether a db_type override names col's type: the
// type's name as the engine spells it (pg_catalog-qualified where
// PostgreSQL's catalog has it, as sqlc requires), the column's
// nullability against nullable, and unsigned.
func (o *override) matchesType(col *queries.Column) bool {
	notNull := col.NotNull || col.IsArray
	return o.DBType != "" && o.DBType == dataType(col.Type) && o.Nullable != notNull && o.Unsigned == col.Unsigned
}

// columnType is the Go type of col, with overrides applied as sqlc applies
// them: the first column override naming it wins (its type as written, for
// an array column too), then the first db_type override of its element
// type, then the built-in mapping.
func (ty *typer) columnType(col *queries.Column) goType {
	ty.mark(col)
	for i := range ty.overrides {
		o := &ty.overrides[i]
		if o.GoType.Type == "" || !o.matchesColumn(col, ty.defaultSchema) {
			continue
		}
		t := overrideType(o.GoType)
		if col.IsSqlcSlice {
			return sliceOf(t, 1)
		}
		return t
	}
	t := ty.innerType(col)
	if col.IsSqlcSlice {
		return sliceOf(t, 1)
	}
	if col.IsArray {
		dims := col.ArrayDims
		if dims < 1 {
			dims = 1
		}
		return sliceOf(t, dims)
	}
	return t
}

// mark records which overrides col matches, whether or not an earlier
// override wins, so that only an override matching nothing is reported.
func (ty *typer) mark(col *queries.Column) {
	ty.typeSeen[dataType(col.Type)] = true
	for i := range ty.overrides {
		o := &ty.overrides[i]
		if !o.matched && (o.matchesType(col) || o.matchesColumn(col, ty.defaultSchema)) {
			o.matched = true
		}
	}
}

// structTags adds the go_struct_tag of every override that names col, by
// type or by column, to tags; later overrides win a key, as in sqlc.
func (ty *typer) structTags(tags map[string]string, col *queries.Column) {
	if col == nil {
		return
	}
	for i := range ty.overrides {
		o := &ty.overrides[i]
		if len(o.StructTags) == 0 || !o.matchesType(col) && !o.matchesColumn(col, ty.defaultSchema) {
			continue
		}
		for k, v := range o.StructTags {
			tags[k] = v
		}
	}
}

// unmatched returns a warning for each override that named no column of
// the schema or the queries: a typo there silently changes nothing.
func (ty *typer) unmatched() []*position.Error {
	var out []*position.Error
	for _, o := range ty.overrides {
		if o.matched {
			continue
		}
		if o.Column != "" {
			out = append(out, position.Errorf(o.Pos, "warning: override column %q matches no column", o.Column))
			continue
		}
		kind := "non-nullable"
		if o.Nullable {
			kind = "nullable"
		}
		if o.Unsigned {
			kind = "unsigned " + kind
		}
		msg := fmt.Sprintf("warning: override db_type %q matches no %s column", o.DBType, kind)
		if o.Unsigned {
			msg += " (PostgreSQL has no unsigned types)"
		} else if other, ok := otherSpelling(o.DBType); ok && ty.typeSeen[other] {
			msg += fmt.Sprintf(" (the engine names this type %q)", other)
		}
		out = append(out, position.Errorf(o.Pos, "%s", msg))
	}
	return out
}

// otherSpelling is a type name with pg_catalog added or removed: sqlc
// matches db_type exactly, and which spelling the engine reports depends
// on how the schema writes the type (timestamptz, but pg_catalog.interval).
func otherSpelling(dbType string) (string, bool) {
	if rest, ok := strings.CutPrefix(dbType, "pg_catalog."); ok {
		return rest, true
	}
	if strings.Contains(dbType, ".") {
		return "", false
	}
	return "pg_catalog." + dbType, true
}

// overrideType converts a config go_type.
func overrideType(g config.GoType) goType {
	t := goType{Path: g.Import, Name: g.Type, Pointer: g.Pointer, Alias: g.Package}
	if g.Slice {
		t.Slices = 1
	}
	return t
}

// innerType is the element type of col: a db_type override or the pgx/v5
// mapping sqlc uses.
func (ty *typer) innerType(col *queries.Column) goType {
	for i := range ty.overrides {
		o := &ty.overrides[i]
		if o.GoType.Type != "" && o.matchesType(col) {
			return overrideType(o.GoType)
		}
	}
	return ty.pgxType(col)
}

// pgxType follows sqlc's postgresType for the pgx/v5 driver.
func (ty *typer) pgxType(col *queries.Column) goType {
	dt := dataType(col.Type)
	notNull := col.NotNull || col.IsArray
	ptrs := ty.g.EmitPointersForNullTypes
	if plain, wrapper, ok := nullableScalar(dt); ok {
		// A column that may be NULL gets the plain type, a pointer to it,
		// or the pgtype wrapper.
		switch {
		case notNull:
			return builtin(plain)
		case ptrs:
			return ptr(builtin(plain))
		}
		return pgtype(wrapper)
	}
	if t, ok := pgtypeValue(dt); ok {
		return t
	}
	switch dt {
	case "json", "pg_catalog.json", "jsonb", "pg_catalog.jsonb", "bytea", "blob", "pg_catalog.bytea":
		return sliceOf(builtin("byte"), 1)
	case "pg_catalog.timetz":
		t := goType{Path: "time", Name: "Time"}
		switch {
		case notNull:
			return t
		case ptrs:
			return ptr(t)
		}
		return goType{Path: "database/sql", Name: "NullTime"}
	case "inet":
		t := goType{Path: "net/netip", Name: "Addr"}
		if notNull {
			return t
		}
		return ptr(t)
	case "cidr":
		t := goType{Path: "net/netip", Name: "Prefix"}
		if notNull {
			return t
		}
		return ptr(t)
	case "macaddr", "macaddr8":
		return goType{Path: "net", Name: "HardwareAddr"}
	case "vector":
		t := goType{Path: pgvectorPath, Name: "Vector"}
		if ptrs {
			return ptr(t)
		}
		return t
	case "void", "any":
		return anyType()
	}
	return ty.userType(dt, notNull)
}

// nullableScalar returns the Go type of a scalar column type that has one
// (int32 for integer) and the pgtype wrapper for it when it may be NULL
// (Int4), with ok false for any other type.
func nullableScalar(dt string) (plain, wrapper string, ok bool) {
	switch dt {
	case "serial", "serial4", "pg_catalog.serial4", "integer", "int", "int4", "pg_catalog.int4":
		return "int32", "Int4", true
	case "bigserial", "serial8", "pg_catalog.serial8", "bigint", "int8", "pg_catalog.int8":
		return "int64", "Int8", true
	case "smallserial", "serial2", "pg_catalog.serial2", "smallint", "int2", "pg_catalog.int2":
		return "int16", "Int2", true
	case "float", "double precision", "float8", "pg_catalog.float8":
		return "float64", "Float8", true
	case "real", "float4", "pg_catalog.float4":
		return "float32", "Float4", true
	case "boolean", "bool", "pg_catalog.bool":
		return "bool", "Bool", true
	case "text", "pg_catalog.varchar", "pg_catalog.bpchar", "string", "citext", "name",
		"ltree", "lquery", "ltxtquery":
		return "string", "Text", true
	}
	return "", "", false
}

// pgtypeValue returns the pgtype type of a column type that maps to one
// whether or not it may be NULL (pgtype.Numeric, pgtype.Range[…]), with ok
// false for any other type.
func pgtypeValue(dt string) (goType, bool) {
	switch dt {
	case "numeric", "pg_catalog.numeric", "money":
		return pgtype("Numeric"), true
	case "date":
		return pgtype("Date"), true
	case "pg_catalog.time":
		return pgtype("Time"), true
	case "pg_catalog.timestamp", "timestamp":
		return pgtype("Timestamp"), true
	case "pg_catalog.timestamptz", "timestamptz":
		return pgtype("Timestamptz"), true
	case "uuid":
		return pgtype("UUID"), true
	case "interval", "pg_catalog.interval":
		return pgtype("Interval"), true
	case "daterange":
		return pgRange("Date"), true
	case "datemultirange":
		return pgMultirange("Date"), true
	case "tsrange":
		return pgRange("Timestamp"), true
	case "tsmultirange":
		return pgMultirange("Timestamp"), true
	case "tstzrange":
		return pgRange("Timestamptz"), true
	case "tstzmultirange":
		return pgMultirange("Timestamptz"), true
	case "numrange":
		return pgRange("Numeric"), true
	case "nummultirange":
		return pgMultirange("Numeric"), true
	case "int4range":
		return pgRange("Int4"), true
	case "int4multirange":
		return pgMultirange("Int4"), true
	case "int8range":
		return pgRange("Int8"), true
	case "int8multirange":
		return pgMultirange("Int8"), true
	case "hstore":
		return pgtype("Hstore"), true
	case "bit", "varbit", "pg_catalog.bit", "pg_catalog.varbit":
		return pgtype("Bits"), true
	case "cid", "oid", "xid":
		return pgtype("Uint32"), true
	case "xid8":
		return pgtype("Uint64"), true
	case "tid":
		return pgtype("TID"), true
	case "box", "circle", "line", "lseg", "path", "point", "polygon":
		return pgtype(title(dt)), true
	}
	return goType{}, false
}

// userType maps an enum or composite type of the schema, in the default
// schema or another one, as sqlc does; anything else is interface{}.
func (ty *typer) userType(dt string, notNull bool) goType {
	schema, name, ok := strings.Cut(dt, ".")
	if !ok || strings.Contains(name, ".") {
		schema, name = ty.defaultSchema, dt
	}
	if strings.Count(dt, ".") > 1 {
		return anyType()
	}
	key := schema + "." + name
	if ty.enums[key] {
		qualified := name
		if schema != ty.defaultSchema {
			qualified = schema + "_" + name
		}
		t := local(ty.n.structName(qualified))
		ptrs := ty.g.EmitPointersForNullTypes
		if ty.g.EmitPointersForNullEnumTypes != nil {
			ptrs = *ty.g.EmitPointersForNullEnumTypes
		}
		switch {
		case notNull:
			return t
		case ptrs:
			return ptr(t)
		}
		return local("Null" + t.Name)
	}
	if ty.composites[key] {
		// sqlc passes composite values as their text form, and a nullable
		// one as sql.NullString, pgx/v5 included.
		t := builtin("string")
		switch {
		case notNull:
			return t
		case ty.g.EmitPointersForNullTypes:
			return ptr(t)
		}
		return goType{Path: "database/sql", Name: "NullString"}
	}
	return anyType()
}
