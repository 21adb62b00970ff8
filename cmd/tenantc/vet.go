package main

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/fsout"
	"github.com/tenantc/tenantc/vet"
)

type vetOptions struct {
	IO         *streams
	ConfigPath string
	Format     string
	Strict     bool
	Packages   []string
	Build      buildFunc
}

func newVetCmd(s *streams) *cobra.Command {
	return newVetCmdWith(s, nil)
}

// newVetCmdWith is newVetCmd with the run function replaceable, so tests
// can check flag parsing without running the checks.
func newVetCmdWith(s *streams, runF func(*vetOptions) error) *cobra.Command {
	opts := &vetOptions{IO: s, Build: build}
	cmd := &cobra.Command{
		Use:   "vet [-f tenantc.yaml] [--format text|json|github|sarif] [--strict] [packages]",
		Short: "Report SQL and Go code that bypasses tenant scoping",
		Long: `Vet checks the project for anything that could run SQL outside a
tenant's schema, and prints one finding per line on stdout:

  file:line:col: message (rule)

SQL checks: everything generate rejects, generated code that is out of
date (as tenantc diff), tenant tables without a primary key, SECURITY
DEFINER tenant functions, and tenant functions whose search_path or
EXECUTE can leave their schema.

Go checks: SQL passed to pgx, database/sql or any method with their
signature (a DBTX interface, tenancy.Conn), including the statements of DO
blocks, that names a tenant table, view, type, sequence or function, or
changes search_path; write one-off tenant SQL with tenancy.ParseSQL.
Packages are patterns as for go vet, resolved in the config's directory
(default ./...). A finding is suppressed by a comment on its line or the
line above its statement, which must give a reason and covers one SQL
argument:

  //tenantc:ignore the nightly report reads every tenant on purpose

Warnings (SQL built at run time whose table tenantc cannot see) fail the
run only with --strict. Exit status: 0 clean, 1 findings, 2 usage or
config error.`,
		Example: `  tenantc vet
  tenantc vet ./internal/... ./cmd/...
  tenantc vet --format github     # annotations in GitHub Actions
  tenantc vet --format sarif > tenantc.sarif`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Packages = args
			if _, err := vet.ParseFormat(opts.Format); err != nil {
				return &usageError{cmd: cmd.CommandPath(), err: err}
			}
			if runF != nil {
				return runF(opts)
			}
			return vetRun(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.ConfigPath)
	cmd.Flags().StringVar(&opts.Format, "format", string(vet.Text), "output `format`: text, json, github or sarif")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "fail on warnings too")
	return cmd
}

func vetRun(ctx context.Context, opts *vetOptions) error {
	log := opts.IO.Logger()
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	format, err := vet.ParseFormat(opts.Format)
	if err != nil {
		return err
	}
	pkgs := opts.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	findings, err := vet.Run(ctx, cfg, vet.Options{
		Packages: pkgs,
		Dir:      cfg.Dir,
		Stale: func(ctx context.Context, cfg *config.Config) ([]string, error) {
			return staleFiles(ctx, cfg, opts.Build, opts)
		},
	})
	if err != nil {
		return err
	}
	if err := vet.Write(opts.IO.Out, format, findings); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	log.Debug("vet done", "findings", len(findings))
	if vet.Failed(findings, opts.Strict) {
		return errSilent
	}
	return nil
}

// staleFiles runs the generate pipeline and lists the files of gen.out
// that tenantc diff would show, relative to the config's directory.
func staleFiles(ctx context.Context, cfg *config.Config, b buildFunc, opts *vetOptions) ([]string, error) {
	files, err := b(ctx, cfg, opts.IO.Logger())
	if err != nil {
		return nil, err
	}
	changes, err := fsout.Changes(cfg.Abs(cfg.Gen.Out), generatedHeader, files)
	if err != nil {
		return nil, fmt.Errorf("comparing with %s: %w", cfg.Gen.Out, err)
	}
	out := path.Clean(strings.ReplaceAll(cfg.Gen.Out, `\`, "/"))
	names := make([]string, 0, len(changes))
	for _, c := range changes {
		names = append(names, path.Join(out, c.Name))
	}
	return names, nil
}
