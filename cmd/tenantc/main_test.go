package main

import (
	"context"
	"os"
	"os/signal"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tenantc/tenantc/queries"
)

func TestMain(m *testing.M) {
	// queries.Analyze runs the sqlc engine by re-executing the running
	// binary: in-process tests of run start this test binary, and scripts
	// start their tenantc copy of it, with "__sqlc generate -f ..." and
	// EngineEnv set.
	if os.Getenv(queries.EngineEnv) == "1" {
		os.Exit(queries.EngineMain(os.Args[1:]))
	}
	testscript.Main(stopServer{m}, map[string]func(){
		"tenantc": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}
