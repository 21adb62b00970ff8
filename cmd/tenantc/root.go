package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
)

// Exit codes, chosen in one place: [exitCode].
const (
	exitOK      = 0
	exitFailure = 1 // findings in the input, stale code, or any other failure
	exitUsage   = 2 // bad flags or arguments, or a bad tenantc.yaml
)

// streams are the command's input and outputs, and the global flags that
// say how to use them.
type streams struct {
	In      io.Reader
	Out     io.Writer // results: diffs, version, created files
	Err     io.Writer // errors and logs
	Verbose bool
}

// Logger returns the logger for this run: warnings only, or everything down
// to debug with --verbose. Logs go to stderr so stdout stays parseable.
func (s *streams) Logger() *slog.Logger {
	level := slog.LevelWarn
	if s.Verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: level}))
}

// run executes the tenantc command line args and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{In: stdin, Out: stdout, Err: stderr}
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	printError(stderr, err)
	return exitCode(err)
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "tenantc",
		Short: "Typed Go code for schema-per-tenant PostgreSQL",
		Long: `tenantc generates typed Go query code for multi-tenant PostgreSQL
applications that keep one schema per tenant.

Annotate each CREATE statement in your schema files as shared (one copy,
in the shared schema) or tenant (one copy per tenant schema), write queries
in sqlc syntax, and tenantc generates a package in which a tenant query only
runs on a connection bound to a tenant.

Exit status: 0 on success, 1 when the input has errors or generated code is
out of date, 2 on a usage error or a bad tenantc.yaml.`,
		Example: `  tenantc init
  tenantc generate
  tenantc diff -f db/tenantc.yaml`,
		SilenceErrors: true, // printError reports every error, once
		SilenceUsage:  true,
		// Without Args, cobra's own check reports an unknown command as a
		// plain error; this one makes it a usage error (exit 2).
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
				msg += "; did you mean " + strings.Join(sug, " or ") + "?"
			}
			return &usageError{cmd: cmd.CommandPath(), err: errors.New(msg)}
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd.CommandPath(), err: err}
	})
	root.PersistentFlags().BoolVarP(&s.Verbose, "verbose", "v", false, "log each step to stderr")

	root.AddCommand(
		newInitCmd(s, nil),
		newGenerateCmd(s, nil),
		newDiffCmd(s, nil),
		newVersionCmd(s, nil),
		newMigrateCmd(s),
		newTenantCmd(s),
		newVetCmd(s),
		newSQLCCmd(),
	)
	return root
}

// addConfigFlag adds -f/--file, the path of tenantc.yaml, to a command that
// reads the config.
func addConfigFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "file", "f", config.FileName,
		"path of the config `file`; by default the nearest in this directory or a parent")
}

// loadConfig loads the config at path. The default path, when the working
// directory has no such file, is the nearest tenantc.yaml of a parent
// directory, as go finds go.mod: a command run from a subdirectory of the
// project (a package's directory, by go generate) finds it.
func loadConfig(path string) (*config.Config, error) {
	return config.Load(configPath(path))
}

// configPath is the config file that path means: path itself, or for the
// default name when the working directory has none, the nearest
// tenantc.yaml of a parent directory.
func configPath(path string) string {
	if path == config.FileName {
		if found, err := config.Find("."); err == nil {
			return found
		}
	}
	return path
}

// noArgs is cobra.NoArgs reported as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("unexpected argument %q", args[0])}
	}
	return nil
}

// usageError is a bad command line; tenantc exits 2 and points at --help.
type usageError struct {
	cmd string // command path, e.g. "tenantc generate"
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// errSilent means the problem has already been reported on stderr; tenantc
// exits 1 without printing more.
var errSilent = errors.New("already reported")

// exitError carries a child's exit code through (the hidden __sqlc
// command); the child has reported its own errors.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode chooses the exit status for the error a command returned.
func exitCode(err error) int {
	var usage *usageError
	var cfgErr *config.Error
	var exit *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage), errors.As(err, &cfgErr), errors.Is(err, config.ErrNotFound):
		return exitUsage
	}
	return exitFailure
}

// printError reports err on w: positional errors one per line as
// file:line:col: message, anything else prefixed with "tenantc: ".
func printError(w io.Writer, err error) {
	var usage *usageError
	var exit *exitError
	switch {
	case err == nil, errors.Is(err, errSilent), errors.As(err, &exit):
		return
	case errors.As(err, &usage):
		fmt.Fprintf(w, "%s: %v\nRun '%s --help' for usage.\n", usage.cmd, usage.err, usage.cmd)
		return
	}
	if list := position.AsList(err); len(list) > 0 {
		list.Sort()
		for _, e := range list {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	fmt.Fprintf(w, "tenantc: %v\n", err)
}
