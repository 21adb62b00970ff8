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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
