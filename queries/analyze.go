// Package queries analyzes sqlc-syntax query files: it runs the embedded
// sqlc engine for types, finds every reference to a schema object with
// pg_query, infers each query's scope and marks its tenant references.
package queries

import (
	"context"
	"fmt"
	"os"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/schema"
)

// Option configures [Analyze].
type Option func(*options)

type options struct {
	engine *Engine
}

// WithEngine sets the command that runs sqlc. The default re-executes the
// running binary with the hidden "__sqlc" subcommand, which is right for
// the tenantc binary; tests use [TestEngine].
func WithEngine(e Engine) Option { return func(o *options) { o.engine = &e } }

// Analyze analyzes the config's query files against the catalog. Problems in
// the input come back as an sqlpos.ErrorList with every error found.
func Analyze(ctx context.Context, cfg *config.Config, cat *schema.Catalog, opts ...Option) (*Result, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.engine == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("queries: locating the tenantc binary: %w", err)
		}
		o.engine = &Engine{Path: exe, Args: []string{"__sqlc"}}
	}
	queryFiles, err := cfg.QueryFiles()
	if err != nil {
		return nil, err
	}
	// TODO(queries): pre-checks with pg_query (names, scope, refs) before
	// running the engine; see DESIGN.md "Query scope".
	res, err := o.engine.run(ctx, cat.Files, queryFiles, cfg.Rel)
	if err != nil {
		return nil, err
	}
	return res, nil
}
