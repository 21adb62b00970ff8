// Package harness runs the benchmark scenarios of `go run ./bench`: it
// starts its own PostgreSQL and PgBouncer, loads the benchmark schema into
// a fleet of tenant schemas, runs each scenario against a baseline measured
// in the same run and prints one table of ratios.
package harness

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Scenario names, in the order they run and print.
var scenarioNames = []string{"P1", "P2", "P3", "P8", "P9", "MEM", "P4", "P5", "P6", "P7", "P10"}

// Options are the command's flags.
type Options struct {
	Short    bool
	Tenants  int
	Clients  int
	Duration time.Duration
	Only     map[string]bool
	// FleetTables is "all" (every tenant table of schema/ in every fleet
	// tenant) or "core" (only schema/002_tenant.sql, the tables the
	// scenarios query), which loads several times faster.
	FleetTables string
	// FleetURL is an existing database to hold the fleet: loaded on first
	// use and reused by later runs with the same Tenants and FleetTables,
	// to iterate on a scenario without reloading; empty: a database of the
	// throwaway server.
	FleetURL string
	// Repo is the module's root directory, where P6 builds tenantc and P7
	// runs vet's benchmark.
	Repo string
}

// parseOptions reads the command line. Unset scale flags take the full or
// -short defaults.
func parseOptions(args []string, stderr io.Writer) (Options, error) {
	fset := flag.NewFlagSet("bench", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var o Options
	var only string
	fset.BoolVar(&o.Short, "short", false, "small fleet and short runs (about 3 minutes), for CI")
	fset.IntVar(&o.Tenants, "tenants", 0, "tenants in the fleet for P2, P3, P8 and MEM (default 10000, -short 1000)")
	fset.IntVar(&o.Clients, "clients", 8, "concurrent clients, and connections, for P2, P3 and P8")
	fset.DurationVar(&o.Duration, "duration", 0, "measured time per variant (default 5s, -short 1s)")
	fset.StringVar(&only, "only", "", "comma-separated scenarios to run ("+strings.Join(scenarioNames, ",")+"); default all")
	fset.StringVar(&o.FleetURL, "fleet-url", "", "an existing database for the fleet, loaded on first use and reused by later runs of the same -tenants and -fleet-tables (the server should have shared_buffers >= 512MB, max_locks_per_transaction >= 512)")
	fset.StringVar(&o.FleetTables, "fleet-tables", "", `tenant tables in each fleet tenant: "all" (21) or "core" (the 3 queried); default all, -short core`)
	fset.StringVar(&o.Repo, "repo", ".", "module root, for P6 (builds cmd/tenantc) and P7 (runs vet's benchmark)")
	if err := fset.Parse(args); err != nil {
		return o, err
	}
	if fset.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fset.Args())
	}
	if o.Tenants == 0 {
		o.Tenants = 10000
		if o.Short {
			o.Tenants = 1000
		}
	}
	if o.Duration == 0 {
		o.Duration = 5 * time.Second
		if o.Short {
			o.Duration = time.Second
		}
	}
	if o.FleetTables == "" {
		o.FleetTables = "all"
		if o.Short {
			o.FleetTables = "core"
		}
	}
	if o.FleetTables != "all" && o.FleetTables != "core" {
		return o, fmt.Errorf(`-fleet-tables must be "all" or "core"`)
	}
	if o.Tenants < 1 || o.Clients < 1 || o.Duration <= 0 {
		return o, fmt.Errorf("-tenants, -clients and -duration must be positive")
	}
	if only != "" {
		o.Only = map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			s = strings.ToUpper(strings.TrimSpace(s))
			if !slices.Contains(scenarioNames, s) {
				return o, fmt.Errorf("-only: unknown scenario %q (have %s)", s, strings.Join(scenarioNames, ","))
			}
			o.Only[s] = true
		}
	}
	return o, nil
}

func (o Options) runs(name string) bool { return o.Only == nil || o.Only[name] }

// Main runs the harness with the command-line args; schemaFS holds the
// benchmark's schema/*.sql. It returns the process exit code: 0 when every
// scenario ran (targets missed or not), 1 when one failed, 2 for bad flags.
func Main(ctx context.Context, args []string, schemaFS fs.FS, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(stderr, "bench:", err)
		}
		return 2
	}
	h := &harness{o: o, schemaFS: schemaFS, log: stderr}
	defer h.close()
	start := time.Now()
	failed := false
	for _, s := range h.scenarios() {
		if !o.runs(s.name) {
			continue
		}
		h.logf("%s: running (load %s)", s.name, loadAvg())
		if err := s.run(ctx); err != nil {
			failed = true
			fmt.Fprintf(stderr, "bench: %s: %v\n", s.name, err)
			h.add(Row{Scenario: s.name, Variant: "error: " + firstLine(err.Error())})
		}
		if ctx.Err() != nil {
			break
		}
	}
	h.printHeader(stdout, time.Since(start))
	h.printTable(stdout)
	if failed {
		return 1
	}
	return 0
}

type scenario struct {
	name string
	run  func(context.Context) error
}

func (h *harness) scenarios() []scenario {
	return []scenario{
		{"P1", h.p1}, {"P2", h.p2}, {"P3", h.p3}, {"P8", h.p8}, {"P9", h.p9}, {"MEM", h.memory},
		{"P4", h.p4}, {"P5", h.p5}, {"P6", h.p6}, {"P7", h.p7}, {"P10", h.p10},
	}
}

// logf prints progress on stderr.
func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "bench: "+format+"\n", args...)
}

// loadAvg returns the 1-minute load average, to print next to numbers
// taken on a shared machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// printHeader prints the machine and run settings above the table.
func (h *harness) printHeader(w io.Writer, elapsed time.Duration) {
	fmt.Fprintf(w, "tenantc bench: %s, %d CPUs, Go %s; %s; %s\n", runtime.GOARCH, runtime.NumCPU(),
		strings.TrimPrefix(runtime.Version(), "go"), h.pgVersion, h.bouncerVersion)
	fmt.Fprintf(w, "tenants=%d fleet-tables=%s clients=%d duration=%s short=%t; %s in all; load average now %s\n\n",
		h.o.Tenants, h.o.FleetTables, h.o.Clients, h.o.Duration, h.o.Short, elapsed.Round(time.Second), loadAvg())
}
