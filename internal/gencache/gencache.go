// Package gencache lets tenantc generate skip its pipeline when nothing it
// reads has changed since the last successful run and the output directory
// still holds exactly what that run wrote.
//
// Each config gets one small record under the user's cache directory, keyed
// by the config's absolute path, holding the hash of every input and the
// sha256 of every generated file; records are written with
// [fsout.WriteFile], so concurrent runs never read half of one. The cache can
// only skip work, never change output: every failure to read or write it is
// logged at debug level and treated as a miss.
package gencache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/fsout"
)

// Env is the environment variable that disables the cache when set to
// "off".
const Env = "TENANTC_CACHE"

// Cache is the generate cache of one tenantc run.
type Cache struct {
	dir    string // <user cache dir>/tenantc
	header string // first line of a generated file, as fsout takes it
	log    *slog.Logger
}

// genRecord is what a successful generate leaves for the next one.
type genRecord struct {
	Input string          `json:"input"` // hex sha256 of the inputs
	Files []genRecordFile `json:"files"` // sorted by name
}

type genRecordFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// exeRecord remembers the hash of the tenantc executable by its size and
// modification time, so that a build without version information is hashed
// once rather than on every run.
type exeRecord struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mod_time"` // UnixNano
	SHA256  string `json:"sha256"`
}

// New returns the cache under root (os.UserCacheDir), for output files whose
// first line is header, or nil when [Env] disables it or root is unknown.
// The methods of a nil Cache are not to be called.
func New(root func() (string, error), header string, log *slog.Logger) *Cache {
	if root == nil || os.Getenv(Env) == "off" {
		return nil
	}
	dir, err := root()
	if err != nil {
		log.Debug("generate cache disabled", "err", err)
		return nil
	}
	return &Cache{dir: filepath.Join(dir, "tenantc"), header: header, log: log}
}

// recordPath is where the record of the config at cfgPath lives.
func (c *Cache) recordPath(cfgPath string) (string, error) {
	abs, err := filepath.Abs(cfgPath)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(c.dir, "generate", hex.EncodeToString(sum[:])), nil
}

// InputKey hashes everything the pipeline reads: the tenantc build, the
// config file's bytes (cfgSrc, read before cfg was parsed so that the key
// never describes newer input than the pipeline saw) and every schema and
// query file in order with its config-relative path. It returns "" when an
// input cannot be read; the pipeline then reports the problem.
func (c *Cache) InputKey(cfg *config.Config, cfgSrc []byte) string {
	tool, err := c.toolID()
	if err != nil {
		c.log.Debug("generate cache: identifying the tenantc build", "err", err)
		return ""
	}
	h := sha256.New()
	field(h, "tenantc generate cache v1")
	field(h, tool)
	field(h, string(cfgSrc))
	if cfg.Sidecar != "" {
		// The tenantc settings of a sqlc config.
		src, err := os.ReadFile(cfg.Sidecar)
		if err != nil {
			return ""
		}
		field(h, string(src))
	}
	for _, list := range []struct {
		name  string
		files func() ([]string, error)
	}{{"schema", cfg.SchemaFiles}, {"queries", cfg.QueryFiles}} {
		paths, err := list.files()
		if err != nil {
			c.log.Debug("generate cache: listing inputs", "err", err)
			return ""
		}
		field(h, list.name)
		binary.Write(h, binary.BigEndian, uint64(len(paths)))
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				c.log.Debug("generate cache: reading input", "err", err)
				return ""
			}
			field(h, cfg.Rel(p))
			field(h, string(src))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// field writes s length-prefixed, so that no two sequences of fields hash
// alike.
func field(h hash.Hash, s string) {
	binary.Write(h, binary.BigEndian, uint64(len(s)))
	io.WriteString(h, s)
}

// toolID identifies the running tenantc build: its build information when
// that pins the code (a module version with its sum, or a clean VCS
// revision), otherwise the executable's own contents.
func (c *Cache) toolID() (string, error) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		pinned := bi.Main.Version != "" && bi.Main.Version != "(devel)" && bi.Main.Sum != ""
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if pinned || (rev != "" && modified == "false") {
			return "build:" + bi.String(), nil
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	sum, err := c.exeHash(exe)
	if err != nil {
		return "", err
	}
	return "exe:" + sum, nil
}

// exeHash returns the sha256 of the file at exe, reusing the hash recorded
// for the same path, size and modification time.
func (c *Cache) exeHash(exe string) (string, error) {
	fi, err := os.Stat(exe)
	if err != nil {
		return "", err
	}
	key := sha256.Sum256([]byte(exe))
	recPath := filepath.Join(c.dir, "exe", hex.EncodeToString(key[:]))
	var rec exeRecord
	if data, err := os.ReadFile(recPath); err == nil && json.Unmarshal(data, &rec) == nil &&
		rec.Size == fi.Size() && rec.ModTime == fi.ModTime().UnixNano() && rec.SHA256 != "" {
		return rec.SHA256, nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", exe, err)
	}
	rec = exeRecord{Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), SHA256: hex.EncodeToString(h.Sum(nil))}
	if err := writeRecord(recPath, rec); err != nil {
		c.log.Debug("generate cache: recording the executable's hash", "err", err)
	}
	return rec.SHA256, nil
}

// Current reports whether the record for cfgPath has input key and out
// holds exactly the files it lists, with their contents, and no other file
// tenantc generated.
func (c *Cache) Current(cfgPath, key, out string) bool {
	recPath, err := c.recordPath(cfgPath)
	if err != nil {
		c.log.Debug("generate cache: locating the record", "err", err)
		return false
	}
	data, err := os.ReadFile(recPath)
	if err != nil {
		c.log.Debug("generate cache: reading the record", "err", err)
		return false
	}
	var rec genRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		c.log.Debug("generate cache: decoding the record", "path", recPath, "err", err)
		return false
	}
	if rec.Input != key {
		c.log.Debug("generate cache: inputs changed")
		return false
	}
	owned, err := fsout.Generated(out, c.header)
	if err != nil {
		c.log.Debug("generate cache: listing the output", "err", err)
		return false
	}
	names := make([]string, len(rec.Files))
	for i, f := range rec.Files {
		names[i] = f.Name
	}
	slices.Sort(names)
	if !slices.Equal(names, owned) {
		c.log.Debug("generate cache: generated files added or removed", "recorded", len(names), "found", len(owned))
		return false
	}
	for _, f := range rec.Files {
		src, err := os.ReadFile(filepath.Join(out, f.Name))
		if err != nil {
			c.log.Debug("generate cache: reading the output", "err", err)
			return false
		}
		if sum := sha256.Sum256(src); hex.EncodeToString(sum[:]) != f.SHA256 {
			c.log.Debug("generate cache: output changed", "file", f.Name)
			return false
		}
	}
	return true
}

// Store records that input key produced files, which are now in gen.out.
func (c *Cache) Store(cfgPath, key string, files map[string][]byte) {
	rec := genRecord{Input: key, Files: make([]genRecordFile, 0, len(files))}
	for name, src := range files {
		sum := sha256.Sum256(src)
		rec.Files = append(rec.Files, genRecordFile{Name: name, SHA256: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(rec.Files, func(a, b genRecordFile) int { return strings.Compare(a.Name, b.Name) })
	recPath, err := c.recordPath(cfgPath)
	if err == nil {
		err = writeRecord(recPath, rec)
	}
	if err != nil {
		c.log.Debug("generate cache: writing the record", "err", err)
	}
}

// writeRecord writes v as JSON to path with [fsout.WriteFile].
func writeRecord(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return fsout.WriteFile(path, data)
}
