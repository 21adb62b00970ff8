package migrate

import (
	"io/fs"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
)

// The two migration directories under migrations.dir.
const (
	SharedDir = migdir.SharedDir
	TenantDir = migdir.TenantDir
)

// File is one migration file of a directory.
type File struct {
	Version string
	Name    string // file name, e.g. 20260101120000_add_orders.sql
	// Stmts are the file's statements as Atlas's lexer splits them.
	Stmts []string
	// NoTx is set by "-- atlas:txmode none": the statements run one by
	// one outside a transaction (CREATE INDEX CONCURRENTLY).
	NoTx bool

	atlas atlasmigrate.File
}

// WithMigrationsFS makes [Apply], [Status] and the tenant operations read
// the migration directories from fsys instead of migrations.dir on disk:
// fsys holds shared/ and tenant/, each an Atlas directory with its
// atlas.sum, which is validated as on disk. With //go:embed an app carries
// its migrations in its binary:
//
//	//go:embed migrations
//	var files embed.FS
//	sub, _ := fs.Sub(files, "migrations")
//	migrate.Apply(ctx, pool, cfg, migrate.WithMigrationsFS(sub))
func WithMigrationsFS(fsys fs.FS) Option { return func(o *options) { o.fsys = fsys } }

// migrationFiles reads and validates both migration directories, in
// version order: from the fs.FS of [WithMigrationsFS] when o has one,
// otherwise from migrations.dir on disk.
func migrationFiles(cfg *config.Config, o *options) (shared, tenant []File, err error) {
	s, t, err := migdir.Read(cfg, o.fsys)
	if err != nil {
		return nil, nil, err
	}
	return files(s), files(t), nil
}

func files(mf []migdir.File) []File {
	out := make([]File, len(mf))
	for i, f := range mf {
		out[i] = File{Version: f.Version, Name: f.Name, Stmts: f.Stmts, NoTx: f.NoTx, atlas: f.Atlas}
	}
	return out
}

// stmt is a statement to replay, with where it comes from for errors.
type stmt struct {
	SQL   string
	Where string
}

// replayStmts flattens files up to and including version (all when "").
func replayStmts(files []File, version string) []stmt {
	var out []stmt
	for _, f := range files {
		if version != "" && f.Version > version {
			break
		}
		for _, s := range f.Stmts {
			out = append(out, stmt{SQL: s, Where: f.Name})
		}
	}
	return out
}
