package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/migrate/migratedev"
)

// errOneServer is the error of a command that does not run across the
// servers of tenantc.yaml yet.
var errOneServer = errors.New("this command does not run across several servers yet (servers in tenantc.yaml); " +
	"migrate apply, status, drift and lint, tenant create, list, drop and move do")

// hasServers reports whether the config at path lists servers. A config
// that does not load says no: the command reports why when it loads it.
func hasServers(path string) bool {
	cfg, err := loadConfig(path)
	return err == nil && len(cfg.Servers) > 0
}

// checkDatabase is the database check of a command that connects: --url
// or DATABASE_URL names the one server, unless tenantc.yaml lists
// servers, whose URLs it gives instead (and --url would name one only).
func checkDatabase(cmd *cobra.Command, configPath string, url *string, env string) error {
	if hasServers(configPath) {
		if cmd.Flags().Changed("url") {
			return &usageError{cmd: cmd.CommandPath(), err: errors.New("--url names one server, but tenantc.yaml lists servers: leave it out")}
		}
		*url = ""
		return nil
	}
	if *url == "" {
		*url = env
	}
	if *url == "" {
		return &usageError{cmd: cmd.CommandPath(), err: errors.New("no database: pass --url or set DATABASE_URL")}
	}
	return nil
}

// openServers opens a pool on each server of cfg, in order. Pools connect
// lazily: a server that is down fails its own part of the work, not the
// opening.
func openServers(ctx context.Context, cfg *config.Config) (migrate.Servers, func(), error) {
	var fleet migrate.Servers
	closeAll := func() {
		for _, s := range fleet {
			s.DB.(*pgxpool.Pool).Close()
		}
	}
	for _, s := range cfg.Servers {
		u, err := s.Resolve()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		pool, err := pgxpool.New(ctx, u)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("server %q: connect: %w", s.Name, err)
		}
		fleet = append(fleet, migrate.Server{Name: s.Name, DB: pool})
	}
	return fleet, closeAll, nil
}

// migrateApplyServersRun is migrate apply across the servers of cfg.
func migrateApplyServersRun(ctx context.Context, opts *migrateApplyOptions, cfg *config.Config) error {
	if opts.Atomic {
		return errors.New("--atomic runs in one transaction on one server; tenantc.yaml lists servers")
	}
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	prog := newProgress(opts.IO.Err, isTerminal(opts.IO.Err), opts.IO.Logger())
	res, err := fleet.Apply(ctx, cfg,
		migrate.WithLogger(opts.IO.Logger()),
		migrate.WithProgress(prog.event),
		migrate.WithParallel(opts.Parallel),
		migrate.WithTenants(opts.Tenants...),
		migrate.WithFailFast(opts.FailFast),
		migrate.WithDryRun(opts.DryRun),
		migrate.WithLockTimeout(opts.LockTimeout),
	)
	prog.finish()
	if res == nil {
		return err
	}
	switch {
	case opts.Format == "json":
		if werr := writeJSON(opts.IO.Out, res); werr != nil {
			return werr
		}
	case opts.DryRun:
		writePlan(opts.IO.Out, res, opts.IO.Verbose)
	default:
		writeServersApply(opts.IO.Out, res)
	}
	if err != nil && res.Failed > 0 {
		// The failures are in the output; the exit status says so.
		for _, srv := range res.Servers {
			if srv.Error != "" {
				fmt.Fprintf(opts.IO.Err, "server %s: %s\n", srv.Name, srv.Error)
			}
		}
		return errSilent
	}
	return err
}

// writeServersApply prints one line per server, the failed tenants whose
// server did not emit their failure, and the totals.
func writeServersApply(w io.Writer, res *migrate.Result) {
	migrated, failed := map[string]int{}, map[string]int{}
	for _, t := range res.Tenants {
		if t.Error == "" {
			migrated[t.Server]++
		} else {
			failed[t.Server]++
		}
	}
	for _, srv := range res.Servers {
		line := fmt.Sprintf("server %s: shared: %d applied; tenants: %d migrated, %d failed",
			srv.Name, len(srv.Shared.Applied), migrated[srv.Name], failed[srv.Name])
		if srv.Error != "" {
			line += "; " + srv.Error
		}
		fmt.Fprintln(w, line)
	}
	applied := 0
	for _, n := range migrated {
		applied += n
	}
	fmt.Fprintf(w, "tenants: %d migrated, %d failed, %d up to date\n", applied, res.Failed, res.Total-len(res.Tenants))
}

// migrateStatusServersRun is migrate status across the servers of cfg.
func migrateStatusServersRun(ctx context.Context, opts *migrateStatusOptions, cfg *config.Config) error {
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	st, err := fleet.Status(ctx, cfg, migrate.WithTenants(opts.Tenants...))
	if st == nil {
		return err
	}
	if opts.Format == "json" {
		if werr := writeJSON(opts.IO.Out, st); werr != nil {
			return werr
		}
	} else {
		w := opts.IO.Out
		for _, srv := range st.Servers {
			line := fmt.Sprintf("server %s: shared (%s): version %s, %d pending", srv.Name, cfg.SharedSchema, orNone(srv.Shared.Version), srv.Shared.Pending)
			if srv.Error != "" {
				line += ", failed: " + srv.Error
			}
			fmt.Fprintln(w, line)
		}
		for _, t := range st.Tenants {
			line := fmt.Sprintf("tenant %s (%s) on %s: version %s, %d pending", t.ID, t.Schema, t.Server, orNone(t.Version), t.Pending)
			if t.Error != nil {
				line += ", failed: " + *t.Error
			}
			fmt.Fprintln(w, line)
		}
		fmt.Fprintf(w, "%d tenants: %d current, %d pending, %d failed\n", st.Summary.Tenants, st.Summary.Current, st.Summary.Pending, st.Summary.Failed)
	}
	if err != nil {
		return errSilent
	}
	return statusExit(st)
}

// tenantCreateServersRun is tenant create on the servers of cfg.
func tenantCreateServersRun(ctx context.Context, opts *tenantCreateOptions, cfg *config.Config) error {
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	mopts := []migrate.CreateOption{migrate.WithLogger(opts.IO.Logger()), migrate.WithRegistryText(opts.text)}
	if opts.Schema != "" {
		mopts = append(mopts, migrate.WithSchemaName(opts.Schema))
	}
	if opts.Server != "" {
		if !slices.ContainsFunc(cfg.Servers, func(s config.Server) bool { return s.Name == opts.Server }) {
			return &usageError{cmd: opts.cmdPath, err: fmt.Errorf("--server %q is not one of tenantc.yaml's servers (%s)", opts.Server, serverNames(cfg))}
		}
		mopts = append(mopts, migrate.WithServer(opts.Server))
	}
	start := time.Now()
	info, err := fleet.CreateTenant(ctx, cfg, opts.ID, mopts...)
	if err != nil {
		return badInput(opts.cmdPath, err)
	}
	fmt.Fprintf(opts.IO.Out, "created tenant %s (schema %s) on server %s at version %s in %s\n",
		info.ID, info.Schema, info.Server, orNone(info.Version), time.Since(start).Round(time.Millisecond))
	return nil
}

// tenantDropServersRun is tenant drop on the servers of cfg.
func tenantDropServersRun(ctx context.Context, opts *tenantDropOptions, cfg *config.Config) error {
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := fleet.DropTenant(ctx, cfg, opts.ID, migrate.WithLogger(opts.IO.Logger())); err != nil {
		return badInput(opts.cmdPath, err)
	}
	fmt.Fprintf(opts.IO.Out, "dropped tenant %s\n", opts.ID)
	return nil
}

// tenantListServersRun is tenant list across the servers of cfg.
func tenantListServersRun(ctx context.Context, opts *tenantListOptions, cfg *config.Config) error {
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	list, err := fleet.ListTenants(ctx, cfg, migrate.WithLogger(opts.IO.Logger()))
	if list == nil {
		return err
	}
	if opts.Format == "json" {
		if werr := writeJSON(opts.IO.Out, list); werr != nil {
			return werr
		}
		return err
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSCHEMA\tSERVER\tVERSION\tCREATED_AT")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Schema, t.Server, orNone(t.Version), t.CreatedAt.UTC().Format(time.RFC3339))
	}
	if werr := tw.Flush(); werr != nil {
		return werr
	}
	return err
}

func serverNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// migrateDriftServersRun is migrate drift across the servers of cfg.
func migrateDriftServersRun(ctx context.Context, opts *migrateDriftOptions, cfg *config.Config) error {
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	mopts := []migratedev.DriftOption{migratedev.WithTenants(opts.Tenants...), migratedev.WithLogger(opts.IO.Logger())}
	if opts.DevURL != "" {
		mopts = append(mopts, migratedev.WithDevURL(opts.DevURL))
	}
	rep, err := migratedev.DriftServers(ctx, fleet, cfg, mopts...)
	if rep == nil {
		return err
	}
	drifted := 0
	for _, s := range rep.Servers {
		if len(s.Differences) > 0 {
			drifted++
		}
	}
	for _, t := range rep.Tenants {
		if t.Error == "" {
			drifted++
		}
	}
	if opts.Format == "json" {
		if werr := writeJSON(opts.IO.Out, rep); werr != nil {
			return werr
		}
	} else {
		w := opts.IO.Out
		for _, s := range rep.Servers {
			switch {
			case s.Error != "":
				fmt.Fprintf(w, "server %s: failed: %s\n", s.Name, s.Error)
			case len(s.Differences) == 0:
				fmt.Fprintf(w, "server %s: shared (%s) at version %s: no drift\n", s.Name, cfg.SharedSchema, orNone(s.SharedVersion))
			default:
				fmt.Fprintf(w, "server %s: shared (%s) at version %s:\n", s.Name, cfg.SharedSchema, orNone(s.SharedVersion))
				for _, d := range s.Differences {
					fmt.Fprintf(w, "  %s\n", d)
				}
			}
		}
		for _, t := range rep.Tenants {
			if t.Error != "" {
				fmt.Fprintf(w, "tenant %s (%s) on %s: failed: %s\n", t.ID, t.Schema, t.Server, t.Error)
				continue
			}
			fmt.Fprintf(w, "tenant %s (%s) on %s:\n", t.ID, t.Schema, t.Server)
			for _, d := range t.Differences {
				fmt.Fprintf(w, "  %s\n", d)
			}
		}
		if drifted == 0 && err == nil {
			fmt.Fprintf(w, "no drift: %d tenants checked on %d servers\n", rep.Checked, len(rep.Servers))
		}
	}
	opts.IO.Logger().Info("drift checked", "tenants", rep.Checked, "drifted", drifted)
	if err != nil || drifted > 0 {
		return errSilent
	}
	return nil
}

// migrateLintServersRun is migrate lint with the files pending on any of
// the servers of cfg. A server that cannot be read counts as lacking every
// file: its files are linted, and the exit status says it failed.
func migrateLintServersRun(ctx context.Context, opts *migrateLintOptions, cfg *config.Config, mopts []migratedev.LintOption) error {
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	rep, err := migratedev.LintServers(ctx, fleet, cfg, mopts...)
	if rep == nil {
		return err
	}
	if werr := writeLint(opts.IO.Out, opts.Format, rep.Diagnostics); werr != nil {
		return werr
	}
	if opts.Format == "text" && len(rep.Diagnostics) == 0 {
		fmt.Fprintf(opts.IO.Out, "no findings: %d pending files linted\n", len(rep.Files))
	}
	if err != nil {
		fmt.Fprintln(opts.IO.Err, err)
		return errSilent
	}
	if rep.HasErrors() {
		return errSilent
	}
	return nil
}
