package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
)

// ErrNoMatchingVersion is returned by [AdoptTenant] when the objects of the
// schema to adopt match the state of no tenant migration version; the
// error lists the differences from the closest version. Test with
// errors.Is.
var ErrNoMatchingVersion = errors.New("migrate: schema matches no tenant migration version")

// adoptScratch is the schema the tenant history is replayed into while
// adopting; it only exists inside the adopting transaction.
const adoptScratch = "tenantc_adopt"

// AdoptTenant turns the tenant objects of an existing schema — typically
// the single-tenant database an app had before it went multi-tenant — into
// tenant id, in one transaction:
//
//   - it replays the tenant migrations one version at a time and compares
//     each state with fromSchema (Atlas's comparison of tables and enums,
//     then views, functions, triggers, domains, composite types and
//     sequences by definition), keeping the latest version whose objects
//     fromSchema holds exactly;
//   - it creates the tenant's schema and moves those objects into it with
//     ALTER ... SET SCHEMA, rows, indexes, constraints and triggers
//     included; the tenant's functions get search_path set to their new
//     schema and the shared one;
//   - it records the versions up to the matched one and inserts the
//     registry row. A later [Apply] brings the tenant to the latest version.
//
// Objects of fromSchema that the tenant state does not name (shared
// tables, anything else) stay where they are, so fromSchema may be the
// shared schema itself, as when an app kept everything in public; the
// schema is never renamed or dropped. When no version matches, nothing
// changes and the error wraps [ErrNoMatchingVersion] with the differences
// from the closest version. Refusals are as for [CreateTenant], except
// that other tenants may be behind.
func AdoptTenant(ctx context.Context, pool DB, cfg *config.Config, id, fromSchema string, opts ...AdoptOption) (TenantInfo, error) {
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return TenantInfo{}, err
	}
	schemaName, err := p.schemaFor(id)
	if err != nil {
		return TenantInfo{}, err
	}
	if len(p.tenantFiles) == 0 {
		return TenantInfo{}, fmt.Errorf("adopt tenant %q: the tenant migration directory is empty: %w", id, ErrNoMatchingVersion)
	}
	if err := p.checkShared(ctx, pool); err != nil {
		return TenantInfo{}, fmt.Errorf("adopt tenant %q: %w", id, err)
	}
	info, err := p.adopt(ctx, pool, id, schemaName, fromSchema)
	if err != nil {
		return TenantInfo{}, fmt.Errorf("adopt tenant %q from schema %q: %w", id, fromSchema, err)
	}
	return info, nil
}

func (p *provisioner) adopt(ctx context.Context, pool DB, id, schemaName, fromSchema string) (_ TenantInfo, err error) {
	db := inspect.OpenSQL(pool)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return TenantInfo{}, err
	}
	defer conn.Close()
	// Atlas inspects through database/sql, the rest goes through pgx on the
	// same session, so the transaction is opened by hand.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return TenantInfo{}, err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	shared := p.cfg.SharedSchema
	err = withPgx(conn, func(c *pgx.Conn) error {
		if err := lockProvision(ctx, c, shared, []string{id}, []string{schemaName, fromSchema}); err != nil {
			return err
		}
		if err := p.checkShared(ctx, c); err != nil {
			return err
		}
		if err := p.checkFree(ctx, c, id, schemaName); err != nil {
			return err
		}
		var found, registered bool
		err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
	EXISTS (SELECT 1 FROM `+p.reg+` WHERE schema_name = $1)`, fromSchema).Scan(&found, &registered)
		switch {
		case err != nil:
			return fmt.Errorf("look up schema: %w", err)
		case !found:
			return fmt.Errorf("schema %q does not exist", fromSchema)
		case registered:
			return fmt.Errorf("schema %q already belongs to a tenant: %w", fromSchema, ErrTenantExists)
		}
		return nil
	})
	if err != nil {
		return TenantInfo{}, err
	}

	drv, err := postgres.Open(conn)
	if err != nil {
		return TenantInfo{}, fmt.Errorf("open atlas driver: %w", err)
	}
	m, err := p.match(ctx, conn, drv, fromSchema)
	if err != nil {
		return TenantInfo{}, err
	}

	info := TenantInfo{ID: id, Schema: schemaName, Version: m.version}
	err = withPgx(conn, func(c *pgx.Conn) error {
		if err := moveObjects(ctx, c, m, fromSchema, schemaName, shared); err != nil {
			return err
		}
		info.CreatedAt, err = p.register(ctx, c, id, schemaName, m.version)
		return err
	})
	if err != nil {
		return TenantInfo{}, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return TenantInfo{}, fmt.Errorf("commit: %w", err)
	}
	p.o.log.Debug("tenant adopted", "tenant", id, "schema", schemaName, "from", fromSchema, "version", m.version)
	return info, nil
}

// adoptMatch is the version a schema matched and the objects that make up
// the tenant at that version.
type adoptMatch struct {
	version string
	tables  []string
	enums   []string
	objects []inspect.ObjKey
}

// match replays the tenant history into a scratch schema inside a
// savepoint, comparing fromSchema with the state after each version.
func (p *provisioner) match(ctx context.Context, conn *sql.Conn, drv atlasmigrate.Driver, fromSchema string) (*adoptMatch, error) {
	shared := p.cfg.SharedSchema
	actualRealm, err := drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: []string{fromSchema}})
	if err != nil {
		return nil, fmt.Errorf("inspect schema %q: %w", fromSchema, err)
	}
	actual := inspect.SchemaOf(actualRealm, fromSchema)
	actualObjs, err := normalizedObjects(ctx, conn, fromSchema)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SAVEPOINT tenantc_adopt"); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+adoptScratch); err != nil {
		return nil, fmt.Errorf("create scratch schema: %w", err)
	}
	var (
		best         *adoptMatch
		closest      string
		closestDiffs []string
		replayPath   = inspect.SearchPath(adoptScratch, shared)
		setPath      = "SELECT set_config('search_path', $1, true)"
		closestN     = -1
	)
	for _, f := range p.tenantFiles {
		if _, err := conn.ExecContext(ctx, setPath, replayPath); err != nil {
			return nil, fmt.Errorf("set search_path: %w", err)
		}
		for i, s := range f.Stmts {
			if _, err := conn.ExecContext(ctx, nonConcurrent(s)); err != nil {
				return nil, fmt.Errorf("replay %s: statement %d: %w", f.Name, i+1, err)
			}
		}
		realm, err := drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: []string{adoptScratch}})
		if err != nil {
			return nil, fmt.Errorf("inspect tenant state at %s: %w", f.Version, err)
		}
		exp := inspect.SchemaOf(realm, adoptScratch)
		exp.Name = fromSchema
		changes, err := drv.SchemaDiff(exp, actual)
		if err != nil {
			return nil, fmt.Errorf("diff schema %q: %w", fromSchema, err)
		}
		// What fromSchema holds beyond the tenant state stays behind.
		changes = slices.DeleteFunc(changes, func(c atlasschema.Change) bool {
			switch c.(type) {
			case *atlasschema.AddTable, *atlasschema.AddObject:
				return true
			}
			return false
		})
		expObjs, err := normalizedObjects(ctx, conn, adoptScratch)
		if err != nil {
			return nil, err
		}
		diffs := append(inspect.Describe(changes), compareObjects(expObjs, actualObjs, false)...)
		if len(diffs) == 0 {
			m := &adoptMatch{version: f.Version}
			for _, t := range exp.Tables {
				m.tables = append(m.tables, t.Name)
			}
			for _, o := range exp.Objects {
				if e, ok := o.(*atlasschema.EnumType); ok {
					m.enums = append(m.enums, e.T)
				}
			}
			for k := range expObjs {
				m.objects = append(m.objects, k)
			}
			best = m
		} else if closestN < 0 || len(diffs) <= closestN {
			closest, closestDiffs, closestN = f.Version, diffs, len(diffs)
		}
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT tenantc_adopt"); err != nil {
		return nil, err
	}
	if best == nil {
		return nil, fmt.Errorf("%w; closest is version %s:\n  %s", ErrNoMatchingVersion, closest, strings.Join(closestDiffs, "\n  "))
	}
	if len(best.tables)+len(best.enums)+len(best.objects) == 0 {
		return nil, fmt.Errorf("version %s has no objects to adopt: %w", best.version, ErrNoMatchingVersion)
	}
	return best, nil
}

// moveObjects creates the tenant schema and moves the matched objects of
// fromSchema into it. Indexes, constraints, triggers and owned sequences
// follow their tables.
func moveObjects(ctx context.Context, c *pgx.Conn, m *adoptMatch, fromSchema, schemaName, shared string) error {
	to := pgx.Identifier{schemaName}.Sanitize()
	stmts := []string{"CREATE SCHEMA " + to}
	for _, t := range m.tables {
		stmts = append(stmts, "ALTER TABLE "+pgx.Identifier{fromSchema, t}.Sanitize()+" SET SCHEMA "+to)
	}
	for _, e := range m.enums {
		stmts = append(stmts, "ALTER TYPE "+pgx.Identifier{fromSchema, e}.Sanitize()+" SET SCHEMA "+to)
	}
	var funcs []string
	for _, k := range m.objects {
		name := pgx.Identifier{fromSchema, k.Name}.Sanitize()
		switch k.Kind {
		case inspect.ObjView:
			stmts = append(stmts, "ALTER VIEW "+name+" SET SCHEMA "+to)
		case inspect.ObjMatView:
			stmts = append(stmts, "ALTER MATERIALIZED VIEW "+name+" SET SCHEMA "+to)
		case inspect.ObjSequence:
			stmts = append(stmts, "ALTER SEQUENCE "+name+" SET SCHEMA "+to)
		case inspect.ObjDomain:
			stmts = append(stmts, "ALTER DOMAIN "+name+" SET SCHEMA "+to)
		case inspect.ObjComposite:
			stmts = append(stmts, "ALTER TYPE "+name+" SET SCHEMA "+to)
		case inspect.ObjFunction:
			funcs = append(funcs, k.Name)
		}
	}
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	if len(funcs) == 0 {
		return nil
	}
	// Every overload moves, and captures the tenant's search_path as a
	// function created by Apply would.
	rows, err := c.Query(ctx, `SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND p.proname = ANY($2) AND p.prokind IN ('f', 'p')`, fromSchema, funcs)
	if err != nil {
		return fmt.Errorf("read functions: %w", err)
	}
	oids, err := pgx.CollectRows(rows, pgx.RowTo[uint32])
	if err != nil {
		return fmt.Errorf("read functions: %w", err)
	}
	for _, oid := range oids {
		var move string
		if err := c.QueryRow(ctx, `SELECT format('ALTER ROUTINE %s SET SCHEMA %I', $1::oid::regprocedure, $2::text)`, oid, schemaName).Scan(&move); err != nil {
			return fmt.Errorf("move function: %w", err)
		}
		if _, err := c.Exec(ctx, move); err != nil {
			return fmt.Errorf("%s: %w", move, err)
		}
		var setPath string
		if err := c.QueryRow(ctx, `SELECT format('ALTER ROUTINE %s SET search_path = %I, %I', $1::oid::regprocedure, $2::text, $3::text)`, oid, schemaName, shared).Scan(&setPath); err != nil {
			return fmt.Errorf("move function: %w", err)
		}
		if _, err := c.Exec(ctx, setPath); err != nil {
			return fmt.Errorf("%s: %w", setPath, err)
		}
	}
	return nil
}

// withPgx runs f on the pgx connection under conn; f must not use conn.
func withPgx(conn *sql.Conn, f func(*pgx.Conn) error) error {
	return conn.Raw(func(dc any) error { return f(dc.(*stdlib.Conn).Conn()) })
}
