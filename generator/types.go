package generator

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/queries"
)

// Import paths the generated code uses.
const (
	pgxPath     = "github.com/jackc/pgx/v5"
	pgconnPath  = "github.com/jackc/pgx/v5/pgconn"
	pgtypePath  = "github.com/jackc/pgx/v5/pgtype"
	tenancyPath = "github.com/tenantc/tenantc/tenancy"
)

// goType is a Go type in generated code. Types are values, not strings, so
// that an override's import path travels with its name; String gives a
// canonical spelling used to compare types.
type goType struct {
	Path    string // import path; "" for builtin and generated types
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
	if t.Path != "" {
		s = s.Qual(t.Path, t.Name)
	} else {
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

// stripCatalog drops the pg_catalog schema so that an override for
// "timestamptz" matches "pg_catalog.timestamptz" and the other way round.
func stripCatalog(s string) string {
	return strings.TrimPrefix(s, "pg_catalog.")
}

// typer maps engine columns to Go types for pgx/v5.
type typer struct {
	g             *config.Gen
	n             *namer
	defaultSchema string
	enums         map[string]bool // enum names in the default schema
	composites    map[string]bool
}

// columnType is the Go type of col, with overrides applied: a column
// override wins over a db_type override, which wins over the built-in
// mapping.
func (ty *typer) columnType(col *queries.Column) goType {
	if t, ok := ty.columnOverride(col); ok {
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

// columnOverride finds an override naming col's table and column
// ("tickets.title", or "public.tickets.title").
func (ty *typer) columnOverride(col *queries.Column) (goType, bool) {
	if col.Table == nil {
		return goType{}, false
	}
	name := col.Name
	if col.OriginalName != "" {
		name = col.OriginalName
	}
	schema := col.Table.Schema
	if schema == "" {
		schema = ty.defaultSchema
	}
	for _, o := range ty.g.Overrides {
		if o.Column == "" {
			continue
		}
		parts := strings.Split(o.Column, ".")
		var oSchema, oTable, oCol string
		switch len(parts) {
		case 2:
			oSchema, oTable, oCol = ty.defaultSchema, parts[0], parts[1]
		case 3:
			oSchema, oTable, oCol = parts[0], parts[1], parts[2]
		default:
			continue
		}
		if oSchema == schema && oTable == col.Table.Name && oCol == name {
			return overrideType(o.GoType), true
		}
	}
	return goType{}, false
}

// overrideType converts a config go_type.
func overrideType(g config.GoType) goType {
	t := goType{Path: g.Import, Name: g.Type, Pointer: g.Pointer}
	if g.Slice {
		t.Slices = 1
	}
	return t
}

// innerType is the element type of col: a db_type override or the pgx/v5
// mapping sqlc uses.
func (ty *typer) innerType(col *queries.Column) goType {
	notNull := col.NotNull || col.IsArray
	dt := dataType(col.Type)
	for _, o := range ty.g.Overrides {
		if o.DBType != "" && stripCatalog(o.DBType) == stripCatalog(dt) && o.Nullable != notNull {
			return overrideType(o.GoType)
		}
	}
	return ty.pgxType(dt, notNull)
}

// pgxType follows sqlc's postgresType for the pgx/v5 driver.
func (ty *typer) pgxType(dt string, notNull bool) goType {
	ptrs := ty.g.EmitPointersForNullTypes
	// nullable picks the Go type for a column that may be NULL: the plain
	// type, a pointer to it, or the pgtype wrapper.
	nullable := func(plain, wrapper string) goType {
		switch {
		case notNull:
			return builtin(plain)
		case ptrs:
			return ptr(builtin(plain))
		}
		return pgtype(wrapper)
	}
	switch dt {
	case "serial", "serial4", "pg_catalog.serial4", "integer", "int", "int4", "pg_catalog.int4":
		return nullable("int32", "Int4")
	case "bigserial", "serial8", "pg_catalog.serial8", "bigint", "int8", "pg_catalog.int8":
		return nullable("int64", "Int8")
	case "smallserial", "serial2", "pg_catalog.serial2", "smallint", "int2", "pg_catalog.int2":
		return nullable("int16", "Int2")
	case "float", "double precision", "float8", "pg_catalog.float8":
		return nullable("float64", "Float8")
	case "real", "float4", "pg_catalog.float4":
		return nullable("float32", "Float4")
	case "numeric", "pg_catalog.numeric", "money":
		return pgtype("Numeric")
	case "boolean", "bool", "pg_catalog.bool":
		return nullable("bool", "Bool")
	case "json", "pg_catalog.json", "jsonb", "pg_catalog.jsonb", "bytea", "blob", "pg_catalog.bytea":
		return sliceOf(builtin("byte"), 1)
	case "date":
		return pgtype("Date")
	case "pg_catalog.time":
		return pgtype("Time")
	case "pg_catalog.timetz":
		t := goType{Path: "time", Name: "Time"}
		switch {
		case notNull:
			return t
		case ptrs:
			return ptr(t)
		}
		return goType{Path: "database/sql", Name: "NullTime"}
	case "pg_catalog.timestamp", "timestamp":
		return pgtype("Timestamp")
	case "pg_catalog.timestamptz", "timestamptz":
		return pgtype("Timestamptz")
	case "text", "pg_catalog.varchar", "pg_catalog.bpchar", "string", "citext", "name",
		"ltree", "lquery", "ltxtquery":
		return nullable("string", "Text")
	case "uuid":
		return pgtype("UUID")
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
	case "interval", "pg_catalog.interval":
		return pgtype("Interval")
	case "daterange":
		return pgRange("Date")
	case "datemultirange":
		return pgMultirange("Date")
	case "tsrange":
		return pgRange("Timestamp")
	case "tsmultirange":
		return pgMultirange("Timestamp")
	case "tstzrange":
		return pgRange("Timestamptz")
	case "tstzmultirange":
		return pgMultirange("Timestamptz")
	case "numrange":
		return pgRange("Numeric")
	case "nummultirange":
		return pgMultirange("Numeric")
	case "int4range":
		return pgRange("Int4")
	case "int4multirange":
		return pgMultirange("Int4")
	case "int8range":
		return pgRange("Int8")
	case "int8multirange":
		return pgMultirange("Int8")
	case "hstore":
		return pgtype("Hstore")
	case "bit", "varbit", "pg_catalog.bit", "pg_catalog.varbit":
		return pgtype("Bits")
	case "cid", "oid", "xid":
		return pgtype("Uint32")
	case "xid8":
		return pgtype("Uint64")
	case "tid":
		return pgtype("TID")
	case "box", "circle", "line", "lseg", "path", "point", "polygon":
		return pgtype(title(dt))
	case "void", "any":
		return anyType()
	}
	name := dt
	if schema, n, ok := strings.Cut(dt, "."); ok {
		if schema != ty.defaultSchema {
			return anyType()
		}
		name = n
	}
	if ty.enums[name] {
		t := local(ty.n.structName(name))
		switch {
		case notNull:
			return t
		case ptrs:
			return ptr(t)
		}
		return local("Null" + t.Name)
	}
	if ty.composites[name] {
		// sqlc passes composite values as their text form.
		t := builtin("string")
		switch {
		case notNull:
			return t
		case ptrs:
			return ptr(t)
		}
		return pgtype("Text")
	}
	return anyType()
}
