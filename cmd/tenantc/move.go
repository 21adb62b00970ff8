package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate"
)

// --- tenant move

type tenantMoveOptions struct {
	IO *streams
	tenantFlags
	ID, To string
	Grace  time.Duration
	JSON   bool
	// Abort undoes an unfinished move instead.
	Abort   bool
	cmdPath string
}

func newTenantMoveCmd(s *streams, runF func(*tenantMoveOptions) error) *cobra.Command {
	opts := &tenantMoveOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "move ID --to SERVER | move ID --abort",
		Short: "Move a tenant to another server of tenantc.yaml, online",
		Long: `Move copies tenant ID to the server --to while the app keeps running, then
points the registry at it. The tenant's writes pause only for the cutover
(tens of milliseconds with a caught-up copy); reads go on throughout.

The steps, each recorded on the control server (table tenantc_moves in the
shared schema) before the next starts, with a progress line on stderr:

  schema     the tenant's schema on the target, at its version, empty
  publish    a publication of the schema on the source
  subscribe  the target subscribes, copies every row and catches up
  cutover    on the source, in one transaction: the tables locked against
             writes, the last changes awaited on the target, the sequences
             copied, the schema renamed to <schema>__moved_<id>; then the
             registry points at the target and NOTIFY tenantc_registry tells
             the apps (a tenancy.Fleet fails a stale call with
             ErrTenantMoved, and WithListen drops the cached placement)
  cleanup    the subscription, the publication and the source's revisions
  drop       after --grace, the renamed schema on the source

A move that stops at any point — a crash, a server down, Ctrl-C — leaves the
tenant whole on one server; run the same command again to resume it. A
stop between the rename and the registry update (when the source is not the
control server) leaves the tenant unreachable until the re-run finishes.
Moving the tenant to another server while one move is unfinished is refused;
--abort undoes a move that stopped before its cutover (the target's copy,
the publication, the subscription and the move's row go; the tenant stays
where it was, untouched). Past the cutover the target's copy is the
tenant's: --abort refuses, and the move can only be finished.

It refuses, changing nothing, when the tenant or a server is unknown, the
tenant is already on --to, migrations are pending (run tenantc migrate
apply) or a table is UNLOGGED. The source needs wal_level = logical, and
the role must be allowed to create publications and subscriptions (a
superuser on PostgreSQL 15). tenantc migrate apply waits for a move until
its registry update.`,
		Example: `  tenantc tenant move acme --to eu
  tenantc tenant move acme --to eu --grace 10m --json
  tenantc tenant move acme --abort`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.cmdPath = args[0], cmd.CommandPath()
			switch {
			case opts.Abort && opts.To != "":
				return &usageError{cmd: opts.cmdPath, err: errors.New("--abort and --to: give one")}
			case !opts.Abort && opts.To == "":
				return &usageError{cmd: opts.cmdPath, err: errors.New("--to SERVER is required (or --abort)")}
			}
			if opts.Grace < 0 {
				return &usageError{cmd: opts.cmdPath, err: fmt.Errorf("--grace %s: must not be negative", opts.Grace)}
			}
			if err := opts.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return tenantMoveRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().StringVar(&opts.To, "to", "", "target server `name` from tenantc.yaml's servers")
	cmd.Flags().DurationVar(&opts.Grace, "grace", time.Minute, "keep the renamed source schema this `long` before dropping it")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON on stdout")
	cmd.Flags().BoolVar(&opts.Abort, "abort", false, "undo the tenant's unfinished move, if it stopped before its cutover")
	return cmd
}

func tenantMoveRun(ctx context.Context, opts *tenantMoveOptions) error {
	cfg, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	if len(cfg.Servers) == 0 {
		return &usageError{cmd: opts.cmdPath, err: errors.New("tenant move needs servers in tenantc.yaml")}
	}
	if opts.Abort {
		return tenantMoveAbort(ctx, opts, cfg)
	}
	if !slices.ContainsFunc(cfg.Servers, func(s config.Server) bool { return s.Name == opts.To }) {
		return &usageError{cmd: opts.cmdPath, err: fmt.Errorf("--to %q is not one of tenantc.yaml's servers (%s)", opts.To, serverNames(cfg))}
	}
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	progress := func(e migrate.MoveEvent) {
		switch {
		case !e.Done && e.Detail != "":
			fmt.Fprintf(opts.IO.Err, "move %s: %s: %s\n", e.Tenant, e.Step, e.Detail)
		case !e.Done:
			fmt.Fprintf(opts.IO.Err, "move %s: %s...\n", e.Tenant, e.Step)
		default:
			fmt.Fprintf(opts.IO.Err, "move %s: %s done in %s: %s\n", e.Tenant, e.Step, e.Elapsed.Round(time.Millisecond), e.Detail)
		}
	}
	rep, err := fleet.MoveTenant(ctx, cfg, opts.ID, opts.To,
		migrate.WithLogger(opts.IO.Logger()), migrate.WithGrace(opts.Grace), migrate.WithMoveProgress(progress))
	if err != nil {
		if rep != nil && rep.Schema != "" {
			fmt.Fprintf(opts.IO.Err, "the move of %s is unfinished: run tenantc tenant move %s --to %s again to resume it (or --abort to undo it, before its cutover)\n", opts.ID, opts.ID, opts.To)
		}
		return badInput(opts.cmdPath, err)
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, rep)
	}
	fmt.Fprintf(opts.IO.Out, "moved tenant %s (schema %s) from %s to %s: %d rows copied, writes paused %.1f ms, %s in all\n",
		rep.Tenant, rep.Schema, rep.From, rep.To, rep.RowsCopied, rep.PauseMS, (time.Duration(rep.TotalMS) * time.Millisecond).Round(time.Millisecond))
	return nil
}

// tenantMoveAbort undoes opts.ID's unfinished move.
func tenantMoveAbort(ctx context.Context, opts *tenantMoveOptions, cfg *config.Config) error {
	fleet, closeAll, err := openServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := fleet.AbortMove(ctx, cfg, opts.ID, migrate.WithLogger(opts.IO.Logger())); err != nil {
		return badInput(opts.cmdPath, err)
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, struct {
			Tenant  string `json:"tenant"`
			Aborted bool   `json:"aborted"`
		}{opts.ID, true})
	}
	fmt.Fprintf(opts.IO.Out, "aborted the move of tenant %s: its copy, publication and subscription are gone; it stays where it was\n", opts.ID)
	return nil
}
