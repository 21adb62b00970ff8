package migrate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
	"github.com/tenantc/tenantc/tenancy"
)

// ErrTenantExists is returned by [CreateTenant], [AdoptTenant] and
// [RenameTenant] when the tenant id is already registered or its schema
// already exists. Test with errors.Is.
var ErrTenantExists = errors.New("migrate: tenant already exists")

// ErrNoSuchTenant is returned by [DropTenant] and [RenameTenant] when the id
// is not in the registry. Test with errors.Is.
var ErrNoSuchTenant = errors.New("migrate: no such tenant")

// ErrPendingMigrations is returned by [CreateTenant] and [AdoptTenant] when
// the database is not at the migration directories' latest versions: the
// shared schema has pending files, the registry was never created, or (for
// CreateTenant) a registered tenant has not reached the latest tenant
// version. Run [Apply] first. Test with errors.Is.
var ErrPendingMigrations = errors.New("migrate: migrations are pending on the database")

// TenantInfo is a registered tenant: its id, schema, latest applied tenant
// migration version ("" when the tenant directory is empty) and when it was
// registered.
type TenantInfo struct {
	ID     string `json:"id"`
	Schema string `json:"schema"`
	// Server is the tenant's server, from [Servers.ListTenants] and
	// [Servers.CreateTenant]; "" on one server.
	Server    string    `json:"server,omitempty"`
	Version   string    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
}

// WithSchemaName makes [CreateTenant], [AdoptTenant] and [RenameTenant] use
// name as the tenant's schema instead of the config's tenant_schema pattern
// (for RenameTenant: rename the schema too, which it otherwise keeps).
func WithSchemaName(name string) SchemaOption { return func(o *options) { o.schemaName = name } }

// provisionKey is the advisory lock key of one tenant id or schema name,
// taken exclusively by every provisioning transaction that touches it, so
// two creates of the same id queue instead of racing on CREATE SCHEMA.
func provisionKey(shared, kind, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tenantc tenant\x00" + shared + "\x00" + kind + "\x00" + name))
	return int64(h.Sum64())
}

// lockProvision takes, for the rest of tx, the migration lock in shared mode
// (so provisioning waits for a running [Apply], which holds it exclusively,
// while provisioning transactions run side by side) and the exclusive locks
// of the given tenant ids and schema names, in key order so that two
// transactions cannot deadlock.
func lockProvision(ctx context.Context, tx execer, shared string, ids, schemas []string) error {
	var keys []int64
	for _, id := range ids {
		keys = append(keys, provisionKey(shared, "id", id))
	}
	for _, s := range schemas {
		keys = append(keys, provisionKey(shared, "schema", s))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock_shared($1)", lockKey(shared)); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", k); err != nil {
			return fmt.Errorf("take tenant lock: %w", err)
		}
	}
	return nil
}

// provisioner holds what every lifecycle call reads first.
type provisioner struct {
	cfg                      *config.Config
	o                        *options
	sharedFiles, tenantFiles []File
	reg, revs                string // quoted registry and revisions tables
	// fleet is set when [Servers.CreateTenant] checks the fleet's tenants
	// itself, and remote when the database is a server other than the
	// control server, which has no registry.
	fleet, remote bool
}

func newProvisioner[O setter](cfg *config.Config, opts []O) (*provisioner, error) {
	o := newOptions(opts)
	shared, tenant, err := migrationFiles(cfg, o)
	if err != nil {
		return nil, err
	}
	return &provisioner{
		cfg: cfg, o: o, sharedFiles: shared, tenantFiles: tenant,
		reg:  pgx.Identifier{cfg.SharedSchema, cfg.Registry.Table}.Sanitize(),
		revs: pgx.Identifier{cfg.SharedSchema, RevisionsTable}.Sanitize(),
	}, nil
}

// head is the latest tenant version, "" when there is none.
func (p *provisioner) head() string {
	if n := len(p.tenantFiles); n > 0 {
		return p.tenantFiles[n-1].Version
	}
	return ""
}

// schemaFor is the schema a new tenant id gets, validated with the id.
func (p *provisioner) schemaFor(id string) (string, error) {
	if err := tenancy.ValidateTenantID(id); err != nil {
		return "", fmt.Errorf("tenant id %q: %w", id, err)
	}
	s := p.o.schemaName
	if s == "" {
		s = p.cfg.TenantSchemaFor(id)
	}
	if err := checkTenantSchema(p.cfg, s); err != nil {
		return "", err
	}
	return s, nil
}

// ErrUnsafeSchema is returned when a tenant's schema name — given, or read
// from a registry row — is one tenantc must never migrate, rename or drop
// as a tenant's: the shared schema, a system schema (pg_*,
// information_schema, public) or a name outside the schema name contract.
// A registry row naming one is refused on every path (apply, status,
// drift, drop, rename) before any SQL runs in that schema. The error also
// matches [tenancy.ErrInvalidSchemaName]. Test with errors.Is.
var ErrUnsafeSchema = errors.New("migrate: not a tenant schema")

// systemSchemas are the schemas PostgreSQL creates itself, besides pg_*,
// which ValidateSchemaName already refuses.
var systemSchemas = []string{"information_schema", "public"}

func checkTenantSchema(cfg *config.Config, s string) error {
	if err := tenancy.ValidateSchemaName(s); err != nil {
		return fmt.Errorf("tenant schema %q: %w: %w", s, ErrUnsafeSchema, err)
	}
	if s == cfg.SharedSchema {
		return fmt.Errorf("tenant schema %q is the shared schema: %w: %w", s, ErrUnsafeSchema, tenancy.ErrInvalidSchemaName)
	}
	if slices.Contains(systemSchemas, s) {
		return fmt.Errorf("tenant schema %q is a system schema: %w: %w", s, ErrUnsafeSchema, tenancy.ErrInvalidSchemaName)
	}
	return nil
}

// checkRegistrySchema checks the schema a registry row gives tenant id
// before tenantc runs anything in it: the row is data anyone with write
// access to the registry can change.
func checkRegistrySchema(cfg *config.Config, id, s string) error {
	if err := checkTenantSchema(cfg, s); err != nil {
		return fmt.Errorf("registry row of tenant %q: %w", id, err)
	}
	return nil
}

// checkShared refuses when the shared schema or the tables tenantc keeps
// in it are not up to date.
func (p *provisioner) checkShared(ctx context.Context, db querier) error {
	tables := []string{RevisionsTable, p.cfg.Registry.Table}
	if p.remote {
		tables = tables[:1]
	}
	for _, table := range tables {
		ok, err := exists(ctx, db, p.cfg.SharedSchema, table)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("table %s.%s does not exist (run tenantc migrate apply): %w", p.cfg.SharedSchema, table, ErrPendingMigrations)
		}
	}
	applied, err := sharedApplied(ctx, db, p.cfg.SharedSchema)
	if err != nil {
		return err
	}
	if pending := pendingFiles(p.sharedFiles, applied); len(pending) > 0 {
		return fmt.Errorf("shared schema %q has %d pending migrations, first %s (run tenantc migrate apply): %w",
			p.cfg.SharedSchema, len(pending), pending[0].Name, ErrPendingMigrations)
	}
	return nil
}

// checkFleet refuses when a registered tenant has not recorded the latest
// tenant version: a migration is half-applied across the fleet (or failed
// for some tenants), and a new tenant at the latest version would hide
// that. It counts registry rows against revision rows per id instead of
// anti-joining them: the planner cannot estimate `version = $1` on a fleet
// that grew since the last ANALYZE, and its nested-loop anti-join then
// grows with the square of the fleet (27 ms per create at 1,000 tenants),
// while a grouping is linear whatever the statistics (under a millisecond).
func (p *provisioner) checkFleet(ctx context.Context, db querier) error {
	head := p.head()
	if head == "" || p.fleet {
		return nil
	}
	rows, err := db.Query(ctx, `SELECT id FROM (
	SELECT id, 1 AS n FROM `+p.reg+`
	UNION ALL
	SELECT tenant_id, -1 FROM `+p.revs+` WHERE version = $1 AND error IS NULL
) x GROUP BY id HAVING sum(n) > 0 ORDER BY id LIMIT 4`, head)
	if err != nil {
		return fmt.Errorf("check tenant versions: %w", err)
	}
	behind, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check tenant versions: %w", err)
	}
	if len(behind) == 0 {
		return nil
	}
	list := strings.Join(behind[:min(3, len(behind))], ", ")
	if len(behind) > 3 {
		list += " and more"
	}
	return fmt.Errorf("tenants %s are not at tenant version %s (run tenantc migrate apply): %w", list, head, ErrPendingMigrations)
}

// checkFree refuses when the id is registered, or the schema is registered
// or exists.
func (p *provisioner) checkFree(ctx context.Context, db querier, id, schemaName string) error {
	var idTaken, schemaTaken, schemaExists bool
	err := db.QueryRow(ctx, `SELECT
	EXISTS (SELECT 1 FROM `+p.reg+` WHERE id = $1),
	EXISTS (SELECT 1 FROM `+p.reg+` WHERE schema_name = $2),
	EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2)`, id, schemaName).Scan(&idTaken, &schemaTaken, &schemaExists)
	if err != nil {
		return fmt.Errorf("look up tenant %q: %w", id, err)
	}
	switch {
	case idTaken:
		return fmt.Errorf("tenant %q: %w", id, ErrTenantExists)
	case schemaTaken:
		return fmt.Errorf("schema %q belongs to another tenant: %w", schemaName, ErrTenantExists)
	case schemaExists:
		return fmt.Errorf("schema %q already exists: %w", schemaName, ErrTenantExists)
	}
	return nil
}

// register records every version up to and including version for the
// tenant and inserts its registry row.
func (p *provisioner) register(ctx context.Context, tx dbtx, id, schemaName, version string) (time.Time, error) {
	if err := p.recordVersions(ctx, tx, id, version); err != nil {
		return time.Time{}, err
	}
	return p.insertRow(ctx, tx, id, schemaName)
}

// recordVersions records every tenant version up to and including version
// as applied for the tenant.
func (p *provisioner) recordVersions(ctx context.Context, tx dbtx, id, version string) error {
	var vs []string
	for _, f := range p.tenantFiles {
		if f.Version <= version {
			vs = append(vs, f.Version)
		}
	}
	if len(vs) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO `+p.revs+` (tenant_id, version, applied_at, error)
SELECT $1, v, now(), NULL FROM unnest($2::text[]) AS v
ON CONFLICT (tenant_id, version) DO UPDATE SET applied_at = excluded.applied_at, error = NULL`, id, vs)
		if err != nil {
			return fmt.Errorf("record revisions of tenant %q: %w", id, err)
		}
	}
	return nil
}

// insertRow inserts the tenant's registry row and returns its created_at.
func (p *provisioner) insertRow(ctx context.Context, tx dbtx, id, schemaName string) (time.Time, error) {
	insert, args, err := p.registryInsert(id, schemaName)
	if err != nil {
		return time.Time{}, err
	}
	var created time.Time
	err = tx.QueryRow(ctx, insert, args...).Scan(&created)
	if err != nil {
		return time.Time{}, fmt.Errorf("register tenant %q: %w", id, existsError(err, id))
	}
	return created, nil
}

// dbtx is what register needs of a transaction or of the connection
// running one.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// existsError turns a unique violation or duplicate schema into
// ErrTenantExists: the advisory locks serialize tenantc's own callers, so
// this is a writer that bypassed them.
func existsError(err error, id string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P06") {
		return fmt.Errorf("tenant %q: %w: %w", id, ErrTenantExists, err)
	}
	return err
}

// CreateTenant provisions tenant id: in one transaction it creates its
// schema (cfg's tenant_schema pattern, or [WithSchemaName]), brings it to
// the latest tenant version, records every tenant version as applied and
// inserts the registry row. Nothing is created when it fails.
//
// It refuses with [ErrPendingMigrations] when the shared schema has pending
// migrations or a registered tenant is not at the latest tenant version,
// with an error matching [tenancy.ErrInvalidTenantID] or
// [tenancy.ErrInvalidSchemaName] for a bad id or schema name, and with
// [ErrTenantExists] when the id is registered or the schema exists.
//
// The schema is built from a baseline: the DDL that takes an empty schema to
// the latest tenant version, planned once per version with Atlas and kept in
// <shared_schema>.tenantc_baselines, so a signup runs one script whatever
// the length of the migration history (see the package documentation).
// Creates wait for a running [Apply] and run in parallel with each other;
// two creates of the same id run one after the other and the second gets
// ErrTenantExists.
func CreateTenant(ctx context.Context, pool DB, cfg *config.Config, id string, opts ...CreateOption) (TenantInfo, error) {
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return TenantInfo{}, err
	}
	schemaName, err := p.schemaFor(id)
	if err != nil {
		return TenantInfo{}, err
	}
	return p.create(ctx, pool, id, schemaName)
}

// create is [CreateTenant] once the options are read.
func (p *provisioner) create(ctx context.Context, pool DB, id, schemaName string) (TenantInfo, error) {
	cfg := p.cfg
	// Refuse early, before a baseline is built for nothing; the checks run
	// again under the locks.
	if err := p.checkShared(ctx, pool); err != nil {
		return TenantInfo{}, fmt.Errorf("create tenant %q: %w", id, err)
	}
	ddl, err := p.baseline(ctx, pool)
	if err != nil {
		return TenantInfo{}, fmt.Errorf("create tenant %q: %w", id, err)
	}
	info := TenantInfo{ID: id, Schema: schemaName, Version: p.head()}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := lockProvision(ctx, tx, cfg.SharedSchema, []string{id}, []string{schemaName}); err != nil {
			return err
		}
		if err := p.checkShared(ctx, tx); err != nil {
			return err
		}
		if err := p.checkFleet(ctx, tx); err != nil {
			return err
		}
		if err := p.checkFree(ctx, tx, id, schemaName); err != nil {
			return err
		}
		if err := p.build(ctx, tx, id, schemaName, ddl); err != nil {
			return err
		}
		created, err := p.register(ctx, tx, id, schemaName, info.Version)
		info.CreatedAt = created
		return err
	})
	if err != nil {
		return TenantInfo{}, fmt.Errorf("create tenant %q: %w", id, err)
	}
	p.o.log.Debug("tenant created", "tenant", id, "schema", schemaName, "version", info.Version)
	return info, nil
}

// build creates the tenant's schema in tx and runs the baseline ddl in it.
func (p *provisioner) build(ctx context.Context, tx pgx.Tx, id, schemaName, ddl string) error {
	if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schemaName}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %q: %w", schemaName, existsError(err, id))
	}
	if ddl == "" {
		return nil
	}
	// Transaction-local, as in Apply: functions created by the baseline
	// capture it with SET search_path FROM CURRENT.
	if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", inspect.SearchPath(schemaName, p.cfg.SharedSchema)); err != nil {
		return fmt.Errorf("enter schema %q: %w", schemaName, err)
	}
	// One simple-protocol round trip for the whole script.
	if _, err := tx.Exec(ctx, ddl); err != nil {
		return fmt.Errorf("build schema %q at version %s: %w", schemaName, p.head(), err)
	}
	return nil
}

// DropTenant removes tenant id in one transaction: its schema with
// everything in it, its registry row and its revision rows. An id that is
// not registered is [ErrNoSuchTenant]. It waits for a running [Apply].
func DropTenant(ctx context.Context, pool DB, cfg *config.Config, id string, opts ...DropOption) error {
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return err
	}
	if err := tenancy.ValidateTenantID(id); err != nil {
		return fmt.Errorf("tenant id %q: %w", id, err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := lockProvision(ctx, tx, cfg.SharedSchema, []string{id}, nil); err != nil {
			return err
		}
		schemaName, err := p.lookup(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := p.dropSchema(ctx, tx, id, schemaName); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+p.reg+" WHERE id = $1", id); err != nil {
			return fmt.Errorf("delete registry row: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop tenant %q: %w", id, err)
	}
	p.o.log.Debug("tenant dropped", "tenant", id)
	return nil
}

// dropSchema drops the tenant's schema, with everything in it, and its
// revision rows, in tx.
func (p *provisioner) dropSchema(ctx context.Context, tx pgx.Tx, id, schemaName string) error {
	if err := p.checkDroppable(ctx, tx, id, schemaName); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schemaName}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %q: %w", schemaName, err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM "+p.revs+" WHERE tenant_id = $1", id); err != nil {
		return fmt.Errorf("delete revisions: %w", err)
	}
	return nil
}

// checkDroppable refuses to drop or rename a schema that holds tenantc's own
// bookkeeping (the shared schema of this or another configuration): a
// registry row pointing there is not a tenant's schema, whatever its name.
func (p *provisioner) checkDroppable(ctx context.Context, tx pgx.Tx, id, schemaName string) error {
	ok, err := exists(ctx, tx, schemaName, RevisionsTable)
	if err != nil {
		return err
	}
	if ok {
		return sharedSchemaError(id, schemaName)
	}
	return nil
}

func sharedSchemaError(id, schemaName string) error {
	return fmt.Errorf("registry row of tenant %q: schema %q holds %s, so it is a shared schema: %w",
		id, schemaName, RevisionsTable, ErrUnsafeSchema)
}

// lookup returns the schema of a registered tenant, locking its row, or
// ErrNoSuchTenant. A row whose schema is not a tenant's is ErrUnsafeSchema.
func (p *provisioner) lookup(ctx context.Context, tx pgx.Tx, id string) (string, error) {
	for _, table := range []string{p.cfg.Registry.Table, RevisionsTable} {
		ok, err := exists(ctx, tx, p.cfg.SharedSchema, table)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("tenant %q: %w", id, ErrNoSuchTenant)
		}
	}
	var schemaName string
	err := tx.QueryRow(ctx, "SELECT schema_name FROM "+p.reg+" WHERE id = $1 FOR UPDATE", id).Scan(&schemaName)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("tenant %q: %w", id, ErrNoSuchTenant)
	}
	if err != nil {
		return "", fmt.Errorf("look up tenant %q: %w", id, err)
	}
	if err := checkRegistrySchema(p.cfg, id, schemaName); err != nil {
		return "", err
	}
	return schemaName, nil
}

// ListTenants returns the registered tenants by id, each with its latest
// applied tenant version. A database that was never migrated has none.
func ListTenants(ctx context.Context, pool DB, cfg *config.Config, opts ...ListOption) ([]TenantInfo, error) {
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return nil, err
	}
	out := []TenantInfo{}
	for _, table := range []string{p.cfg.Registry.Table, RevisionsTable} {
		ok, err := exists(ctx, pool, cfg.SharedSchema, table)
		if err != nil || !ok {
			return out, err
		}
	}
	rows, err := pool.Query(ctx, `SELECT t.id, t.schema_name, t.created_at,
	coalesce(max(r.version) FILTER (WHERE r.error IS NULL), '')
FROM `+p.reg+` t LEFT JOIN `+p.revs+` r ON r.tenant_id = t.id
GROUP BY t.id, t.schema_name, t.created_at ORDER BY t.id`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TenantInfo
		if err := rows.Scan(&t.ID, &t.Schema, &t.CreatedAt, &t.Version); err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// RenameTenant changes a tenant's id, and with [WithSchemaName] its schema
// too (ALTER SCHEMA ... RENAME), in one transaction: the registry row and
// the revision rows follow, and the tenant's functions that captured the
// old schema in their search_path get the new one. Without WithSchemaName
// the schema keeps its name: the registry's schema_name, not the pattern,
// says where a tenant lives. An unknown oldID is [ErrNoSuchTenant]; a
// registered newID or an existing schema is [ErrTenantExists].
func RenameTenant(ctx context.Context, pool DB, cfg *config.Config, oldID, newID string, opts ...RenameOption) (TenantInfo, error) {
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return TenantInfo{}, err
	}
	for _, id := range []string{oldID, newID} {
		if err := tenancy.ValidateTenantID(id); err != nil {
			return TenantInfo{}, fmt.Errorf("tenant id %q: %w", id, err)
		}
	}
	newSchema := p.o.schemaName
	if newSchema != "" {
		if err := checkTenantSchema(cfg, newSchema); err != nil {
			return TenantInfo{}, err
		}
	}
	info := TenantInfo{ID: newID}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		schemas := []string{}
		if newSchema != "" {
			schemas = append(schemas, newSchema)
		}
		if err := lockProvision(ctx, tx, cfg.SharedSchema, []string{oldID, newID}, schemas); err != nil {
			return err
		}
		oldSchema, err := p.lookup(ctx, tx, oldID)
		if err != nil {
			return err
		}
		if err := p.checkDroppable(ctx, tx, oldID, oldSchema); err != nil {
			return err
		}
		if newSchema == "" {
			newSchema = oldSchema
		}
		if newID == oldID && newSchema == oldSchema {
			return fmt.Errorf("tenant %q already has that id and schema: %w", oldID, ErrTenantExists)
		}
		var idTaken, schemaTaken bool
		err = tx.QueryRow(ctx, `SELECT
	EXISTS (SELECT 1 FROM `+p.reg+` WHERE id = $1 AND id <> $3),
	$2 <> $4 AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2)`, newID, newSchema, oldID, oldSchema).Scan(&idTaken, &schemaTaken)
		if err != nil {
			return fmt.Errorf("look up tenant %q: %w", newID, err)
		}
		if idTaken {
			return fmt.Errorf("tenant %q: %w", newID, ErrTenantExists)
		}
		if schemaTaken {
			return fmt.Errorf("schema %q already exists: %w", newSchema, ErrTenantExists)
		}
		if newSchema != oldSchema {
			if _, err := tx.Exec(ctx, "ALTER SCHEMA "+pgx.Identifier{oldSchema}.Sanitize()+" RENAME TO "+pgx.Identifier{newSchema}.Sanitize()); err != nil {
				return fmt.Errorf("rename schema %q: %w", oldSchema, existsError(err, newID))
			}
			if err := repointFunctions(ctx, tx, oldSchema, newSchema); err != nil {
				return err
			}
		}
		err = tx.QueryRow(ctx, "UPDATE "+p.reg+" SET id = $2, schema_name = $3 WHERE id = $1 RETURNING created_at",
			oldID, newID, newSchema).Scan(&info.CreatedAt)
		if err != nil {
			return fmt.Errorf("update registry row: %w", existsError(err, newID))
		}
		if _, err := tx.Exec(ctx, "UPDATE "+p.revs+" SET tenant_id = $2 WHERE tenant_id = $1", oldID, newID); err != nil {
			return fmt.Errorf("update revisions: %w", err)
		}
		return tx.QueryRow(ctx, "SELECT coalesce(max(version) FILTER (WHERE error IS NULL), '') FROM "+p.revs+" WHERE tenant_id = $1", newID).Scan(&info.Version)
	})
	if err != nil {
		return TenantInfo{}, fmt.Errorf("rename tenant %q: %w", oldID, err)
	}
	info.Schema = newSchema
	return info, nil
}

// repointFunctions rewrites the search_path setting of the functions in
// schema to that renamed from oldSchema: SET search_path FROM CURRENT
// stored the old name, which would now resolve nothing (or, worse, a
// schema created later under that name).
func repointFunctions(ctx context.Context, tx pgx.Tx, oldSchema, newSchema string) error {
	rows, err := tx.Query(ctx, `SELECT p.oid::regprocedure::text, substr(c, length('search_path=') + 1)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, unnest(p.proconfig) AS c
WHERE n.nspname = $1 AND c LIKE 'search_path=%'`, newSchema)
	if err != nil {
		return fmt.Errorf("read functions of schema %q: %w", newSchema, err)
	}
	type fn struct{ sig, path string }
	fns, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fn, error) {
		var f fn
		err := r.Scan(&f.sig, &f.path)
		return f, err
	})
	if err != nil {
		return fmt.Errorf("read functions of schema %q: %w", newSchema, err)
	}
	for _, f := range fns {
		parts := strings.Split(f.path, ",")
		changed := false
		for i, part := range parts {
			name := strings.TrimSpace(part)
			if strings.Trim(name, `"`) == oldSchema {
				parts[i] = pgx.Identifier{newSchema}.Sanitize()
				changed = true
			} else {
				parts[i] = name
			}
		}
		if !changed {
			continue
		}
		if _, err := tx.Exec(ctx, "ALTER ROUTINE "+f.sig+" SET search_path = "+strings.Join(parts, ", ")); err != nil {
			return fmt.Errorf("repoint function %s: %w", f.sig, err)
		}
	}
	return nil
}
