package schema

import (
	"strconv"

	"github.com/tenantc/tenantc/position"
)

// NewCatalog builds a catalog from objects declared elsewhere, for tests of
// packages that consume a catalog without writing schema files. Objects keep
// their order; a name declared twice is reported as [Load] reports it.
func NewCatalog(objs ...*Object) (*Catalog, error) {
	c := &Catalog{}
	var errs position.ErrorList
	for _, o := range objs {
		if _, prev := c.add(o); prev != nil {
			errs.Add(o.Pos, "%s", duplicateMsg(o, prev))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// add puts o in the catalog unless its name is taken. It returns the object
// that o's references belong to — o itself, or the function o overloads —
// and, when the name is taken, the object that holds it (o is then not
// added).
//
// Namespaces follow PostgreSQL: tables, views, materialized views and
// sequences share pg_class; enums, composites and domains share pg_type
// with the row types of tables and views (sequences have none). All
// overloads of a function are one object with one scope.
func (c *Catalog) add(o *Object) (owner, prev *Object) {
	if c.relations == nil {
		c.relations = map[string]*Object{}
		c.types = map[string]*Object{}
		c.functions = map[string]*Object{}
	}
	switch {
	case o.Kind == Function:
		if f, ok := c.functions[o.Name]; ok {
			if f.Scope != o.Scope && f.Scope != 0 && o.Scope != 0 {
				return o, f
			}
			return f, nil
		}
		c.functions[o.Name] = o
	case o.Kind.IsRelation():
		prev = c.relations[o.Name]
		if prev == nil && o.Kind != Sequence {
			prev = c.types[o.Name]
		}
		if prev != nil {
			return o, prev
		}
		c.relations[o.Name] = o
	default:
		prev = c.types[o.Name]
		if r := c.relations[o.Name]; prev == nil && r != nil && r.Kind != Sequence {
			prev = r
		}
		if prev != nil {
			return o, prev
		}
		c.types[o.Name] = o
	}
	c.Objects = append(c.Objects, o)
	return o, nil
}

// describe names an object for messages: `shared table "plans"`.
func describe(o *Object) string {
	s := string(o.Kind) + " " + strconv.Quote(o.Name)
	if o.Scope != 0 {
		s = o.Scope.String() + " " + s
	}
	return s
}

func duplicateMsg(o, prev *Object) string {
	msg := describe(o) + " has the same name as " + describe(prev)
	if prev.Pos.File != "" {
		msg += " declared at " + prev.Pos.String()
	}
	return msg
}
