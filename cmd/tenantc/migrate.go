package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/internal/ghactions"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/migrate/migratedev"
	"github.com/tenantc/tenantc/schema"
)

// newMigrateCmd is `tenantc migrate` and its subcommands; each is a thin
// layer over package migrate.
func newMigrateCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Plan and apply migrations to the shared schema and every tenant schema",
		Long: `Migrate keeps two Atlas migration directories, migrations/shared and
migrations/tenant (migrations.dir in tenantc.yaml), plans new files from the
annotated schema, and applies them: the shared schema once, then every
tenant schema of the registry, one transaction per tenant.

The database is --url, or DATABASE_URL.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newMigrateDiffCmd(s, nil),
		newMigrateApplyCmd(s, nil),
		newMigrateStatusCmd(s, nil),
		newMigrateDriftCmd(s, nil),
		newMigrateLintCmd(s, nil),
		newMigrateHashCmd(s, nil),
		newMigrateNewCmd(s, nil),
	)
	return cmd
}

// dbFlags are the flags of the subcommands that connect to the database.
type dbFlags struct {
	ConfigPath string
	URL        string
	Tenants    []string
	Format     string
}

func (f *dbFlags) add(cmd *cobra.Command, formats ...string) {
	addConfigFlag(cmd, &f.ConfigPath)
	cmd.Flags().StringVar(&f.URL, "url", "", "database `url` (default $DATABASE_URL)")
	cmd.Flags().StringVar(&f.Format, "format", "text", "output `format`: "+strings.Join(formats, ", "))
}

func (f *dbFlags) check(cmd *cobra.Command, formats ...string) error {
	if !contains(formats, f.Format) {
		return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--format must be one of %s, not %q", strings.Join(formats, ", "), f.Format)}
	}
	return checkDatabase(cmd, f.ConfigPath, &f.URL, os.Getenv("DATABASE_URL"))
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return pool, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// --- migrate diff

type migrateDiffOptions struct {
	IO               *streams
	ConfigPath       string
	Name             string
	DevURL           string
	Renames          []string
	AllowDestructive bool
	// Interactive is set when stdin and stderr are a terminal: a drop and
	// an add that may be a rename are then asked about.
	Interactive bool
}

func newMigrateDiffCmd(s *streams, runF func(*migrateDiffOptions) error) *cobra.Command {
	opts := &migrateDiffOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "diff NAME",
		Short: "Write new migration files for the changes in the annotated schema",
		Long: `Diff replays migrations/shared and migrations/tenant on the dev database
(migrations.dev_url, or a throwaway local PostgreSQL when it is empty),
compares them with the annotated schema and writes NAME as a new migration
in whichever directory changed, with its atlas.sum.

Dropping a table or column is refused unless --allow-destructive is given;
a renamed table or column, which Atlas sees as a drop and an add, is
planned as a rename with --rename old:new or --rename table.old:new. On a
terminal, diff asks about each drop that an add of the same shape may
rename; otherwise the refusal names the --rename flags to pass.
When nothing changed it prints "no changes" and writes nothing.`,
		Example: `  tenantc migrate diff add_orders
  tenantc migrate diff rename_note --rename orders.note:remark`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{cmd: cmd.CommandPath(), err: errors.New("want exactly one argument, the migration NAME")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.Interactive = isTerminal(s.In) && isTerminal(s.Err)
			if runF != nil {
				return runF(opts)
			}
			return migrateDiffRun(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.ConfigPath)
	cmd.Flags().StringVar(&opts.DevURL, "dev-url", "", "dev database `url` (default migrations.dev_url)")
	cmd.Flags().StringArrayVar(&opts.Renames, "rename", nil, "rename `hint` old:new (table) or table.old:new (column); repeatable")
	cmd.Flags().BoolVar(&opts.AllowDestructive, "allow-destructive", false, "allow dropping tables and columns")
	return cmd
}

func migrateDiffRun(ctx context.Context, opts *migrateDiffOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	cat, err := schema.Load(ctx, cfg)
	if err != nil {
		return err
	}
	mopts := []migratedev.DiffOption{migratedev.WithLogger(opts.IO.Logger()), migratedev.WithAllowDestructive(opts.AllowDestructive)}
	if opts.DevURL != "" {
		mopts = append(mopts, migratedev.WithDevURL(opts.DevURL))
	}
	for _, r := range opts.Renames {
		mopts = append(mopts, migratedev.WithRename(r))
	}
	res, err := migratedev.Diff(ctx, cfg, cat, opts.Name, mopts...)
	var de *migratedev.DestructiveError
	if errors.As(err, &de) && len(de.Renames) > 0 && opts.Interactive {
		hints, aerr := askRenames(opts.IO, de.Renames)
		if aerr != nil {
			return aerr
		}
		if len(hints) > 0 {
			for _, h := range hints {
				mopts = append(mopts, migratedev.WithRename(h))
			}
			res, err = migratedev.Diff(ctx, cfg, cat, opts.Name, mopts...)
		}
	}
	if errors.As(err, &de) {
		return &destructiveError{de}
	}
	if err != nil {
		return err
	}
	if !res.Changed() {
		fmt.Fprintln(opts.IO.Out, "no changes")
		return nil
	}
	for _, f := range res.Files {
		fmt.Fprintf(opts.IO.Out, "wrote %s\n", cfg.Rel(f))
	}
	return nil
}

// askRenames asks, for each candidate, whether it is a rename, and returns
// the hints of those answered yes. A dropped or added name that is already
// part of an accepted rename is not asked about again.
func askRenames(s *streams, cands []migratedev.RenameCandidate) ([]string, error) {
	in := bufio.NewReader(s.In)
	used := map[string]bool{}
	var hints []string
	for _, c := range cands {
		from, to := c.Side+"."+c.Table+"."+c.From, c.Side+"."+c.Table+"."+c.To
		if used[from] || used["+"+to] {
			continue
		}
		fmt.Fprintf(s.Err, "%s: did you rename %s to %q? [y/N] ", c.Side, c.FromName(), c.To)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			if errors.Is(err, io.EOF) {
				fmt.Fprintln(s.Err)
				break
			}
			return nil, fmt.Errorf("read answer: %w", err)
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a == "y" || a == "yes" {
			used[from], used["+"+to] = true, true
			hints = append(hints, c.Hint())
			fmt.Fprintf(s.Err, "planning it as --rename %s\n", c.Hint())
		}
	}
	return hints, nil
}

// destructiveError is a refused plan as the CLI reports it: the drops, and
// the flags that would plan it.
type destructiveError struct{ de *migratedev.DestructiveError }

func (e *destructiveError) Error() string {
	msg := "the plan drops data:\n  " + strings.Join(e.de.Changes, "\n  ") +
		"\nto drop it, pass --allow-destructive"
	for _, r := range e.de.Renames {
		msg += fmt.Sprintf("\nif %s was renamed to %q, pass --rename %s", r.FromName(), r.To, r.Hint())
	}
	return msg
}

func (e *destructiveError) Unwrap() error { return e.de }

// --- migrate apply

type migrateApplyOptions struct {
	IO *streams
	dbFlags
	Parallel    int
	FailFast    bool
	DryRun      bool
	Atomic      bool
	AtomicLimit int
	LockTimeout time.Duration
}

func newMigrateApplyCmd(s *streams, runF func(*migrateApplyOptions) error) *cobra.Command {
	opts := &migrateApplyOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Apply pending migrations: the shared schema, then every tenant",
		Long: `Apply takes the migration lock (a PostgreSQL advisory lock; a second
migrator waits up to --lock-timeout), applies the pending shared migrations,
then migrates every tenant of the registry in parallel, one transaction per
tenant. Versions are recorded in <shared_schema>.tenantc_revisions; a tenant
that fails is rolled back and its error recorded, and the others go on
unless --fail-fast. Re-running converges: tenants already at the latest
version are skipped after one query.

When tenantc.yaml lists servers, apply takes the lock of every server,
applies the shared migrations on each, then migrates every tenant on the
server the registry places it on, the servers in parallel. A server that
is down fails its own tenants, with an error naming it; the others are
migrated, and a re-run once it is back converges.

Exit status 1 when any tenant failed.`,
		Example: `  tenantc migrate apply --parallel 8
  tenantc migrate apply --tenant acme --dry-run
  tenantc migrate apply --atomic   # small fleets: all tenants or none`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.check(cmd, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return migrateApplyRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd, "text", "json")
	cmd.Flags().StringArrayVar(&opts.Tenants, "tenant", nil, "only the tenant with this `id`; repeatable")
	cmd.Flags().IntVar(&opts.Parallel, "parallel", 0, "tenants migrated at once (default: the pool size less one)")
	cmd.Flags().BoolVar(&opts.FailFast, "fail-fast", false, "start no more tenants after a failure")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the statements that would run per schema and change nothing")
	cmd.Flags().BoolVar(&opts.Atomic, "atomic", false, "apply all tenants in one transaction")
	cmd.Flags().IntVar(&opts.AtomicLimit, "atomic-limit", 100, "refuse --atomic above this many pending tenants")
	cmd.Flags().DurationVar(&opts.LockTimeout, "lock-timeout", time.Minute, "how long to wait for another migrator (0: no limit)")
	return cmd
}

func migrateApplyRun(ctx context.Context, opts *migrateApplyOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	if len(cfg.Servers) > 0 {
		return migrateApplyServersRun(ctx, opts, cfg)
	}
	pool, err := connect(ctx, opts.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	prog := newProgress(opts.IO.Err, isTerminal(opts.IO.Err), opts.IO.Logger())
	res, err := migrate.Apply(ctx, pool, cfg,
		migrate.WithLogger(opts.IO.Logger()),
		migrate.WithProgress(prog.event),
		migrate.WithParallel(opts.Parallel),
		migrate.WithTenants(opts.Tenants...),
		migrate.WithFailFast(opts.FailFast),
		migrate.WithDryRun(opts.DryRun),
		migrate.WithAtomic(opts.Atomic, opts.AtomicLimit),
		migrate.WithLockTimeout(opts.LockTimeout),
	)
	prog.finish()
	if res != nil {
		if opts.Format == "json" {
			if werr := writeJSON(opts.IO.Out, res); werr != nil {
				return werr
			}
		} else if opts.DryRun {
			writePlan(opts.IO.Out, res, opts.IO.Verbose)
		} else {
			applied := 0
			for _, t := range res.Tenants {
				if t.Error == "" {
					applied++
				}
			}
			fmt.Fprintf(opts.IO.Out, "shared: %d applied; tenants: %d migrated, %d failed, %d up to date\n",
				len(res.Shared.Applied), applied, res.Failed, res.Total-len(res.Tenants))
		}
	}
	return err
}

// writePlan prints a dry run as Atlas's does: each side's pending files
// with the statements they would run. Tenants with the same pending files
// share one block, headed by the tenant when it is alone and by their
// count otherwise (their list with --verbose).
func writePlan(w io.Writer, res *migrate.Result, verbose bool) {
	var plan migrate.Plan
	if res.Plan != nil {
		plan = *res.Plan
	}
	fmt.Fprintf(w, "shared (%s): %s\n", res.Shared.Schema, versionList(res.Shared.Pending))
	writePlannedFiles(w, plan.Shared, res.Shared.Pending)
	type group struct {
		pending []string
		tenants []migrate.TenantResult
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, t := range res.Tenants {
		key := strings.Join(t.Pending, ",")
		g, ok := byKey[key]
		if !ok {
			g = &group{pending: t.Pending}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.tenants = append(g.tenants, t)
	}
	for _, g := range groups {
		if len(g.tenants) == 1 {
			t := g.tenants[0]
			fmt.Fprintf(w, "tenant %s (%s): %s\n", t.ID, t.Schema, versionList(g.pending))
		} else {
			fmt.Fprintf(w, "%d tenants: %s\n", len(g.tenants), versionList(g.pending))
			if verbose {
				for _, t := range g.tenants {
					fmt.Fprintf(w, "  tenant %s (%s)\n", t.ID, t.Schema)
				}
			}
		}
		writePlannedFiles(w, plan.Tenant, g.pending)
	}
	fmt.Fprintf(w, "%d of %d tenants pending\n", len(res.Tenants), res.Total)
}

// writePlannedFiles prints the statements of the files among files whose
// version is in versions.
func writePlannedFiles(w io.Writer, files []migrate.PlannedFile, versions []string) {
	for _, f := range files {
		if !contains(versions, f.Version) {
			continue
		}
		fmt.Fprintf(w, "  -- migrating version %s (%s)\n", f.Version, f.Name)
		for _, s := range f.Statements {
			s = strings.TrimSpace(s)
			fmt.Fprintf(w, "    -> %s\n", strings.ReplaceAll(s, "\n", "\n       "))
		}
	}
}

func versionList(vs []string) string {
	if len(vs) == 0 {
		return "up to date"
	}
	return strings.Join(vs, ", ")
}

// progress renders apply's events: a redrawn status line on a terminal,
// log lines otherwise.
type progress struct {
	w                   io.Writer
	tty                 bool
	log                 interface{ Info(string, ...any) }
	total, done, failed int
	start               time.Time
	lastDraw            time.Time
	failures            []migrate.TenantFailed
}

func newProgress(w io.Writer, tty bool, log interface{ Info(string, ...any) }) *progress {
	return &progress{w: w, tty: tty, log: log, start: time.Now()}
}

func (p *progress) event(e migrate.Event) {
	switch e := e.(type) {
	case migrate.SharedDone:
		p.log.Info("shared schema migrated", "schema", e.Schema, "versions", e.Applied, "duration", e.Duration)
	case migrate.TenantsPlanned:
		// One event per server when tenantc.yaml lists servers.
		if p.total == 0 {
			p.start = time.Now()
		}
		p.total += e.Pending
		p.log.Info("tenants planned", "total", e.Total, "pending", e.Pending)
	case migrate.TenantDone:
		p.done++
		p.log.Info("tenant migrated", "tenant", e.ID, "schema", e.Schema, "versions", e.Applied, "duration", e.Duration)
	case migrate.TenantFailed:
		p.failed++
		p.failures = append(p.failures, e)
		if !p.tty {
			// Failures are findings, printed whatever the log level.
			fmt.Fprintf(p.w, "tenant %s (%s): version %s failed: %v\n", e.ID, e.Schema, e.Version, e.Err)
		}
	}
	if p.tty && time.Since(p.lastDraw) > 100*time.Millisecond {
		p.draw()
	}
}

func (p *progress) draw() {
	p.lastDraw = time.Now()
	n := p.done + p.failed
	elapsed := time.Since(p.start).Seconds()
	rate, eta := 0.0, "?"
	if elapsed > 0 && n > 0 {
		rate = float64(n) / elapsed
		eta = (time.Duration(float64(p.total-n)/rate) * time.Second).Round(time.Second).String()
	}
	const width = 30
	filled := 0
	if p.total > 0 {
		filled = width * n / p.total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d tenants, %d failed, %.0f/s, ETA %s ",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), n, p.total, p.failed, rate, eta)
}

func (p *progress) finish() {
	if !p.tty {
		return
	}
	if p.total > 0 {
		p.draw()
		fmt.Fprintln(p.w)
	}
	for _, e := range p.failures {
		fmt.Fprintf(p.w, "tenant %s (%s): version %s failed: %v\n", e.ID, e.Schema, e.Version, e.Err)
	}
}

// isTerminal reports whether stream (an input or an output) is a
// character device, where a redrawn progress line or a question makes
// sense.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// --- migrate status

type migrateStatusOptions struct {
	IO *streams
	dbFlags
}

func newMigrateStatusCmd(s *streams, runF func(*migrateStatusOptions) error) *cobra.Command {
	opts := &migrateStatusOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the migration version of the shared schema and of each tenant",
		Long: `Status prints the shared schema's version and, for each tenant, its
version, how many files are pending and the error of its last failed
attempt. Exit status 1 when any tenant's last attempt failed; pending
tenants alone exit 0.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.check(cmd, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return migrateStatusRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd, "text", "json")
	cmd.Flags().StringArrayVar(&opts.Tenants, "tenant", nil, "only the tenant with this `id`; repeatable")
	return cmd
}

func migrateStatusRun(ctx context.Context, opts *migrateStatusOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	if len(cfg.Servers) > 0 {
		return migrateStatusServersRun(ctx, opts, cfg)
	}
	pool, err := connect(ctx, opts.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	st, err := migrate.Status(ctx, pool, cfg, migrate.WithTenants(opts.Tenants...))
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		if err := writeJSON(opts.IO.Out, st); err != nil {
			return err
		}
		return statusExit(st)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "shared (%s): version %s, %d pending\n", cfg.SharedSchema, orNone(st.Shared.Version), st.Shared.Pending)
	for _, t := range st.Tenants {
		line := fmt.Sprintf("tenant %s (%s): version %s, %d pending", t.ID, t.Schema, orNone(t.Version), t.Pending)
		if t.Error != nil {
			line += ", failed: " + *t.Error
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d tenants: %d current, %d pending, %d failed\n", st.Summary.Tenants, st.Summary.Current, st.Summary.Pending, st.Summary.Failed)
	return statusExit(st)
}

// statusExit is exit status 1 when a tenant's last attempt failed, as for
// apply: the report is printed, the failure is a finding. Pending tenants
// alone are not a failure.
func statusExit(st *migrate.StatusReport) error {
	if st.Summary.Failed > 0 {
		return errSilent
	}
	return nil
}

func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}

// --- migrate drift

type migrateDriftOptions struct {
	IO *streams
	dbFlags
	DevURL string
}

func newMigrateDriftCmd(s *streams, runF func(*migrateDriftOptions) error) *cobra.Command {
	opts := &migrateDriftOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "List the tenants whose schema differs from their applied migrations",
		Long: `Drift inspects every tenant schema and compares it with the state its
applied version should have, replayed on the dev database. Each drifted
tenant is printed as a block headed "tenant ID (SCHEMA):", with one line
per difference: "-" expected but missing, "+" present but not expected,
"~" different. With servers in tenantc.yaml, each tenant is checked on its
server and the shared schema on every server, each server printed first
as a "server NAME:" line. Exit status 1 when any tenant or shared schema
drifted, or a server could not be read.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.check(cmd, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return migrateDriftRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd, "text", "json")
	cmd.Flags().StringArrayVar(&opts.Tenants, "tenant", nil, "only the tenant with this `id`; repeatable")
	cmd.Flags().StringVar(&opts.DevURL, "dev-url", "", "dev database `url` (default migrations.dev_url)")
	return cmd
}

func migrateDriftRun(ctx context.Context, opts *migrateDriftOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	if len(cfg.Servers) > 0 {
		return migrateDriftServersRun(ctx, opts, cfg)
	}
	pool, err := connect(ctx, opts.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	mopts := []migratedev.DriftOption{migratedev.WithTenants(opts.Tenants...), migratedev.WithLogger(opts.IO.Logger())}
	if opts.DevURL != "" {
		mopts = append(mopts, migratedev.WithDevURL(opts.DevURL))
	}
	rep, err := migratedev.Drift(ctx, pool, cfg, mopts...)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		if err := writeJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else {
		for _, t := range rep.Tenants {
			fmt.Fprintf(opts.IO.Out, "tenant %s (%s):\n", t.ID, t.Schema)
			for _, d := range t.Differences {
				fmt.Fprintf(opts.IO.Out, "  %s\n", d)
			}
		}
		if len(rep.Tenants) == 0 {
			fmt.Fprintf(opts.IO.Out, "no drift: %d tenants checked\n", rep.Checked)
		}
	}
	opts.IO.Logger().Info("drift checked", "tenants", rep.Checked, "drifted", len(rep.Tenants))
	if len(rep.Tenants) > 0 {
		return errSilent
	}
	return nil
}

// --- migrate lint

type migrateLintOptions struct {
	IO         *streams
	ConfigPath string
	URL        string
	DevURL     string
	Latest     int
	Format     string
}

func newMigrateLintCmd(s *streams, runF func(*migrateLintOptions) error) *cobra.Command {
	opts := &migrateLintOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check pending migration files with Atlas's analyzers",
		Long: `Lint runs Atlas's analyzers (destructive, data-dependent and
backward-incompatible changes) on the pending migration files: those not
applied to the database of --url (or DATABASE_URL), or to any of the servers
of tenantc.yaml when it lists them, or without a database the last --latest
files of each directory. Findings print as
file:line:col: message (rule). Exit status 1 when any is an error.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains([]string{"text", "json", "github"}, opts.Format) {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--format must be text, json or github, not %q", opts.Format)}
			}
			if hasServers(opts.ConfigPath) {
				// The servers of tenantc.yaml decide which files are pending.
				if cmd.Flags().Changed("url") {
					return &usageError{cmd: cmd.CommandPath(), err: errors.New("--url names one server, but tenantc.yaml lists servers: leave it out")}
				}
				opts.URL = ""
			} else if opts.URL == "" {
				opts.URL = os.Getenv("DATABASE_URL")
			}
			if runF != nil {
				return runF(opts)
			}
			return migrateLintRun(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.ConfigPath)
	cmd.Flags().StringVar(&opts.URL, "url", "", "database `url` deciding which files are pending (default $DATABASE_URL)")
	cmd.Flags().StringVar(&opts.DevURL, "dev-url", "", "dev database `url` (default migrations.dev_url)")
	cmd.Flags().IntVar(&opts.Latest, "latest", 0, "lint the last `n` files of each directory instead of the pending ones")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output `format`: text, json, github")
	return cmd
}

func migrateLintRun(ctx context.Context, opts *migrateLintOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	mopts := []migratedev.LintOption{migratedev.WithLatest(opts.Latest), migratedev.WithLogger(opts.IO.Logger())}
	if opts.DevURL != "" {
		mopts = append(mopts, migratedev.WithDevURL(opts.DevURL))
	}
	if len(cfg.Servers) > 0 {
		return migrateLintServersRun(ctx, opts, cfg, mopts)
	}
	// Without a database, the last files are linted.
	var pool migrate.DB
	if opts.URL != "" {
		p, err := connect(ctx, opts.URL)
		if err != nil {
			return err
		}
		defer p.Close()
		pool = p
	}
	rep, err := migratedev.Lint(ctx, pool, cfg, mopts...)
	if err != nil {
		return err
	}
	if err := writeLint(opts.IO.Out, opts.Format, rep.Diagnostics); err != nil {
		return err
	}
	if opts.Format == "text" && len(rep.Diagnostics) == 0 {
		fmt.Fprintf(opts.IO.Out, "no findings: %d pending files linted\n", len(rep.Files))
	}
	if rep.HasErrors() {
		return errSilent
	}
	return nil
}

// writeLint prints lint's findings: as vet prints its own in text
// (file:line:col: [warning: ]message (rule)), as a JSON array, or as GitHub
// annotations through the writer vet uses.
func writeLint(w io.Writer, format string, diags []migratedev.LintDiagnostic) error {
	switch format {
	case "json":
		return writeJSON(w, diags)
	case "github":
		for _, d := range diags {
			err := ghactions.Write(w, ghactions.Annotation{
				Level: d.Severity, File: d.File, Line: d.Line, Col: d.Col,
				Title: "tenantc " + d.Rule, Message: d.Message + " (" + d.Rule + ")",
			})
			if err != nil {
				return err
			}
		}
	default:
		for _, d := range diags {
			level := ""
			if d.Severity == "warning" {
				level = "warning: "
			}
			if _, err := fmt.Fprintf(w, "%s:%d:%d: %s%s (%s)\n", d.File, d.Line, d.Col, level, d.Message, d.Rule); err != nil {
				return err
			}
		}
	}
	return nil
}

// --- migrate hash

type migrateHashOptions struct {
	IO         *streams
	ConfigPath string
}

func newMigrateHashCmd(s *streams, runF func(*migrateHashOptions) error) *cobra.Command {
	opts := &migrateHashOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "hash",
		Short: "Rewrite atlas.sum after a migration file was added or edited by hand",
		Long: `Hash recomputes the atlas.sum of migrations/shared and migrations/tenant
from their files, as atlas migrate hash does. Every command that reads the
directories refuses them with "checksum mismatch" until it is run after a
file was written or edited by hand.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return migrateHashRun(opts)
		},
	}
	addConfigFlag(cmd, &opts.ConfigPath)
	return cmd
}

func migrateHashRun(opts *migrateHashOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	files, err := migrate.Hash(cfg)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fmt.Fprintln(opts.IO.Out, "no migration directories")
	}
	for _, f := range files {
		fmt.Fprintf(opts.IO.Out, "wrote %s\n", cfg.Rel(f))
	}
	return nil
}

// --- migrate new

type migrateNewOptions struct {
	IO         *streams
	ConfigPath string
	Name       string
	Side       string
}

func newMigrateNewCmd(s *streams, runF func(*migrateNewOptions) error) *cobra.Command {
	opts := &migrateNewOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "new NAME --side shared|tenant",
		Short: "Create an empty migration file to write by hand",
		Long: `New creates an empty migration file named VERSION_NAME.sql in
migrations/shared or migrations/tenant (--side), with the next version
after both directories' latest, and rewrites that directory's atlas.sum.
Write the change into it, then run tenantc migrate hash. Tenant files are
unqualified: they run once per tenant schema.`,
		Example: `  tenantc migrate new backfill_titles --side tenant`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{cmd: cmd.CommandPath(), err: errors.New("want exactly one argument, the migration NAME")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if opts.Side != migrate.SharedDir && opts.Side != migrate.TenantDir {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--side must be shared or tenant, not %q", opts.Side)}
			}
			if runF != nil {
				return runF(opts)
			}
			return migrateNewRun(opts)
		},
	}
	addConfigFlag(cmd, &opts.ConfigPath)
	cmd.Flags().StringVar(&opts.Side, "side", "", "the `directory` to write into: shared or tenant")
	return cmd
}

func migrateNewRun(opts *migrateNewOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	path, err := migrate.New(cfg, opts.Side, opts.Name)
	if errors.Is(err, migrate.ErrInvalidMigration) {
		return &usageError{cmd: "tenantc migrate new", err: err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "wrote %s\n", cfg.Rel(path))
	return nil
}
