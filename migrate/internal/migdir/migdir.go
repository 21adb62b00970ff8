// Package migdir reads and validates tenantc's two Atlas migration
// directories, on disk or in an fs.FS, for the runtime side of migrate and
// its authoring side alike.
package migdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

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
	// Atlas is the file as Atlas reads it.
	Atlas atlasmigrate.File
}

// DirPath returns the path of one migration directory of cfg.
func DirPath(cfg *config.Config, which string) string {
	return filepath.Join(cfg.Abs(cfg.Migrations.Dir), which)
}

// Read reads and validates both migration directories, in version order:
// from fsys when it is not nil (holding shared/ and tenant/), otherwise
// from migrations.dir on disk. Every reader of the directories (apply,
// status, drift, lint, tenant provisioning) goes through it, so all of them
// read an fs.FS the same way.
func Read(cfg *config.Config, fsys fs.FS) (shared, tenant []File, err error) {
	if shared, err = readSide(cfg, fsys, SharedDir); err != nil {
		return nil, nil, err
	}
	if tenant, err = readSide(cfg, fsys, TenantDir); err != nil {
		return nil, nil, err
	}
	return shared, tenant, nil
}

// Path names file of directory which in messages: relative to the
// config's directory on disk, or its path inside fsys when it is not nil.
func Path(cfg *config.Config, fsys fs.FS, which, file string) string {
	if fsys != nil {
		return path.Join(which, file)
	}
	return cfg.Rel(filepath.Join(DirPath(cfg, which), file))
}

func readSide(cfg *config.Config, fsys fs.FS, which string) ([]File, error) {
	name := ""
	if fsys != nil {
		name = which
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
		p := DirPath(cfg, which)
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
		nf := File{Version: f.Version(), Name: f.Name(), Stmts: stmts, Atlas: f}
		if lf, ok := f.(*atlasmigrate.LocalFile); ok {
			for _, m := range lf.Directive("txmode") {
				nf.NoTx = nf.NoTx || m == "none"
			}
		}
		out = append(out, nf)
	}
	return out, nil
}

// Stmt is a statement to replay, with where it comes from for errors.
type Stmt struct {
	SQL   string
	Where string
}

// Replay flattens files up to and including version (all when "").
func Replay(files []File, version string) []Stmt {
	var out []Stmt
	for _, f := range files {
		if version != "" && f.Version > version {
			break
		}
		for _, s := range f.Stmts {
			out = append(out, Stmt{SQL: s, Where: f.Name})
		}
	}
	return out
}

// NextVersion is now as YYYYMMDDHHMMSS (UTC), or one second after the
// latest existing version when that is not earlier: two new files within one
// second, or a clock behind a teammate's, still get ordered versions.
func NextVersion(now time.Time, dirs ...[]File) string {
	const layout = "20060102150405"
	v := now.UTC()
	for _, fs := range dirs {
		if len(fs) == 0 {
			continue
		}
		latest, err := time.Parse(layout, fs[len(fs)-1].Version)
		if err == nil && !latest.Before(v.Truncate(time.Second)) {
			v = latest.Add(time.Second)
		}
	}
	return v.Format(layout)
}

// Unchecked returns the files of the directory at path without checking
// its atlas.sum, for numbering a new file in a directory edited by hand.
func Unchecked(path string) ([]atlasmigrate.File, error) {
	return (&fsDir{fsys: os.DirFS(path), name: path}).Files()
}
