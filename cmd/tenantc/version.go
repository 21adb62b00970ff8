package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

const sqlcModule = "github.com/sqlc-dev/sqlc"

type versionOptions struct {
	IO *streams
	// BuildInfo reports how the binary was built; runtime/debug.ReadBuildInfo.
	BuildInfo func() (*debug.BuildInfo, bool)
}

func newVersionCmd(s *streams, runF func(*versionOptions) error) *cobra.Command {
	opts := &versionOptions{IO: s, BuildInfo: debug.ReadBuildInfo}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the tenantc and sqlc engine versions",
		Long: `Version prints the tenantc module version and the version of the
embedded sqlc engine that types the queries.`,
		Example: `  tenantc version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *versionOptions) error {
	tenantc, sqlc := "(devel)", "(unknown)"
	if bi, ok := opts.BuildInfo(); ok {
		if v := bi.Main.Version; v != "" {
			tenantc = v
		}
		for _, d := range bi.Deps {
			if d.Path != sqlcModule {
				continue
			}
			sqlc = d.Version
			if d.Replace != nil && d.Replace.Version != "" {
				sqlc = d.Replace.Version
			}
		}
	}
	fmt.Fprintf(opts.IO.Out, "tenantc %s\nsqlc engine %s\n%s\n", tenantc, sqlc, runtime.Version())
	return nil
}
