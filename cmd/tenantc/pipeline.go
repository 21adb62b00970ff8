package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/generator"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/queries"
	"github.com/tenantc/tenantc/schema"
)

// buildFunc turns a loaded config into the generated files (file name →
// contents). Commands hold one in their options so that tests can replace
// the pipeline.
type buildFunc func(ctx context.Context, cfg *config.Config, log *slog.Logger) (map[string][]byte, error)

// build is the generate pipeline shared by generate and diff: load the
// annotated schema, analyze the queries against it, render the package.
// Input problems come back as the libraries' position.ErrorList.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger) (map[string][]byte, error) {
	start := time.Now()
	cat, err := schema.Load(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("loading schema: %w", err)
	}
	log.Debug("schema loaded", "files", len(cat.Files), "objects", len(cat.Objects), "elapsed", time.Since(start))

	start = time.Now()
	res, err := queries.Analyze(ctx, cfg, cat, queries.WithEngine(queries.ExecutableEngine("__sqlc")))
	if err != nil {
		return nil, fmt.Errorf("analyzing queries: %w", err)
	}
	log.Debug("queries analyzed", "queries", len(res.Queries), "elapsed", time.Since(start))

	start = time.Now()
	files, err := generator.Generate(ctx, cat, res, cfg, generator.WithWarnings(func(e *position.Error) {
		log.Warn(e.Error())
	}))
	if err != nil {
		return nil, fmt.Errorf("generating code: %w", err)
	}
	log.Debug("code generated", "files", len(files), "elapsed", time.Since(start))
	return files, nil
}

// generatedHeader is the first line of every file generate writes; a *.go
// file in gen.out that starts with it is tenantc's to replace or remove.
const generatedHeader = "// " + generator.Header

// loadAndBuild reads the config at path and runs b on it.
func loadAndBuild(ctx context.Context, path string, b buildFunc, log *slog.Logger) (*config.Config, map[string][]byte, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	log.Debug("config loaded", "path", path, "out", cfg.Gen.Out)
	files, err := b(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return cfg, files, nil
}
