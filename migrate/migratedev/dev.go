package migratedev

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
)

// scratchTenant is the schema that stands for "a tenant" in a dev database.
// Dev databases are private to one run, so a fixed name cannot collide.
const scratchTenant = "tenantc_dev_tenant"

// devEnv is the dev server that diff, drift and lint replay states on: the
// configured dev_url, or a throwaway local server when it is empty. Every
// state gets a database of its own, so that the shared schema keeps its
// real name and tenant references to shared objects need no rewriting.
type devEnv struct {
	cfg    *pgx.ConnConfig
	server *pgserver.Server
}

func openDev(ctx context.Context, url string) (*devEnv, error) {
	var srv *pgserver.Server
	if url == "" {
		s, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			return nil, fmt.Errorf("start dev database: %w", err)
		}
		srv, url = s, s.URL("postgres")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		if srv != nil {
			srv.Stop()
		}
		return nil, fmt.Errorf("parse dev database url: %w", err)
	}
	return &devEnv{cfg: cfg, server: srv}, nil
}

func (e *devEnv) close() {
	if e.server != nil {
		e.server.Stop()
	}
}

// devDB is one scratch database on the dev server.
type devDB struct {
	env  *devEnv
	name string
	conn *pgx.Conn // for replaying statements (session search_path)
	db   *sql.DB   // for Atlas inspection
	drv  atlasmigrate.Driver
}

func (e *devEnv) create(ctx context.Context) (*devDB, error) {
	admin, err := pgx.ConnectConfig(ctx, e.cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to dev database: %w", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tenantc_dev_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create dev database: %w", err)
	}
	d := &devDB{env: e, name: name}
	cfg := e.cfg.Copy()
	cfg.Database = name
	if d.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
		d.drop(ctx)
		return nil, fmt.Errorf("connect to dev database %s: %w", name, err)
	}
	d.db = stdlib.OpenDB(*cfg.Copy())
	drv, err := postgres.Open(d.db)
	if err != nil {
		d.drop(ctx)
		return nil, fmt.Errorf("open atlas driver: %w", err)
	}
	d.drv = drv
	return d, nil
}

// drop removes the scratch database; errors are ignored because the
// database is throwaway and the run's own result matters more.
func (d *devDB) drop(ctx context.Context) {
	if d.conn != nil {
		d.conn.Close(ctx)
	}
	if d.db != nil {
		d.db.Close()
	}
	admin, err := pgx.ConnectConfig(ctx, d.env.cfg)
	if err != nil {
		return
	}
	defer admin.Close(ctx)
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)")
}

// load creates schemaName (if missing) and runs stmts in it, with the
// search path set to path (schemaName first). A dev database is private to
// the run, so a session-level search_path is safe here.
func (d *devDB) load(ctx context.Context, schemaName string, path []string, stmts []migdir.Stmt) error {
	if _, err := d.conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schemaName}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", schemaName, err)
	}
	if _, err := d.conn.Exec(ctx, "SELECT set_config('search_path', $1, false)", inspect.SearchPath(path...)); err != nil {
		return fmt.Errorf("set search_path: %w", err)
	}
	for _, s := range stmts {
		if _, err := d.conn.Exec(ctx, s.SQL); err != nil {
			return fmt.Errorf("%s: %w", s.Where, err)
		}
	}
	return nil
}

// inspect reads the shared and tenant schemas of the database.
func (d *devDB) inspect(ctx context.Context, schemas ...string) (*atlasschema.Realm, error) {
	r, err := d.drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: schemas})
	if err != nil {
		return nil, fmt.Errorf("inspect dev database: %w", err)
	}
	return r, nil
}
