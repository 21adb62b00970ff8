// Package schema loads annotated DDL and builds the [Catalog] of shared and
// tenant objects.
package schema

import (
	"context"

	"github.com/tenantc/tenantc/config"
)

// Load reads the config's schema files, applies the tenantc annotations and
// scope rules, and returns the catalog. Problems in the input come back as
// an sqlpos.ErrorList with every error found, sorted.
func Load(ctx context.Context, cfg *config.Config) (*Catalog, error) {
	files, err := cfg.SchemaFiles()
	if err != nil {
		return nil, err
	}
	// TODO(schema): parse with pg_query, read annotations, check rules.
	return &Catalog{Files: files}, nil
}
