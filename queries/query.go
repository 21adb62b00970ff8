package queries

import (
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
)

// Identifier names a schema object as sqlc reports it.
type Identifier struct {
	Catalog string `json:"catalog"`
	Schema  string `json:"schema"`
	Name    string `json:"name"`
}

// Column is a result column, a parameter or a table column, with the type
// the sqlc engine inferred for it.
type Column struct {
	Name         string      `json:"name"`
	NotNull      bool        `json:"not_null"`
	IsArray      bool        `json:"is_array"`
	ArrayDims    int         `json:"array_dims"`
	Comment      string      `json:"comment"`
	Length       int         `json:"length"`
	IsNamedParam bool        `json:"is_named_param"`
	IsFuncCall   bool        `json:"is_func_call"`
	Scope        string      `json:"scope"`
	Table        *Identifier `json:"table"`
	TableAlias   string      `json:"table_alias"`
	Type         *Identifier `json:"type"`
	IsSqlcSlice  bool        `json:"is_sqlc_slice"`
	EmbedTable   *Identifier `json:"embed_table"`
	OriginalName string      `json:"original_name"`
	Unsigned     bool        `json:"unsigned"`
}

// Param is a query parameter ($Number).
type Param struct {
	Number int     `json:"number"`
	Column *Column `json:"column"`
}

// Query is one analyzed query.
type Query struct {
	Name     string    `json:"name"`     // method name from -- name:
	Cmd      string    `json:"cmd"`      // ":one", ":many", ...
	SQL      string    `json:"text"`     // SQL as sent, without the -- name: line; see TenantRefs
	Columns  []*Column `json:"columns"`  // result columns
	Params   []*Param  `json:"params"`   // parameters, by number
	Comments []string  `json:"comments"` // comment lines above the query, without "--"
	// File is the query file, relative to the config's directory.
	File string `json:"filename"`
	// InsertIntoTable is the target of an INSERT (used by :copyfrom).
	InsertIntoTable *Identifier `json:"insert_into_table"`

	// Pos is the position of the query's name in its -- name: line.
	Pos position.Pos `json:"-"`
	// Scope is schema.Tenant when the query touches any tenant object.
	Scope schema.Scope `json:"-"`
	// TenantRefs are byte offsets into SQL, ascending, of each reference to a
	// tenant object (the first byte of its name; for nextval('seq') the first
	// byte inside the literal). The runtime inserts the quoted tenant schema
	// and a dot at each, so the SQL names the tenant's objects without a
	// search_path. References to shared objects are already qualified with
	// the shared schema in SQL.
	TenantRefs []int `json:"-"`
}

// Table is a table as the sqlc engine sees it, with typed columns.
type Table struct {
	Rel     *Identifier `json:"rel"`
	Columns []*Column   `json:"columns"`
	Comment string      `json:"comment"`
}

// Enum is an enum type.
type Enum struct {
	Name    string   `json:"name"`
	Vals    []string `json:"vals"`
	Comment string   `json:"comment"`
}

// CompositeType is a composite type.
type CompositeType struct {
	Name    string `json:"name"`
	Comment string `json:"comment"`
}

// Schema is one schema of the engine's catalog. tenantc's DDL is unqualified,
// so user objects are in the engine's default schema, "public", whatever
// their tenantc scope; pg_catalog holds the built-in types.
type Schema struct {
	Name           string           `json:"name"`
	Comment        string           `json:"comment"`
	Tables         []*Table         `json:"tables"`
	Enums          []*Enum          `json:"enums"`
	CompositeTypes []*CompositeType `json:"composite_types"`
}

// Catalog is the sqlc engine's view of the schema.
type Catalog struct {
	DefaultSchema string    `json:"default_schema"`
	Name          string    `json:"name"`
	Schemas       []*Schema `json:"schemas"`
}

// Result is the output of [Analyze].
type Result struct {
	Catalog *Catalog `json:"catalog"`
	// Queries in file order, then in order of appearance.
	Queries     []*Query `json:"queries"`
	SQLCVersion string   `json:"sqlc_version"`
}
