package migrate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
)

// Hash rewrites the atlas.sum of both migration directories on disk from
// their files, as `atlas migrate hash` does, after a file was written or
// edited by hand. It returns the atlas.sum files it wrote, for the
// directories that exist.
func Hash(cfg *config.Config) ([]string, error) {
	var out []string
	for _, which := range []string{SharedDir, TenantDir} {
		p := migdir.DirPath(cfg, which)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := hashDir(p); err != nil {
			return out, err
		}
		out = append(out, filepath.Join(p, atlasmigrate.HashFileName))
	}
	return out, nil
}

func hashDir(path string) error {
	d, err := atlasmigrate.NewLocalDir(path)
	if err != nil {
		return fmt.Errorf("open migration directory %s: %w", path, err)
	}
	sum, err := d.Checksum()
	if err != nil {
		return fmt.Errorf("hash migration directory %s: %w", path, err)
	}
	if err := atlasmigrate.WriteSumFile(d, sum); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(path, atlasmigrate.HashFileName), err)
	}
	return nil
}

var migrationName = regexp.MustCompile(`^[a-z0-9_]+$`)

// ErrInvalidMigration is returned by [New] for a side other than
// [SharedDir] and [TenantDir], or a name outside [a-z0-9_]+. Test with
// errors.Is.
var ErrInvalidMigration = errors.New("migrate: invalid migration side or name")

// New creates an empty migration file named name in directory side
// ([SharedDir] or [TenantDir]) for a change written by hand, with the next
// version after both directories' latest (as migratedev.Diff numbers its files),
// and rehashes that directory. It returns the file's path.
func New(cfg *config.Config, side, name string) (string, error) {
	if side != SharedDir && side != TenantDir {
		return "", fmt.Errorf("migration side %q: want %s or %s: %w", side, SharedDir, TenantDir, ErrInvalidMigration)
	}
	if !migrationName.MatchString(name) {
		return "", fmt.Errorf("migration name %q: use lower-case letters, digits and _: %w", name, ErrInvalidMigration)
	}
	// The latest versions are read without checking atlas.sum: an edited
	// directory must not stop a new file from being numbered.
	var latest [][]migdir.File
	for _, which := range []string{SharedDir, TenantDir} {
		p := migdir.DirPath(cfg, which)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		files, err := migdir.Unchecked(p)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", cfg.Rel(p), err)
		}
		var fs []migdir.File
		for _, f := range files {
			fs = append(fs, migdir.File{Version: f.Version(), Name: f.Name()})
		}
		latest = append(latest, fs)
	}
	dir := migdir.DirPath(cfg, side)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create migration directory: %w", err)
	}
	path := filepath.Join(dir, migdir.NextVersion(time.Now(), latest...)+"_"+name+".sql")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("create migration file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("create migration file: %w", err)
	}
	if err := hashDir(dir); err != nil {
		return "", err
	}
	return path, nil
}
