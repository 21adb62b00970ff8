package inspect

import (
	"database/sql"
	"fmt"

	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// Describe renders schema changes (from the expected state to the actual
// one) as difference lines.
func Describe(changes []atlasschema.Change) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, c := range changes {
		switch c := c.(type) {
		case *atlasschema.AddTable:
			add("+ table %q", c.T.Name)
		case *atlasschema.DropTable:
			add("- table %q (missing)", c.T.Name)
		case *atlasschema.AddObject:
			add("+ %s", objectName(c.O))
		case *atlasschema.DropObject:
			add("- %s (missing)", objectName(c.O))
		case *atlasschema.ModifyObject:
			add("~ %s differs", objectName(c.To))
		case *atlasschema.ModifyTable:
			t := c.T.Name
			for _, tc := range c.Changes {
				switch tc := tc.(type) {
				case *atlasschema.AddColumn:
					add("+ column %q.%q", t, tc.C.Name)
				case *atlasschema.DropColumn:
					add("- column %q.%q (missing)", t, tc.C.Name)
				case *atlasschema.ModifyColumn:
					add("~ column %q.%q differs: expected %s, found %s", t, tc.To.Name, columnDef(tc.From), columnDef(tc.To))
				case *atlasschema.AddIndex:
					add("+ index %q on %q", tc.I.Name, t)
				case *atlasschema.DropIndex:
					add("- index %q on %q (missing)", tc.I.Name, t)
				case *atlasschema.ModifyIndex:
					add("~ index %q on %q differs", tc.To.Name, t)
				case *atlasschema.AddForeignKey:
					add("+ foreign key %q on %q", tc.F.Symbol, t)
				case *atlasschema.DropForeignKey:
					add("- foreign key %q on %q (missing)", tc.F.Symbol, t)
				case *atlasschema.ModifyForeignKey:
					add("~ foreign key %q on %q differs", tc.To.Symbol, t)
				case *atlasschema.AddCheck:
					add("+ check %q on %q", tc.C.Name, t)
				case *atlasschema.DropCheck:
					add("- check %q on %q (missing)", tc.C.Name, t)
				case *atlasschema.ModifyCheck:
					add("~ check %q on %q differs: expected %s, found %s", tc.To.Name, t, tc.From.Expr, tc.To.Expr)
				case *atlasschema.AddPrimaryKey, *atlasschema.DropPrimaryKey, *atlasschema.ModifyPrimaryKey:
					add("~ primary key of %q differs", t)
				default:
					add("~ table %q differs", t)
				}
			}
		default:
			add("~ %T", c)
		}
	}
	return out
}

// columnDef is a column's type, nullability and default as DDL writes
// them ("text NOT NULL DEFAULT 'x'"), to say what a changed column was
// expected to be and what it is.
func columnDef(c *atlasschema.Column) string {
	def := "?"
	if c.Type != nil {
		if f, err := postgres.FormatType(c.Type.Type); err == nil {
			def = f
		} else if c.Type.Raw != "" {
			def = c.Type.Raw
		}
		if c.Type.Null {
			def += " NULL"
		} else {
			def += " NOT NULL"
		}
	}
	switch d := c.Default.(type) {
	case *atlasschema.Literal:
		def += " DEFAULT " + d.V
	case *atlasschema.RawExpr:
		def += " DEFAULT " + d.X
	}
	return def
}

func objectName(o atlasschema.Object) string {
	switch o := o.(type) {
	case *atlasschema.EnumType:
		return fmt.Sprintf("enum %q", o.T)
	}
	return fmt.Sprintf("%T", o)
}

// SearchPath renders schema names as a search_path value, each quoted.
func SearchPath(schemas ...string) string {
	s := ""
	for i, n := range schemas {
		if i > 0 {
			s += ", "
		}
		s += pgx.Identifier{n}.Sanitize()
	}
	return s
}

// SchemaOf returns the named schema of r, or an empty one.
func SchemaOf(r *atlasschema.Realm, name string) *atlasschema.Schema {
	if s, ok := r.Schema(name); ok {
		return s
	}
	return atlasschema.New(name)
}

// OpenSQL returns a database/sql handle on pool's database, for Atlas,
// which inspects through database/sql: on a *pgxpool.Pool its own
// connections, on any other pool (a *tenancy.Pool) connections of its own
// made from pool's configuration. Close it when done.
func OpenSQL(pool interface{ Config() *pgxpool.Config }) *sql.DB {
	if p, ok := pool.(*pgxpool.Pool); ok {
		return stdlib.OpenDBFromPool(p)
	}
	return stdlib.OpenDB(*pool.Config().ConnConfig)
}
