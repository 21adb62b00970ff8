package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/tenancy"
)

// Seed sizes. The P1 tenant and public hold singleItems items; every fleet
// tenant holds fleetItems, each noted with its tenant's id so that a row
// read for the wrong tenant is caught.
const (
	singleTenant = "bench"
	singleItems  = 1000
	fleetItems   = 100
	planRows     = 10
	// loadChunk is the number of tenants created per round trip.
	loadChunk = 50
)

// harness holds what the scenarios share: the server, the fleet database
// and the rows printed at the end.
type harness struct {
	o        Options
	schemaFS fs.FS
	log      io.Writer
	rows     []Row

	pgVersion, bouncerVersion string

	srv     *pgserver.Server
	bouncer *pgserver.Bouncer
	dbSeq   int

	// fleetURL is the database of P1, P2, P3 and MEM, loaded once.
	fleetURL string
	single   tenancy.Tenant
	tenants  []tenancy.Tenant
	// tuned is the fastest hand-tuned pool variant P2 measured.
	tuned *poolVariant
	// postmaster is the pid of the -fleet-url server's postmaster when it
	// runs on this machine (see cpuTime); 0 when not.
	postmaster int
}

func (h *harness) close() {
	if h.bouncer != nil {
		h.bouncer.Stop()
	}
	if h.srv != nil {
		h.srv.Stop()
	}
}

// server starts PostgreSQL on first use.
func (h *harness) server(ctx context.Context) (*pgserver.Server, error) {
	if h.srv != nil {
		return h.srv, nil
	}
	start := time.Now()
	srv, err := pgserver.Start(ctx, pgserver.Options{
		MaxConnections: 300,
		Settings: map[string]string{
			// Every backend of a 10,000-tenant fleet caches catalog rows
			// and plans for many schemas; keep the data itself in memory.
			"shared_buffers": "512MB",
			// Creating a tenant takes locks on each of its ~80 relations.
			"max_locks_per_transaction": "512",
			// The fleet is loaded faster than autovacuum needs to look.
			"autovacuum": "off",
		},
	})
	if err != nil {
		return nil, err
	}
	h.srv = srv
	conn, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	if err := h.versions(ctx, conn); err != nil {
		return nil, err
	}
	h.logf("PostgreSQL started in %s", time.Since(start).Round(time.Millisecond))
	return srv, nil
}

// versions records the server's and PgBouncer's versions for the table's
// header, from conn.
func (h *harness) versions(ctx context.Context, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) error {
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return err
	}
	h.pgVersion = "PostgreSQL " + strings.Fields(v)[0]
	if major, minor, err := pgserver.PgBouncerVersion(); err == nil {
		h.bouncerVersion = fmt.Sprintf("PgBouncer %d.%d", major, minor)
	} else {
		h.bouncerVersion = "no PgBouncer"
	}
	return nil
}

// newDatabase creates an empty database and returns its URL.
func (h *harness) newDatabase(ctx context.Context, prefix string) (string, error) {
	srv, err := h.server(ctx)
	if err != nil {
		return "", err
	}
	h.dbSeq++
	name := fmt.Sprintf("%s_%d", prefix, h.dbSeq)
	conn, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return srv.URL(name), nil
}

// pgBouncer starts PgBouncer in transaction mode in front of the fleet
// database on first use. Its server pool is as large as the clients, so
// that it does not queue them.
func (h *harness) pgBouncer(ctx context.Context) (string, error) {
	if h.bouncer == nil {
		b, err := pgserver.StartPgBouncer(ctx, h.fleetURL, pgserver.BouncerOptions{DefaultPoolSize: h.o.Clients})
		if err != nil {
			return "", err
		}
		h.bouncer = b
	}
	return h.bouncer.URL(), nil
}

// readSchema returns the concatenated DDL of the schema files whose scope
// is given ("shared": 001, 003; "tenant": 002, 004).
func (h *harness) readSchema(scope string) (string, error) {
	files, err := fs.Glob(h.schemaFS, "schema/*.sql")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, f := range files {
		src, err := fs.ReadFile(h.schemaFS, f)
		if err != nil {
			return "", err
		}
		if strings.Contains(string(src), "tenantc:default "+scope) {
			b.Write(src)
			b.WriteString("\n")
		}
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("no %s schema files", scope)
	}
	return b.String(), nil
}

// fleetID is the id of the i-th fleet tenant.
func fleetID(i int) string { return fmt.Sprintf("t%05d", i) }

// tenantSQL creates a tenant schema with every tenant table, seeds its
// items, one event per item, and registers it.
func tenantSQL(tenantDDL, id string, items int) string {
	s := pgx.Identifier{"tenant_" + id}.Sanitize()
	return fmt.Sprintf(`BEGIN;
CREATE SCHEMA %[1]s;
SET LOCAL search_path TO %[1]s;
%[2]s
INSERT INTO %[1]s.items (plan_id, name, qty, note) SELECT g %% %[3]d + 1, 'item ' || g, g, '%[4]s' FROM generate_series(1, %[5]d) g;
INSERT INTO %[1]s.item_events (item_id, kind) SELECT g, 'created' FROM generate_series(1, %[5]d) g;
INSERT INTO public.tenants (id, schema_name) VALUES ('%[4]s', 'tenant_%[4]s');
COMMIT;
`, s, tenantDDL, planRows, id, items)
}

// fleet loads, once, the database of P1, P2, P3 and MEM: every table in
// public (the sqlc baseline's single schema), the P1 tenant, and
// o.Tenants fleet tenants, each a schema with all the tenant tables.
func (h *harness) fleet(ctx context.Context) error {
	if h.fleetURL != "" {
		return nil
	}
	u := h.o.FleetURL
	if u == "" {
		var err error
		if u, err = h.newDatabase(ctx, "fleet"); err != nil {
			return err
		}
	}
	shared, err := h.readSchema("shared")
	if err != nil {
		return err
	}
	tenant, err := h.readSchema("tenant")
	if err != nil {
		return err
	}
	fleetDDL := tenant
	if h.o.FleetTables == "core" {
		b, err := fs.ReadFile(h.schemaFS, "schema/002_tenant.sql")
		if err != nil {
			return err
		}
		fleetDDL = string(b)
	}
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	if h.o.FleetURL != "" {
		// The fleet's server, not the throwaway one, is what is measured.
		if err := h.versions(ctx, pool); err != nil {
			return err
		}
		h.postmaster = localPostmaster(ctx, pool)
	}
	marker := fmt.Sprintf("%d tenants, %s tables", h.o.Tenants, h.o.FleetTables)
	loaded, err := fleetLoaded(ctx, pool, marker)
	if err != nil {
		return err
	}
	if !loaded {
		if err := h.loadFleet(ctx, pool, shared, tenant, fleetDDL, marker); err != nil {
			return err
		}
	} else if err := freshen(ctx, pool, h.logf); err != nil {
		return fmt.Errorf("freshen the fleet: %w", err)
	}
	reg := tenancy.NewRegistry(pool)
	if h.single, err = reg.Lookup(ctx, singleTenant); err != nil {
		return err
	}
	h.tenants = make([]tenancy.Tenant, h.o.Tenants)
	rows, err := pool.Query(ctx, "SELECT id FROM public.tenants WHERE id <> $1 ORDER BY id", singleTenant)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(ids) != h.o.Tenants {
		return fmt.Errorf("%d fleet tenants registered, want %d", len(ids), h.o.Tenants)
	}
	for i, id := range ids {
		if h.tenants[i], err = reg.Lookup(ctx, id); err != nil {
			return err
		}
	}
	h.fleetURL = u
	h.logf("fleet of %d tenants (%d tables each) ready in %s", h.o.Tenants, strings.Count(fleetDDL, "CREATE TABLE"),
		time.Since(start).Round(time.Second))
	return nil
}

// poolConfig is a pool configuration for url with n connections in mode,
// its statement and description caches holding cache entries (0: pgx's
// default).
func poolConfig(url string, n int, mode pgx.QueryExecMode, cache int) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(n)
	cfg.MinConns = int32(n)
	cfg.ConnConfig.DefaultQueryExecMode = mode
	if cache > 0 {
		cfg.ConnConfig.StatementCacheCapacity = cache
		cfg.ConnConfig.DescriptionCacheCapacity = cache
	}
	return cfg, nil
}

// openPool opens a pool from cfg.
func openPool(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// errWrongTenant marks a call that returned another tenant's row.
var errWrongTenant = errors.New("row of another tenant")

// fleetLoaded says whether the database of pool already holds the fleet
// that marker describes; a database holding anything else is an error.
func fleetLoaded(ctx context.Context, pool *pgxpool.Pool, marker string) (bool, error) {
	var loaded *string
	var marked bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('public.bench_fleet') IS NOT NULL").Scan(&marked); err != nil {
		return false, err
	}
	if marked {
		if err := pool.QueryRow(ctx, "SELECT min(loaded) FROM public.bench_fleet").Scan(&loaded); err != nil {
			return false, err
		}
	}
	if loaded != nil && *loaded == marker {
		return true, nil
	}
	var tables int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").Scan(&tables); err != nil {
		return false, err
	}
	if tables > 0 {
		held := "tables of no fleet"
		if loaded != nil {
			held = "a fleet of " + *loaded
		}
		return false, fmt.Errorf("fleet database holds %s, want %s or an empty database", held, marker)
	}
	return false, nil
}

// freshen returns a reused fleet's tenant tables to the size a load
// leaves them: each tenant table that earlier runs' writes have grown
// past the smallest non-empty table of its name in the fleet (P8's mix
// updates and deletes, most in the first tenants, which its Zipf
// popularity favours) is rewritten without its dead rows and analysed
// again, with progress on logf. Without it, the first tenant's items
// table, which P2 and P8 take as their one tenant, had grown to 216 pages
// of 100 live rows after a few runs of P8, and the planner gave it an
// index scan where every other tenant's one-page table got a sequential
// scan: the baseline ran another plan than the fleet, which a fresh
// fleet never does (P2 checks, see samePlan).
func freshen(ctx context.Context, pool *pgxpool.Pool, logf func(string, ...any)) error {
	rows, err := pool.Query(ctx, `WITH t AS (
		SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relname, pg_relation_size(c.oid) AS size
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname LIKE 'tenant\_%' AND c.relkind = 'r')
	SELECT name FROM t JOIN (SELECT relname, min(size) FILTER (WHERE size > 0) AS fresh FROM t GROUP BY relname) f USING (relname)
	WHERE size > fresh ORDER BY name`)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	start := time.Now()
	for i, t := range tables {
		if i%1000 == 0 {
			logf("  fleet: rewriting the tables grown by earlier runs, %d/%d (%s)", i, len(tables), time.Since(start).Round(time.Second))
		}
		if _, err := pool.Exec(ctx, "VACUUM (FULL, ANALYZE) "+t); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	if len(tables) > 0 {
		logf("  fleet: %d tables grown by earlier runs rewritten (%s)", len(tables), time.Since(start).Round(time.Second))
	}
	return nil
}

// loadFleet creates the shared schema, the single tenant and the fleet in
// the database of pool, and marks it loaded.
func (h *harness) loadFleet(ctx context.Context, pool *pgxpool.Pool, shared, tenant, fleetDDL, marker string) error {
	start := time.Now()
	base := shared + tenant + fmt.Sprintf(`
INSERT INTO plans (id, name, price_cents) SELECT g, 'plan ' || g, g * 100 FROM generate_series(1, %[1]d) g;
INSERT INTO currencies (code, name, decimals) VALUES ('EUR', 'Euro', 2), ('USD', 'US dollar', 2), ('JPY', 'Yen', 0);
INSERT INTO items (plan_id, name, qty, note) SELECT g %% %[1]d + 1, 'item ' || g, g, 'public' FROM generate_series(1, %[2]d) g;
`, planRows, singleItems) + tenantSQL(tenant, singleTenant, singleItems) + "ANALYZE;\n"
	if _, err := pool.Exec(ctx, base); err != nil {
		return fmt.Errorf("load base schema: %w", err)
	}
	// Two loaders: the server does the work, and it has few CPUs.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	var mu sync.Mutex
	done := 0
	for lo := 0; lo < h.o.Tenants; lo += loadChunk {
		g.Go(func() error {
			var b strings.Builder
			for i := lo; i < min(lo+loadChunk, h.o.Tenants); i++ {
				b.WriteString(tenantSQL(fleetDDL, fleetID(i), fleetItems))
			}
			if _, err := pool.Exec(gctx, b.String()); err != nil {
				return fmt.Errorf("load tenants %s..: %w", fleetID(lo), err)
			}
			mu.Lock()
			done += min(loadChunk, h.o.Tenants-lo)
			if done%1000 == 0 || done == h.o.Tenants {
				h.logf("  %d/%d tenants loaded (%s)", done, h.o.Tenants, time.Since(start).Round(time.Second))
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Statistics, as autovacuum gives any real database: without them
	// the planner takes each one-page table for ten pages, and which
	// plan a tenant gets would depend on whether autovacuum had reached
	// its tables yet.
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze after load: %w", err)
	}
	h.logf("  fleet analysed (%s)", time.Since(start).Round(time.Second))
	// Flush the load's dirty pages now: a checkpoint running during the
	// first scenario would take its CPU and show up in its cpu/op.
	if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("checkpoint after load: %w", err)
	}
	if h.o.FleetURL == "" {
		return nil
	}
	if _, err := pool.Exec(ctx, "CREATE TABLE bench_fleet (loaded text NOT NULL)"); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, "INSERT INTO bench_fleet VALUES ($1)", marker)
	return err
}
