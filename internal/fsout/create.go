package fsout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ExistError is returned by [Create] when files it would write already
// exist; nothing was written. Test with errors.As.
type ExistError struct {
	Paths []string // existing files, as paths usable from the current directory, sorted
}

func (e *ExistError) Error() string {
	return "refusing to overwrite existing files: " + strings.Join(e.Paths, ", ")
}

// Create writes new files under dir (slash-separated relative path →
// contents), creating directories as needed. When any of them already
// exists it writes nothing and returns an [*ExistError] naming every one.
// It returns the paths it wrote, sorted.
func Create(dir string, files map[string][]byte) ([]string, error) {
	var paths, existing []string
	for _, name := range sortedKeys(files) {
		if name == "" || filepath.IsAbs(name) || !filepath.IsLocal(filepath.FromSlash(name)) {
			return nil, fmt.Errorf("file name %q is not a relative path inside %s", name, dir)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		paths = append(paths, p)
		if _, err := os.Lstat(p); err == nil {
			existing = append(existing, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("checking %s: %w", p, err)
		}
	}
	if len(existing) > 0 {
		return nil, &ExistError{Paths: existing}
	}
	var written []string
	for i, name := range sortedKeys(files) {
		if err := createFile(paths[i], files[name]); err != nil {
			// Undo, so that a second run does not refuse because of a
			// half-written scaffold.
			for _, p := range written {
				os.Remove(p)
			}
			return nil, err
		}
		written = append(written, paths[i])
	}
	return written, nil
}

func createFile(path string, src []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	// O_EXCL: a file created since the check above is not overwritten.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	_, err = f.Write(src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
