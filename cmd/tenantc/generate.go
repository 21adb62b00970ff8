package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/internal/fsout"
	"github.com/tenantc/tenantc/internal/gencache"
)

type generateOptions struct {
	IO         *streams
	ConfigPath string
	Build      buildFunc
	// Force runs the pipeline even when the cache says gen.out is current.
	Force bool
	// CacheDir returns the user cache directory (os.UserCacheDir); nil
	// disables the cache.
	CacheDir func() (string, error)
}

func newGenerateCmd(s *streams, runF func(*generateOptions) error) *cobra.Command {
	opts := &generateOptions{IO: s, Build: build, CacheDir: os.UserCacheDir}
	cmd := &cobra.Command{
		Use:   "generate [-f tenantc.yaml]",
		Short: "Generate the Go query package",
		Long: `Generate reads tenantc.yaml, loads the annotated schema, analyzes the
queries and writes the Go package to gen.out.

Writing is atomic: when the input has errors, every error is printed as
file:line:col: message and nothing is written, not even gen.out itself.
Files in gen.out that tenantc generated earlier but no longer produces are
removed; files it did not generate are left alone.

When neither tenantc, tenantc.yaml nor any schema or query file changed
since the last successful generate, and gen.out still holds exactly what it
wrote, generate returns at once without redoing the work. --force, or
TENANTC_CACHE=off in the environment, always runs it.`,
		Example: `  tenantc generate
  tenantc generate -f services/billing/tenantc.yaml

  # in a Go file of the project:
  //go:generate go run github.com/tenantc/tenantc/cmd/tenantc generate`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return generateRun(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.ConfigPath)
	cmd.Flags().BoolVar(&opts.Force, "force", false, "regenerate even when nothing changed")
	return cmd
}

func generateRun(ctx context.Context, opts *generateOptions) error {
	log := opts.IO.Logger()
	opts.ConfigPath = configPath(opts.ConfigPath)
	// --force skips the cache check but still records the run.
	cache := gencache.New(opts.CacheDir, generatedHeader, log)
	// The config's bytes are read for the cache key before config.Load
	// reads them again, so that the key never describes newer input than
	// the pipeline used.
	var cfgSrc []byte
	if cache != nil {
		var err error
		if cfgSrc, err = os.ReadFile(opts.ConfigPath); err != nil {
			cache = nil
		}
	}
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	log.Debug("config loaded", "path", opts.ConfigPath, "out", cfg.Gen.Out)
	out := cfg.Abs(cfg.Gen.Out)
	var key string
	if cache != nil {
		if key = cache.InputKey(cfg, cfgSrc); key != "" && !opts.Force && cache.Current(opts.ConfigPath, key, out) {
			log.Debug("generate cache hit: nothing changed")
			fmt.Fprintf(opts.IO.Out, "%s is up to date: no input changed since the last generate\n", cfg.Gen.Out)
			return nil
		}
	}
	files, err := opts.Build(ctx, cfg, log)
	if err != nil {
		return err
	}
	changes, err := fsout.Write(out, generatedHeader, files)
	if err != nil {
		return fmt.Errorf("writing %s: %w", cfg.Gen.Out, err)
	}
	for _, c := range changes {
		log.Info("wrote", "file", filepath.Join(out, c.Name), "change", c.Kind)
	}
	if key != "" {
		cache.Store(opts.ConfigPath, key, files)
	}
	log.Debug("generate done", "files", len(files), "changed", len(changes))
	fmt.Fprintf(opts.IO.Out, "generated %s: %d files, %d changed\n", cfg.Gen.Out, len(files), len(changes))
	return nil
}
