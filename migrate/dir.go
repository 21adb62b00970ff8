package migrate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

// dirs are the migration directories of a config.
type dirs struct {
	shared, tenant *atlasmigrate.LocalDir
}

// dirPath returns the path of one migration directory of cfg.
func dirPath(cfg *config.Config, which string) string {
	return filepath.Join(cfg.Abs(cfg.Migrations.Dir), which)
}

// openDirs opens (and with create, makes) both directories.
func openDirs(cfg *config.Config, create bool) (*dirs, error) {
	var d dirs
	for _, which := range []string{SharedDir, TenantDir} {
		p := dirPath(cfg, which)
		if create {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return nil, fmt.Errorf("create migration directory: %w", err)
			}
		} else if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			// A missing directory is an empty one: a project with no
			// tenant objects has no tenant migrations.
			p = ""
		}
		var ld *atlasmigrate.LocalDir
		if p != "" {
			var err error
			if ld, err = atlasmigrate.NewLocalDir(p); err != nil {
				return nil, fmt.Errorf("open migration directory: %w", err)
			}
		}
		if which == SharedDir {
			d.shared = ld
		} else {
			d.tenant = ld
		}
	}
	return &d, nil
}

// readDir validates dir against its atlas.sum and returns its files in
// version order. A nil dir has no files.
func readDir(dir *atlasmigrate.LocalDir) ([]File, error) {
	if dir == nil {
		return nil, nil
	}
	if err := atlasmigrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("validate %s: %w", dir.Path(), err)
	}
	fs, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir.Path(), err)
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
