package main

import (
	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/queries"
)

// newSQLCCmd is the hidden command that runs the embedded sqlc engine.
// tenantc names itself with this command as the engine queries.Analyze
// runs (queries.ExecutableEngine), because sqlc's library exits the
// process on some failures; see queries.Engine.
func newSQLCCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "__sqlc",
		Short:  "Run the embedded sqlc engine (internal)",
		Hidden: true,
		// Every argument belongs to sqlc, flags included.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := queries.EngineMain(args); code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
}
