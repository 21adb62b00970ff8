package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/internal/fsout"
)

type generateOptions struct {
	IO         *streams
	ConfigPath string
	Build      buildFunc
}

func newGenerateCmd(s *streams, runF func(*generateOptions) error) *cobra.Command {
	opts := &generateOptions{IO: s, Build: build}
	cmd := &cobra.Command{
		Use:   "generate [-f tenantc.yaml]",
		Short: "Generate the Go query package",
		Long: `Generate reads tenantc.yaml, loads the annotated schema, analyzes the
queries and writes the Go package to gen.out.

Writing is atomic: when the input has errors, every error is printed as
file:line:col: message and nothing is written, not even gen.out itself.
Files in gen.out that tenantc generated earlier but no longer produces are
removed; files it did not generate are left alone.`,
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
	return cmd
}

func generateRun(ctx context.Context, opts *generateOptions) error {
	log := opts.IO.Logger()
	cfg, files, err := loadAndBuild(ctx, opts.ConfigPath, opts.Build, log)
	if err != nil {
		return err
	}
	out := cfg.Abs(cfg.Gen.Out)
	changes, err := fsout.Write(out, generatedHeader, files)
	if err != nil {
		return fmt.Errorf("writing %s: %w", cfg.Gen.Out, err)
	}
	for _, c := range changes {
		log.Info("wrote", "file", filepath.Join(out, c.Name), "change", c.Kind)
	}
	log.Debug("generate done", "files", len(files), "changed", len(changes))
	return nil
}
