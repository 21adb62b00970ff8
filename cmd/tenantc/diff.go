package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/internal/fsout"
)

// errStale is returned by tenantc diff when gen.out differs from what
// generate would write; the diff is already on stdout.
var errStale = errors.New("generated code is stale")

type diffOptions struct {
	IO         *streams
	ConfigPath string
	Build      buildFunc
}

func newDiffCmd(s *streams, runF func(*diffOptions) error) *cobra.Command {
	opts := &diffOptions{IO: s, Build: build}
	cmd := &cobra.Command{
		Use:   "diff [-f tenantc.yaml]",
		Short: "Check that the generated code is up to date",
		Long: `Diff runs the same pipeline as generate but writes nothing: it compares
the result with gen.out and prints a unified diff on stdout for every file
that is out of date, missing, or generated earlier and no longer produced.

It exits 0 when the generated code is current and 1 when it is stale, so CI
can run it after a change to the schema or the queries.`,
		Example: `  tenantc diff
  tenantc diff -f services/billing/tenantc.yaml || echo "run tenantc generate"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return diffRun(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.ConfigPath)
	return cmd
}

func diffRun(ctx context.Context, opts *diffOptions) error {
	cfg, files, err := loadAndBuild(ctx, opts.ConfigPath, opts.Build, opts.IO.Logger())
	if err != nil {
		return err
	}
	changes, err := fsout.Changes(cfg.Abs(cfg.Gen.Out), generatedHeader, files)
	if err != nil {
		return fmt.Errorf("comparing with %s: %w", cfg.Gen.Out, err)
	}
	if len(changes) == 0 {
		return nil
	}
	// Paths in the diff are relative to the config's directory, like every
	// path tenantc prints.
	out := path.Clean(strings.ReplaceAll(cfg.Gen.Out, `\`, "/"))
	for _, c := range changes {
		if err := writeDiff(opts.IO.Out, path.Join(out, c.Name), c); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s: %w (%d %s); run tenantc generate",
		out, errStale, len(changes), plural(len(changes), "file differs", "files differ"))
}

// writeDiff prints a git-style unified diff of one changed file.
func writeDiff(w io.Writer, name string, c fsout.Change) error {
	from, to := "a/"+name, "b/"+name
	switch c.Kind {
	case fsout.Added:
		from = "/dev/null"
	case fsout.Removed:
		to = "/dev/null"
	}
	return difflib.WriteUnifiedDiff(w, difflib.UnifiedDiff{
		A:        splitLines(c.Old),
		B:        splitLines(c.New),
		FromFile: from,
		ToFile:   to,
		Context:  3,
	})
}

// splitLines splits src into lines that each end in a newline, as difflib
// expects; unlike difflib.SplitLines it gives no line for empty input and
// no extra empty line after a final newline.
func splitLines(src []byte) []string {
	if len(src) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(src), "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += "\n\\ No newline at end of file\n"
	return lines
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
