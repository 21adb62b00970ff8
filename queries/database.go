package queries

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/pgserver"
)

// analysisDB is the database sqlc analyzes queries with when the config
// asks for database-backed analysis (sqlc's database and analyzer
// settings): a scratch database holding the annotated schema, on the
// server at database.uri, or on a throwaway local server with
// database.managed, as migrate diff uses. PostgreSQL then types each query
// itself (sum(integer) is numeric) and reports what the catalog alone
// would miss.
type analysisDB struct {
	url    string
	drop   func()
	server *pgserver.Server
}

// usesDatabase reports whether cfg asks for database-backed analysis:
// a database is configured and analyzer.database is not false.
func usesDatabase(cfg *config.Config) bool {
	return (cfg.Database.URI != "" || cfg.Database.Managed) && cfg.Analyzer.Database != "false"
}

// openAnalysisDB creates the scratch database and loads schemaFiles into
// it, unqualified as tenantc's DDL is, so that every object is where the
// engine's catalog has it.
func openAnalysisDB(ctx context.Context, cfg *config.Config, schemaFiles []string) (*analysisDB, error) {
	a := &analysisDB{}
	url := os.ExpandEnv(cfg.Database.URI) // sqlc expands ${VAR} too
	if url == "" && !cfg.Database.Managed {
		// pgx would connect to its defaults instead.
		return nil, fmt.Errorf("queries: database.uri %q is empty once expanded: set the variable, or analyzer.database: false", cfg.Database.URI)
	}
	if cfg.Database.Managed {
		srv, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			return nil, fmt.Errorf("queries: starting a database for analysis: %w", err)
		}
		a.server, url = srv, srv.URL("postgres")
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("queries: connecting to database.uri: %w", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tenantc_analyze_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		a.close()
		return nil, fmt.Errorf("queries: creating the analysis database: %w", err)
	}
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("queries: %w", err)
	}
	a.drop = func() {
		// A fresh connection: the caller's context may be done.
		c, err := pgx.ConnectConfig(context.Background(), cc)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	dbcc := cc.Copy()
	dbcc.Database = name
	conn, err := pgx.ConnectConfig(ctx, dbcc)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("queries: connecting to the analysis database: %w", err)
	}
	defer conn.Close(ctx)
	for _, f := range schemaFiles {
		src, err := os.ReadFile(f)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("queries: %w", err)
		}
		// Without arguments pgx sends the file as one simple query, so a
		// file of many statements runs as written.
		if _, err := conn.Exec(ctx, string(src)); err != nil {
			a.close()
			return nil, fmt.Errorf("queries: loading %s into the analysis database: %w", cfg.Rel(f), err)
		}
	}
	a.url = connURL(dbcc)
	return a, nil
}

// close drops the scratch database and stops the throwaway server.
func (a *analysisDB) close() {
	if a.drop != nil {
		a.drop()
		a.drop = nil
	}
	if a.server != nil {
		a.server.Stop()
		a.server = nil
	}
}

// connURL spells a connection config as a URL for sqlc's config.
func connURL(c *pgx.ConnConfig) string {
	var b strings.Builder
	b.WriteString("postgres://")
	if c.User != "" {
		b.WriteString(c.User)
		if c.Password != "" {
			b.WriteString(":" + c.Password)
		}
		b.WriteString("@")
	}
	fmt.Fprintf(&b, "%s:%d/%s?sslmode=disable", c.Host, c.Port, c.Database)
	return b.String()
}
