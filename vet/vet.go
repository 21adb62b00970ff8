package vet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/schema"
	"github.com/tenantc/tenantc/vet/unscoped"
)

// Options say what [Run] checks besides the schema files.
type Options struct {
	// Packages are Go package patterns, as for go vet; none skips the Go
	// checks.
	Packages []string
	// Dir is where the patterns resolve; "" is the current directory.
	Dir string
	// Stale runs tenantc's generate pipeline without writing and returns
	// the files of gen.out that differ from its output, relative to the
	// config's directory (tenantc diff's semantics). Positional errors it
	// returns are reported as findings of rule "query". Nil skips the query
	// and staleness checks. It runs at the same time as the Go checks.
	Stale func(ctx context.Context, cfg *config.Config) ([]string, error)
}

// Run loads the config's annotated schema and runs every check: the SQL
// checks on the schema, then Stale and the analyzer over the Go packages,
// at the same time. Problems in the input are findings, sorted by
// position; the error is for failures to run the checks at all (Stale's
// first). When the schema does not load, its errors are the only
// findings: the other checks need its catalog.
func Run(ctx context.Context, cfg *config.Config, opts Options) ([]Finding, error) {
	cat, err := schema.Load(ctx, cfg)
	if err != nil {
		if l := position.AsList(err); l != nil {
			return sortFindings(fromErrors(l, RuleSchema)), nil
		}
		return nil, fmt.Errorf("vet: loading schema: %w", err)
	}
	findings, err := CheckSchema(cfg, cat)
	if err != nil {
		return nil, err
	}
	// Stale is mostly the sqlc engine, a child process, and the Go checks
	// mostly go list and type checking: neither waits for the other.
	var (
		wg                     sync.WaitGroup
		staleFindings, goFinds []Finding
		staleErr, goErr        error
	)
	if opts.Stale != nil {
		wg.Go(func() { staleFindings, staleErr = checkStale(ctx, cfg, opts.Stale) })
	}
	if len(opts.Packages) > 0 {
		wg.Go(func() { goFinds, goErr = CheckGo(ctx, cfg, cat, opts.Dir, opts.Packages) })
	}
	wg.Wait()
	if err := cmp.Or(staleErr, goErr); err != nil {
		return nil, err
	}
	findings = append(findings, staleFindings...)
	findings = append(findings, goFinds...)
	return sortFindings(findings), nil
}

// checkStale runs stale and returns its positional errors and the stale
// files as findings.
func checkStale(ctx context.Context, cfg *config.Config, stale func(context.Context, *config.Config) ([]string, error)) ([]Finding, error) {
	names, err := stale(ctx, cfg)
	var findings []Finding
	switch l := position.AsList(err); {
	case l != nil:
		findings = fromErrors(l, RuleQuery)
	case err != nil:
		return nil, fmt.Errorf("vet: checking generated code: %w", err)
	}
	for _, name := range names {
		findings = append(findings, Finding{
			Pos:      position.Pos{File: name, Line: 1, Col: 1},
			Rule:     RuleStale,
			Severity: Error,
			Message:  "generated code is stale; run tenantc generate",
		})
	}
	return findings, nil
}

func fromErrors(l position.ErrorList, rule string) []Finding {
	out := make([]Finding, 0, len(l))
	for _, e := range l {
		out = append(out, Finding{Pos: e.Pos, Rule: rule, Severity: Error, Message: e.Msg})
	}
	return out
}

// CheckGo loads the Go packages matching patterns in dir and runs the
// [unscoped] analyzer over them with cat, tests included, as go vet does.
// Positions are relative to the config's directory.
//
// Loading makes a lot of garbage-collected memory (syntax trees and type
// information of every package) that stays live until the analysis ends.
// Unless the GOGC environment variable is set, or the program changed the
// default with debug.SetGCPercent, CheckGo lets the heap grow to three
// times its live size rather than two while it runs (GOGC=200): that
// takes about a sixth of the CPU time off checking 100,000 lines of Go,
// for about half again the peak memory.
func CheckGo(ctx context.Context, cfg *config.Config, cat *schema.Catalog, dir string, patterns []string) ([]Finding, error) {
	if os.Getenv("GOGC") == "" {
		if prev := debug.SetGCPercent(loadGCPercent); prev != 100 {
			debug.SetGCPercent(prev) // the program's own choice
		} else {
			defer debug.SetGCPercent(prev)
		}
	}
	pcfg := &packages.Config{
		Context: ctx,
		Mode:    packages.LoadSyntax | packages.NeedModule,
		Dir:     dir,
		Tests:   true,
		// The analyzer does not use the syntax trees' ast.Object
		// resolution, which go/packages does by default.
		ParseFile: parseFile,
	}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("vet: loading Go packages: %w", err)
	}
	var loadErrs []error
	for _, p := range pkgs {
		for _, e := range p.Errors {
			loadErrs = append(loadErrs, e)
		}
	}
	if len(loadErrs) > 0 {
		return nil, fmt.Errorf("vet: loading Go packages: %w", errors.Join(loadErrs...))
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("vet: no Go packages match %s", strings.Join(patterns, " "))
	}
	a := unscoped.New(unscoped.WithCatalog(cat, cfg.SharedSchema))
	g, err := checker.Analyze([]*analysis.Analyzer{a}, pkgs, nil)
	if err != nil {
		return nil, fmt.Errorf("vet: analyzing Go packages: %w", err)
	}
	base, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("vet: %w", err)
	}
	var out []Finding
	for _, act := range g.Roots {
		if act.Err != nil {
			return nil, fmt.Errorf("vet: analyzing %s: %w", act.Package.PkgPath, act.Err)
		}
		for _, d := range act.Diagnostics {
			p := act.Package.Fset.Position(d.Pos)
			file := p.Filename
			if rel, err := filepath.Rel(base, file); err == nil {
				file = rel
			}
			out = append(out, Finding{
				Pos:      position.Pos{File: filepath.ToSlash(file), Line: p.Line, Col: p.Column},
				Rule:     d.Category,
				Severity: severityOf(d.Category),
				Message:  d.Message,
			})
		}
	}
	return out, nil
}

// loadGCPercent is the garbage collector's target while [CheckGo] runs.
const loadGCPercent = 200

// parseFile parses a Go file for [CheckGo]: with comments (for
// //tenantc:ignore and generated-file headers), without ast.Object
// resolution, which no analysis needs and which takes about a fifth of
// the parse.
func parseFile(fset *token.FileSet, filename string, src []byte) (*ast.File, error) {
	return parser.ParseFile(fset, filename, src, parser.AllErrors|parser.ParseComments|parser.SkipObjectResolution)
}
