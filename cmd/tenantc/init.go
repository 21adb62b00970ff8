package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/fsout"
	"github.com/tenantc/tenantc/templates"
)

type initOptions struct {
	IO      *streams
	Dir     string
	Package string
	From    string // a sqlc config to convert
}

func newInitCmd(s *streams, runF func(*initOptions) error) *cobra.Command {
	opts := &initOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "init [--dir DIR] [--package NAME]",
		Short: "Scaffold tenantc.yaml, a schema, queries and a go:generate line",
		Long: `Init writes a starting point for a tenantc project into --dir:

  tenantc.yaml                     every config key, with comments
  schema/schema.sql                annotated DDL: a shared and two tenant objects
  queries/queries.sql              example queries in sqlc syntax
  internal/PACKAGE/generate.go     //go:generate line running tenantc generate

--package names the generated Go package (gen.package) and its directory
(gen.out is internal/PACKAGE). Init never overwrites a file: when any of
them exists it lists them, writes nothing and exits 1.`,
		Example: `  tenantc init
  tenantc init --dir services/billing --package billingdb
  go generate ./...
  # from a sqlc project: tenantc.yaml beside sqlc.yaml, with the same settings
  tenantc init --from sqlc.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", ".", "`directory` to scaffold the project in")
	cmd.Flags().StringVar(&opts.Package, "package", "db", "Go package `name` of the generated code")
	cmd.Flags().StringVar(&opts.From, "from", "", "write tenantc.yaml from the sqlc `config` (sqlc.yaml or sqlc.json, with its tenantc block or sidecar) beside it")
	return cmd
}

func initRun(opts *initOptions) error {
	if opts.From != "" {
		return initFromSQLC(opts)
	}
	files, err := templates.Init(templates.InitData{Package: opts.Package})
	if err != nil {
		return &usageError{cmd: "tenantc init", err: fmt.Errorf("--package: %w", err)}
	}
	written, err := fsout.Create(opts.Dir, files)
	var exist *fsout.ExistError
	if errors.As(err, &exist) {
		fmt.Fprintln(opts.IO.Err, "tenantc: init would overwrite existing files; nothing was written:")
		for _, p := range exist.Paths {
			fmt.Fprintln(opts.IO.Err, "\t"+p)
		}
		return errSilent
	}
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	for _, p := range written {
		fmt.Fprintln(opts.IO.Out, "created", p)
	}
	if !inModule(opts.Dir) {
		fmt.Fprintf(opts.IO.Err, "tenantc: warning: no go.mod in %s or a parent directory: the generated package needs a module (run go mod init, then go get github.com/tenantc/tenantc)\n", opts.Dir)
	}
	return nil
}

// initFromSQLC writes the tenantc.yaml equivalent to a sqlc config beside
// it, where the config's relative paths keep their meaning.
func initFromSQLC(opts *initOptions) error {
	src, err := config.FromSQLC(opts.From)
	if err != nil {
		return err
	}
	dir := filepath.Dir(opts.From)
	written, err := fsout.Create(dir, map[string][]byte{config.FileName: src})
	var exist *fsout.ExistError
	if errors.As(err, &exist) {
		fmt.Fprintf(opts.IO.Err, "tenantc: init would overwrite %s; nothing was written\n", filepath.Join(dir, config.FileName))
		return errSilent
	}
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	for _, p := range written {
		fmt.Fprintln(opts.IO.Out, "created", filepath.Join(dir, p))
	}
	return nil
}

// inModule reports whether dir or a parent directory holds a go.mod.
func inModule(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return true // cannot tell: do not warn
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return true
		}
		if filepath.Dir(d) == d {
			return false
		}
	}
}
