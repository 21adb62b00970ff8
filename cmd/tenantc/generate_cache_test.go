package main

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/gencache"
)

// cachedProject is a project with a generate whose pipeline is counted and
// whose cache lives in a directory of the test's own.
type cachedProject struct {
	t        *testing.T
	cfgPath  string
	out      string
	cacheDir string
	files    map[string]string // what the pipeline produces
	runs     int               // pipeline calls
}

func newCachedProject(t *testing.T) *cachedProject {
	t.Setenv(gencache.Env, "")
	cfgPath := project(t, "version: \"1\"\n")
	return &cachedProject{
		t:        t,
		cfgPath:  cfgPath,
		out:      filepath.Join(filepath.Dir(cfgPath), "internal", "db"),
		cacheDir: t.TempDir(),
		files:    map[string]string{"db.go": genFile("// db\n"), "queries.sql.go": genFile("// queries\n")},
	}
}

// generate runs generate and returns whether the pipeline ran.
func (p *cachedProject) generate(force bool) bool {
	p.t.Helper()
	before := p.runs
	count := func(ctx context.Context, cfg *config.Config, log *slog.Logger) (map[string][]byte, error) {
		p.runs++
		return fakeBuild(p.files, nil)(ctx, cfg, log)
	}
	s := testStreams()
	s.Verbose = true
	opts := &generateOptions{
		IO: s, ConfigPath: p.cfgPath, Build: count, Force: force,
		CacheDir: func() (string, error) { return p.cacheDir, nil },
	}
	if err := generateRun(context.Background(), opts); err != nil {
		p.t.Fatalf("generate: %v\nlog:\n%s", err, s.Err)
	}
	return p.runs > before
}

// checkOutput fails unless gen.out holds exactly the pipeline's files.
func (p *cachedProject) checkOutput() {
	p.t.Helper()
	ents, err := os.ReadDir(p.out)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(ents) != len(p.files) {
		p.t.Errorf("gen.out has %d files, want %d", len(ents), len(p.files))
	}
	for name, want := range p.files {
		got, err := os.ReadFile(filepath.Join(p.out, name))
		if err != nil || string(got) != want {
			p.t.Errorf("%s = %q (err %v), want %q", name, got, err, want)
		}
	}
}

func (p *cachedProject) write(rel, src string) {
	p.t.Helper()
	writeFiles(p.t, filepath.Dir(p.cfgPath), map[string]string{rel: src})
}

func TestGenerateCacheHit(t *testing.T) {
	p := newCachedProject(t)
	if !p.generate(false) {
		t.Fatal("first generate did not run the pipeline")
	}
	p.checkOutput()
	if p.generate(false) {
		t.Error("second generate with nothing changed ran the pipeline")
	}
	p.checkOutput()
	if !p.generate(true) {
		t.Error("generate --force did not run the pipeline")
	}
	// A hand-written file beside the generated ones is not ours to track.
	p.write("internal/db/generate.go", "package db\n")
	if p.generate(false) {
		t.Error("a hand-written file in gen.out made generate run the pipeline")
	}
}

func TestGenerateCacheMiss(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *cachedProject)
	}{
		{"query file changed", func(p *cachedProject) {
			p.write("queries/queries.sql", "-- name: ListPlans :many\nSELECT id FROM plans;\n")
		}},
		{"query file added", func(p *cachedProject) {
			p.write("queries/more.sql", "-- name: CountPlans :one\nSELECT count(*) FROM plans;\n")
		}},
		{"schema file changed", func(p *cachedProject) {
			p.write("schema/schema.sql", "-- tenantc:shared\nCREATE TABLE plans (id int PRIMARY KEY);\n")
		}},
		{"config changed", func(p *cachedProject) {
			p.write("tenantc.yaml", "version: \"1\"\n# a comment\n")
		}},
		{"output edited by hand", func(p *cachedProject) {
			p.write("internal/db/db.go", genFile("// edited\n"))
		}},
		{"output deleted", func(p *cachedProject) {
			if err := os.Remove(filepath.Join(p.out, "queries.sql.go")); err != nil {
				p.t.Fatal(err)
			}
		}},
		{"extra stale generated file", func(p *cachedProject) {
			p.write("internal/db/old.sql.go", genFile("// old\n"))
		}},
		{"record corrupt", func(p *cachedProject) {
			corruptRecords(p.t, p.cacheDir)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newCachedProject(t)
			p.generate(false)
			if p.generate(false) {
				t.Fatal("second generate ran the pipeline; the cache does not work at all")
			}
			tt.change(p)
			if !p.generate(false) {
				t.Fatal("generate after the change did not run the pipeline")
			}
			p.checkOutput()
			if p.generate(false) {
				t.Error("generate right after the re-run ran the pipeline again")
			}
		})
	}
}

func TestGenerateCacheOff(t *testing.T) {
	p := newCachedProject(t)
	t.Setenv(gencache.Env, "off")
	p.generate(false)
	if !p.generate(false) {
		t.Errorf("with %s=off the second generate skipped the pipeline", gencache.Env)
	}
	if ents, err := os.ReadDir(p.cacheDir); err != nil || len(ents) != 0 {
		t.Errorf("with %s=off the cache directory holds %d entries (err %v)", gencache.Env, len(ents), err)
	}
}

func TestGenerateUnusableCacheDir(t *testing.T) {
	for _, tt := range []struct {
		name string
		dir  func(t *testing.T) (string, error)
	}{
		{"not a directory", func(t *testing.T) (string, error) {
			// A regular file where the directory should be: root ignores
			// permissions, this fails for everyone.
			f := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(f, "cache"), nil
		}},
		{"unreadable", func(t *testing.T) (string, error) {
			d := t.TempDir()
			if err := os.Chmod(d, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(d, 0o755) })
			return d, nil
		}},
		{"unknown", func(t *testing.T) (string, error) { return "", os.ErrNotExist }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newCachedProject(t)
			dir, err := tt.dir(t)
			for i := range 2 {
				s := testStreams()
				opts := &generateOptions{
					IO: s, ConfigPath: p.cfgPath, Build: fakeBuild(p.files, nil),
					CacheDir: func() (string, error) { return dir, err },
				}
				if err := generateRun(context.Background(), opts); err != nil {
					t.Fatalf("generate %d: %v", i+1, err)
				}
				if s.Err.(*bytes.Buffer).Len() != 0 {
					t.Errorf("generate %d printed: %s", i+1, s.Err)
				}
				p.checkOutput()
			}
		})
	}
}

// corruptRecords overwrites every file under the cache directory dir with
// JSON cut short.
func corruptRecords(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		return os.WriteFile(path, []byte("{"), 0o644)
	})
	if err != nil || n == 0 {
		t.Fatalf("corrupting %d cache records: %v", n, err)
	}
}
