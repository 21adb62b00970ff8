// Package vet checks a tenantc project for SQL that bypasses tenant
// scoping: the annotated schema and query files, the generated code, and
// the Go code that talks to PostgreSQL.
//
// [Run] is what tenantc vet does:
//
//	cfg, err := config.Load("tenantc.yaml")
//	...
//	findings, err := vet.Run(ctx, cfg, vet.Options{Packages: []string{"./..."}})
//	...
//	vet.Write(os.Stdout, vet.Text, findings) // file:line:col: message (rule)
//	if vet.Failed(findings, strict) { ... }
//
// The checks, each with a stable rule name:
//
//   - everything tenantc generate rejects ([RuleSchema], [RuleQuery]) and
//     generated code that is out of date ([RuleStale]), when
//     [Options.Stale] is given;
//   - [CheckSchema]: tenant tables without a primary key, foreign keys
//     from tenant tables to shared tables, SECURITY DEFINER tenant
//     functions, tenant functions that set search_path, and EXECUTE in
//     tenant functions that tenantc cannot check or that picks a schema at
//     run time;
//   - [CheckGo]: the [unscoped] analyzer over Go packages — raw SQL that
//     names tenant objects or changes search_path.
//
// Findings are errors, except [Warning]s for SQL whose tables tenantc
// cannot see and for foreign keys to shared tables; those fail a run only
// when strict. A "//tenantc:ignore <reason>" comment suppresses a Go
// finding, and "-- tenantc:ignore <reason>" in a schema file the
// [CheckSchema] findings on the lines it covers ([schema.Ignore]). [Write]
// prints findings as text, JSON, GitHub Actions annotations or SARIF 2.1.0.
package vet
