// Command tenantc generates typed Go query code for schema-per-tenant
// PostgreSQL applications from annotated DDL and sqlc-syntax queries.
//
// Run tenantc --help for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tenantc/tenantc/queries"
)

func main() {
	// generate re-executes this binary as the sqlc engine, and the engine
	// runs it again as its codegen plugin (see queries.Engine).
	if os.Getenv(queries.EngineEnv) == "1" {
		os.Exit(queries.EngineMain(os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
