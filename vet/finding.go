package vet

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tenantc/tenantc/internal/ghactions"
	"github.com/tenantc/tenantc/position"
	"github.com/tenantc/tenantc/vet/unscoped"
)

// Severity says whether a finding fails a run: errors always do, warnings
// only under --strict.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Rule names of the SQL-side checks; the Go-side ones are the unscoped
// package's Rule constants.
const (
	RuleSchema             = "schema"                  // the schema files do not load (as in generate)
	RuleQuery              = "query"                   // the query files do not analyze (as in generate)
	RuleStale              = "stale-generated"         // gen.out differs from what generate writes
	RuleNoPrimaryKey       = "tenant-table-no-pk"      // a tenant table without a primary key
	RuleTenantFKToShared   = "tenant-fk-to-shared"     // a foreign key from a tenant table to a shared table
	RuleSecurityDefiner    = "security-definer"        // a SECURITY DEFINER function in tenant schemas
	RuleDynamicSQLInFunc   = "dynamic-sql-in-function" // EXECUTE in a tenant function that escapes its schema
	RuleFunctionSearchPath = "function-search-path"    // a tenant function that sets its own search_path
	RuleUnscoped           = unscoped.RuleUnscoped
	RuleQualified          = unscoped.RuleQualified
	RuleSearchPath         = unscoped.RuleSearchPath
	RuleDynamicSQL         = unscoped.RuleDynamic
	RuleIgnoreReason       = unscoped.RuleIgnoreReason
)

// ruleDescription is the short description SARIF shows for a rule.
func ruleDescription(rule string) string {
	switch rule {
	case RuleSchema:
		return "The annotated schema does not load; tenantc generate rejects it too."
	case RuleQuery:
		return "A query file does not analyze; tenantc generate rejects it too."
	case RuleStale:
		return "Generated code is out of date; run tenantc generate."
	case RuleNoPrimaryKey:
		return "A tenant table has no primary key."
	case RuleTenantFKToShared:
		return "A tenant table has a foreign key to a shared table; each tenant adds triggers to the shared table."
	case RuleSecurityDefiner:
		return "A tenant function runs with its owner's rights (SECURITY DEFINER)."
	case RuleDynamicSQLInFunc:
		return "A tenant function runs dynamic SQL that tenantc cannot check or that leaves its schema."
	case RuleFunctionSearchPath:
		return "A tenant function sets search_path itself."
	case RuleUnscoped:
		return "Raw SQL names a tenant object; use the generated TenantQueries, or tenancy.ParseSQL and Conn.SQL for a one-off statement."
	case RuleQualified:
		return "Raw SQL qualifies a tenant object with a hard-coded schema."
	case RuleSearchPath:
		return "Raw SQL changes search_path."
	case RuleDynamicSQL:
		return "SQL built at run time whose tables tenantc cannot see."
	case RuleIgnoreReason:
		return "A //tenantc:ignore comment without a reason."
	}
	return "tenantc vet finding"
}

// Finding is one problem vet reports.
type Finding struct {
	Pos      position.Pos // File relative to the config's directory
	Rule     string
	Severity Severity
	Message  string
}

// String formats f as file:line:col: message (rule).
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s (%s)", f.Pos, f.Message, f.Rule)
}

func severityOf(rule string) Severity {
	if unscoped.IsWarning(rule) {
		return Warning
	}
	return Error
}

// sortFindings orders findings by position, rule and message, and drops
// duplicates.
func sortFindings(fs []Finding) []Finding {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(a.Pos.Compare(b.Pos), strings.Compare(a.Rule, b.Rule), strings.Compare(a.Message, b.Message))
	})
	return slices.Compact(fs)
}

// Failed reports whether findings fail the run: any error, or any warning
// when strict.
func Failed(findings []Finding, strict bool) bool {
	for _, f := range findings {
		if f.Severity == Error || strict {
			return true
		}
	}
	return false
}

// Format is an output format of [Write].
type Format string

// Output formats.
const (
	Text   Format = "text"   // file:line:col: [warning: ]message (rule)
	JSON   Format = "json"   // an array of {file, line, col, rule, severity, message}
	GitHub Format = "github" // GitHub Actions workflow annotations
	SARIF  Format = "sarif"  // SARIF 2.1.0, for code scanning
)

// ParseFormat returns the format named s: text, json, github or sarif.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, JSON, GitHub, SARIF:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json, github or sarif)", s)
}

// Write prints findings in the format.
func Write(w io.Writer, format Format, findings []Finding) error {
	switch format {
	case Text, "":
		for _, f := range findings {
			if _, err := fmt.Fprintln(w, textLine(f)); err != nil {
				return err
			}
		}
		return nil
	case JSON:
		return writeJSON(w, findings)
	case GitHub:
		return writeGitHub(w, findings)
	case SARIF:
		return writeSARIF(w, findings)
	}
	return fmt.Errorf("vet: unknown format %q", format)
}

// textLine is f as the text format prints it: file:line:col: message
// (rule) for an error, with "warning: " before the message for a warning,
// so that a reader (or an editor's problem matcher) tells them apart.
func textLine(f Finding) string {
	if f.Severity == Warning {
		return fmt.Sprintf("%s: warning: %s (%s)", f.Pos, f.Message, f.Rule)
	}
	return f.String()
}

type jsonFinding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

func writeJSON(w io.Writer, findings []Finding) error {
	out := make([]jsonFinding, 0, len(findings)) // [] rather than null when clean
	for _, f := range findings {
		out = append(out, jsonFinding{f.Pos.File, f.Pos.Line, f.Pos.Col, f.Rule, f.Severity, f.Message})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeGitHub prints workflow commands, which GitHub Actions turns into
// annotations on the pull request:
// ::error file=F,line=L,col=C,title=RULE::MESSAGE
func writeGitHub(w io.Writer, findings []Finding) error {
	for _, f := range findings {
		err := ghactions.Write(w, ghactions.Annotation{
			Level: string(f.Severity), File: f.Pos.File, Line: f.Pos.Line, Col: f.Pos.Col,
			Title: "tenantc " + f.Rule, Message: f.Message + " (" + f.Rule + ")",
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SARIF 2.1.0, the subset code scanning reads.
type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

func writeSARIF(w io.Writer, findings []Finding) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "tenantc",
			InformationURI: "https://github.com/tenantc/tenantc",
			Rules:          []sarifRule{},
		}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	for _, f := range findings {
		i, ok := index[f.Rule]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			index[f.Rule] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: f.Rule, ShortDescription: sarifMessage{ruleDescription(f.Rule)}})
		}
		run.Results = append(run.Results, sarifResult{
			RuleID:    f.Rule,
			RuleIndex: i,
			Level:     string(f.Severity), // "error" and "warning" are SARIF levels too
			Message:   sarifMessage{f.Message},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: f.Pos.File},
				Region:           sarifRegion{StartLine: max(f.Pos.Line, 1), StartColumn: f.Pos.Col},
			}}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Version: "2.1.0",
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Runs:    []sarifRun{run},
	})
}
