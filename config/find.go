package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// Find returns the path of the config file that governs directory start:
// start's own tenantc.yaml, or else the nearest one in a parent directory,
// as the go command finds go.mod. The path is relative when start is
// ("../tenantc.yaml"). It returns an error matching [ErrNotFound] when no
// directory up to the root has one.
func Find(start string) (string, error) {
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, FileName)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			if filepath.IsAbs(start) {
				return p, nil
			}
			rel, err := filepath.Rel(abs, p)
			if err != nil {
				return p, nil
			}
			return filepath.Join(start, rel), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s in %s or any parent directory: %w", FileName, start, ErrNotFound)
		}
	}
}
