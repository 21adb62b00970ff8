package main

import (
	"context"
	"embed"
	"os"
	"os/signal"
	"syscall"

	"github.com/tenantc/tenantc/bench/internal/harness"
)

// schemaFS is the benchmark schema, embedded so that the command runs from
// any directory.
//
//go:embed schema/*.sql
var schemaFS embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := harness.Main(ctx, os.Args[1:], schemaFS, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
