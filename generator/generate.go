// Package generator emits the typed Go query package with dave/jennifer.
package generator

import (
	"context"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
)

// Generate renders the Go package for the analyzed queries. It is pure: it
// returns file name → gofmt'd source and never writes to disk; only
// cmd/tenantc writes files.
func Generate(ctx context.Context, cat *schema.Catalog, res *queries.Result, cfg *config.Config) (map[string][]byte, error) {
	// TODO(generator)
	return map[string][]byte{}, nil
}
