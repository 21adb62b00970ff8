package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/tenantc/tenantc/config"
)

// The two migration directories under migrations.dir.
const (
	SharedDir = "shared"
	TenantDir = "tenant"
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

// WithMigrationsFS makes [Apply], [Status], [Drift] and [Lint] read the
// migration directories from fsys instead of migrations.dir on disk: fsys
// holds shared/ and tenant/, each an Atlas directory with its atlas.sum,
// which is validated as on disk. With //go:embed an app carries its
// migrations in its binary:
//
//	//go:embed migrations
//	var files embed.FS
//	sub, _ := fs.Sub(files, "migrations")
//	migrate.Apply(ctx, pool, cfg, migrate.WithMigrationsFS(sub))
//
// [Diff] ignores it: it writes the directories on disk.
func WithMigrationsFS(fsys fs.FS) Option { return func(o *options) { o.fsys = fsys } }

// dirs are the migration directories of a config, for writing.
type dirs struct {
	shared, tenant *atlasmigrate.LocalDir
}

// dirPath returns the path of one migration directory of cfg.
func dirPath(cfg *config.Config, which string) string {
	return filepath.Join(cfg.Abs(cfg.Migrations.Dir), which)
}

// openDirs makes both directories on disk and opens them for [Diff] to
// write into.
func openDirs(cfg *config.Config) (*dirs, error) {
	var d dirs
	for _, which := range []string{SharedDir, TenantDir} {
		p := dirPath(cfg, which)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("create migration directory: %w", err)
		}
		ld, err := atlasmigrate.NewLocalDir(p)
		if err != nil {
			return nil, fmt.Errorf("open migration directory: %w", err)
		}
		if which == SharedDir {
			d.shared = ld
		} else {
			d.tenant = ld
		}
	}
	return &d, nil
}

// migrationFiles reads and validates both migration directories, in
// version order: from the fs.FS of [WithMigrationsFS] when o has one,
// otherwise from migrations.dir on disk (o may be nil). Every reader of the
// directories (Apply, Status, Drift, Lint, tenant provisioning) goes
// through it, so all of them honour the option.
func migrationFiles(cfg *config.Config, o *options) (shared, tenant []File, err error) {
	if shared, err = readSide(cfg, o, SharedDir); err != nil {
		return nil, nil, err
	}
	if tenant, err = readSide(cfg, o, TenantDir); err != nil {
		return nil, nil, err
	}
	return shared, tenant, nil
}

// migrationPath names file of directory which in messages: relative to
// the config's directory on disk, or its path inside the fs.FS.
func migrationPath(cfg *config.Config, o *options, which, file string) string {
	if o != nil && o.fsys != nil {
		return path.Join(which, file)
	}
	return cfg.Rel(filepath.Join(dirPath(cfg, which), file))
}

func readSide(cfg *config.Config, o *options, which string) ([]File, error) {
	fsys, name := fs.FS(nil), ""
	if o != nil && o.fsys != nil {
		fsys, name = o.fsys, which
		if _, err := fs.Stat(fsys, which); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				// A missing directory is an empty one: a project with no
				// tenant objects has no tenant migrations.
				return nil, nil
			}
			return nil, fmt.Errorf("open migration directory %s: %w", which, err)
		}
		sub, err := fs.Sub(fsys, which)
		if err != nil {
			return nil, fmt.Errorf("open migration directory %s: %w", which, err)
		}
		fsys = sub
	} else {
		p := dirPath(cfg, which)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		fsys, name = os.DirFS(p), cfg.Rel(p)
	}
	return readDir(&fsDir{fsys: fsys, name: name})
}

// fsDir is a read-only Atlas directory over an fs.FS, so that directories
// on disk and embedded ones are read and validated the same way.
type fsDir struct {
	fsys fs.FS
	name string // for messages
}

var _ atlasmigrate.Dir = (*fsDir)(nil)

func (d *fsDir) Open(name string) (fs.File, error) { return d.fsys.Open(name) }

func (d *fsDir) WriteFile(string, []byte) error {
	return fmt.Errorf("migration directory %s is read-only", d.name)
}

// Files returns the .sql files sorted by name, as Atlas's LocalDir does.
func (d *fsDir) Files() ([]atlasmigrate.File, error) {
	names, err := fs.Glob(d.fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]atlasmigrate.File, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(d.fsys, n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		out = append(out, atlasmigrate.NewLocalFile(n, b))
	}
	return out, nil
}

func (d *fsDir) Checksum() (atlasmigrate.HashFile, error) {
	files, err := d.Files()
	if err != nil {
		return nil, err
	}
	return atlasmigrate.NewHashFile(files)
}

// readDir validates dir against its atlas.sum and returns its files in
// version order.
func readDir(dir *fsDir) ([]File, error) {
	if err := atlasmigrate.Validate(dir); err != nil {
		if errors.Is(err, atlasmigrate.ErrChecksumMismatch) || errors.Is(err, atlasmigrate.ErrChecksumNotFound) {
			// A file added or edited by hand: say how to accept it.
			return nil, fmt.Errorf("validate %s: %w (after adding or editing a file by hand, run tenantc migrate hash)", dir.name, err)
		}
		return nil, fmt.Errorf("validate %s: %w", dir.name, err)
	}
	fs, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir.name, err)
	}
	out := make([]File, 0, len(fs))
	for _, f := range fs {
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Name(), err)
		}
		nf := File{Version: f.Version(), Name: f.Name(), Stmts: stmts, atlas: f}
		if lf, ok := f.(*atlasmigrate.LocalFile); ok {
			for _, m := range lf.Directive("txmode") {
				nf.NoTx = nf.NoTx || m == "none"
			}
		}
		out = append(out, nf)
	}
	return out, nil
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
