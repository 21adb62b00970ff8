package schema

import (
	"strconv"

	"github.com/tenantc/tenantc/position"
)

// Scope says where an object lives: once, in the shared schema, or once per
// tenant, in each tenant's schema.
type Scope int

const (
	// Shared objects live in the config's shared_schema.
	Shared Scope = iota + 1
	// Tenant objects live in every tenant's schema.
	Tenant
)

// String returns "shared" or "tenant".
func (s Scope) String() string {
	switch s {
	case Shared:
		return "shared"
	case Tenant:
		return "tenant"
	}
	return "unscoped"
}

// Kind is the kind of a scoped object.
type Kind string

// The kinds of scoped objects.
const (
	Table            Kind = "table"
	View             Kind = "view"
	MaterializedView Kind = "materialized view"
	Sequence         Kind = "sequence"
	Enum             Kind = "enum"
	Composite        Kind = "composite type"
	Domain           Kind = "domain"
	Function         Kind = "function"
)

// IsRelation reports whether objects of kind k share PostgreSQL's relation
// namespace (pg_class): tables, views, materialized views and sequences.
func (k Kind) IsRelation() bool {
	switch k {
	case Table, View, MaterializedView, Sequence:
		return true
	}
	return false
}

// IsType reports whether k is a type created by CREATE TYPE or CREATE DOMAIN.
func (k Kind) IsType() bool {
	switch k {
	case Enum, Composite, Domain:
		return true
	}
	return false
}

// Object is one scoped object declared in the schema files.
type Object struct {
	Name  string // as PostgreSQL folds it: unquoted names are lower-cased
	Kind  Kind
	Scope Scope
	Pos   position.Pos // of the object's name in its CREATE statement
	// Columns of a table, view or composite type, in order (folded names);
	// nil when tenantc cannot tell without a database, as for a view's *
	// over a relation the catalog does not hold.
	Columns []string
	// Refs are the other catalog objects this one depends on: foreign keys,
	// column types, defaults (nextval, functions), view bodies.
	Refs []string
}

// IsTenant reports whether o lives in every tenant's schema.
func (o *Object) IsTenant() bool { return o.Scope == Tenant }

// String names o in messages: its kind and quoted name, as in
// table "orders".
func (o *Object) String() string { return string(o.Kind) + " " + strconv.Quote(o.Name) }

// Catalog is every scoped object of the annotated schema.
type Catalog struct {
	// Objects in declaration order (files in config order).
	Objects []*Object
	// Files are the schema files read, in order, as paths usable from the
	// current directory.
	Files []string
	// Ignores are the files' tenantc:ignore comments, in file order.
	Ignores []Ignore
	// SharedSchema is the config's shared_schema. DDL may qualify names
	// with it, as pg_dump does; [Statements] drops that qualifier from the
	// names of catalog objects, whose schema tenantc chooses.
	SharedSchema string

	relations map[string]*Object
	types     map[string]*Object
	functions map[string]*Object
}

// Ignore is a "-- tenantc:ignore <reason>" comment in a schema file:
// tenantc vet does not report its SQL checks' findings on the lines it
// covers. A comment on a line of its own before a statement covers every
// line of the statement; any other covers its own line.
type Ignore struct {
	Pos    position.Pos // of the word "ignore"
	Reason string       // the rest of the comment; vet reports an empty one
	// FromLine and ToLine are the lines it covers in Pos.File.
	FromLine, ToLine int
}

// Relation returns the table, view, materialized view or sequence with the
// folded name, if the catalog declares one. It also finds the sequences that
// serial and identity columns create (tickets_id_seq), which take their
// table's scope but are not in Objects.
func (c *Catalog) Relation(name string) (*Object, bool) {
	o, ok := c.relations[name]
	return o, ok
}

// Type returns the enum, composite or domain type with the folded name, or
// the table whose row type has that name.
func (c *Catalog) Type(name string) (*Object, bool) {
	if o, ok := c.types[name]; ok {
		return o, true
	}
	if o, ok := c.relations[name]; ok && o.Kind != Sequence {
		return o, true
	}
	return nil, false
}

// Function returns the function with the folded name (all overloads share
// one entry and one scope).
func (c *Catalog) Function(name string) (*Object, bool) {
	o, ok := c.functions[name]
	return o, ok
}

// HasTenant reports whether the catalog declares any tenant object.
func (c *Catalog) HasTenant() bool {
	for _, o := range c.Objects {
		if o.Scope == Tenant {
			return true
		}
	}
	return false
}
