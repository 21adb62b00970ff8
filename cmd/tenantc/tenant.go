package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/tenancy"
)

// newTenantCmd is `tenantc tenant` and its subcommands, each a thin layer
// over the tenant lifecycle functions of package migrate.
func newTenantCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Create, drop, list, adopt, rename and move tenants",
		Long: `Tenant manages the tenants of the registry table: each command runs in one
transaction, so a tenant is either fully there (schema at the latest tenant
version, revisions recorded, registry row) or not at all. Move, across the
servers of tenantc.yaml, runs in recorded steps that a re-run resumes.

The database is --url, or DATABASE_URL.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newTenantCreateCmd(s, nil),
		newTenantDropCmd(s, nil),
		newTenantListCmd(s, nil),
		newTenantAdoptCmd(s, nil),
		newTenantRenameCmd(s, nil),
		newTenantMoveCmd(s, nil),
	)
	return cmd
}

// tenantFlags are the flags every tenant subcommand has.
type tenantFlags struct {
	ConfigPath string
	URL        string
}

func (f *tenantFlags) add(cmd *cobra.Command) {
	addConfigFlag(cmd, &f.ConfigPath)
	cmd.Flags().StringVar(&f.URL, "url", "", "database `url` (default $DATABASE_URL)")
}

func (f *tenantFlags) check(cmd *cobra.Command) error {
	return checkDatabase(cmd, f.ConfigPath, &f.URL, os.Getenv("DATABASE_URL"))
}

// exactArgs is cobra.ExactArgs reported as a usage error naming the
// arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("want %s, got %d arguments", strings.Join(names, " "), len(args))}
		}
		return nil
	}
}

// tenantSession is a loaded config and an open pool.
func tenantSession(ctx context.Context, f *tenantFlags, do func(*config.Config, *pgxpool.Pool) error) error {
	cfg, err := loadConfig(f.ConfigPath)
	if err != nil {
		return err
	}
	if len(cfg.Servers) > 0 {
		return errOneServer
	}
	pool, err := connect(ctx, f.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	return do(cfg, pool)
}

// badInput turns an invalid id or schema name into a usage error (exit 2):
// the command line, not the database, is wrong.
func badInput(cmdPath string, err error) error {
	if errors.Is(err, tenancy.ErrInvalidTenantID) || errors.Is(err, tenancy.ErrInvalidSchemaName) {
		return &usageError{cmd: cmdPath, err: err}
	}
	return err
}

// --- tenant create

type tenantCreateOptions struct {
	IO *streams
	tenantFlags
	ID, Schema string
	// Server is the server to create the tenant on, when tenantc.yaml
	// lists servers; "" places it on the one with the fewest tenants.
	Server string
	// Set are column=value pairs for the registry row's own columns.
	Set     []string
	text    map[string]string // Set, parsed
	cmdPath string
}

func newTenantCreateCmd(s *streams, runF func(*tenantCreateOptions) error) *cobra.Command {
	opts := &tenantCreateOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "create ID",
		Short: "Create a tenant: schema at the latest version, revisions and registry row",
		Long: `Create makes the schema of tenant ID (tenant_schema in tenantc.yaml, or
--schema), builds it at the latest tenant migration version from a cached
baseline script, records the versions and inserts the registry row, all in
one transaction.

It refuses, changing nothing, when migrations are pending on the database
(run tenantc migrate apply), when ID or the schema name is invalid (exit 2),
or when the tenant or its schema exists.

When the annotated schema declares the registry table with more columns
(a NOT NULL name), --set column=value fills them; each value is converted
to its column's type by PostgreSQL.

When tenantc.yaml lists servers, the tenant is created on the server with
the fewest tenants, or on --server NAME, and registered on the control
server with its server's name.`,
		Example: `  tenantc tenant create acme
  tenantc tenant create acme --schema customer_acme
  tenantc tenant create acme --set name=ACME --set seats=10   # a registry table with more columns`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.cmdPath = args[0], cmd.CommandPath()
			if err := opts.check(cmd); err != nil {
				return err
			}
			text, err := registryText(opts.cmdPath, opts.Set)
			if err != nil {
				return err
			}
			opts.text = text
			if runF != nil {
				return runF(opts)
			}
			return tenantCreateRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().StringVar(&opts.Schema, "schema", "", "schema `name` (default: tenant_schema with {id} replaced)")
	cmd.Flags().StringArrayVar(&opts.Set, "set", nil, "registry `column=value` for a column of the registry table; repeatable")
	cmd.Flags().StringVar(&opts.Server, "server", "", "server `name` from tenantc.yaml's servers (default: the one with the fewest tenants)")
	return cmd
}

// registryText parses --set column=value pairs.
func registryText(cmdPath string, pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		col, val, ok := strings.Cut(p, "=")
		if !ok || col == "" {
			return nil, &usageError{cmd: cmdPath, err: fmt.Errorf("--set %q: want column=value", p)}
		}
		if _, dup := out[col]; dup {
			return nil, &usageError{cmd: cmdPath, err: fmt.Errorf("--set: column %q given twice", col)}
		}
		out[col] = val
	}
	return out, nil
}

func tenantCreateRun(ctx context.Context, opts *tenantCreateOptions) error {
	if cfg, err := loadConfig(opts.ConfigPath); err == nil && len(cfg.Servers) > 0 {
		return tenantCreateServersRun(ctx, opts, cfg)
	}
	if opts.Server != "" {
		return &usageError{cmd: opts.cmdPath, err: errors.New("--server needs servers in tenantc.yaml")}
	}
	return tenantSession(ctx, &opts.tenantFlags, func(cfg *config.Config, pool *pgxpool.Pool) error {
		mopts := []migrate.CreateOption{migrate.WithLogger(opts.IO.Logger()), migrate.WithRegistryText(opts.text)}
		if opts.Schema != "" {
			mopts = append(mopts, migrate.WithSchemaName(opts.Schema))
		}
		start := time.Now()
		info, err := migrate.CreateTenant(ctx, pool, cfg, opts.ID, mopts...)
		if err != nil {
			return badInput(opts.cmdPath, err)
		}
		fmt.Fprintf(opts.IO.Out, "created tenant %s (schema %s) at version %s in %s\n",
			info.ID, info.Schema, orNone(info.Version), time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// --- tenant drop

type tenantDropOptions struct {
	IO *streams
	tenantFlags
	ID      string
	Yes     bool
	cmdPath string
}

func newTenantDropCmd(s *streams, runF func(*tenantDropOptions) error) *cobra.Command {
	opts := &tenantDropOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "drop ID",
		Short: "Drop a tenant: its schema with all its data, revisions and registry row",
		Long: `Drop removes tenant ID in one transaction: DROP SCHEMA ... CASCADE, its
revision rows and its registry row. On a terminal it asks first; otherwise
--yes is required (exit 2 without it).`,
		Example: `  tenantc tenant drop acme --yes`,
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.cmdPath = args[0], cmd.CommandPath()
			if err := opts.check(cmd); err != nil {
				return err
			}
			if !opts.Yes && !isTerminalReader(opts.IO.In) {
				return &usageError{cmd: cmd.CommandPath(), err: errors.New("dropping a tenant deletes its data: pass --yes (stdin is not a terminal)")}
			}
			if runF != nil {
				return runF(opts)
			}
			return tenantDropRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func tenantDropRun(ctx context.Context, opts *tenantDropOptions) error {
	if !opts.Yes && !confirm(opts.IO.In, opts.IO.Err, fmt.Sprintf("Drop tenant %q and all its data? Type the id to confirm: ", opts.ID), opts.ID) {
		fmt.Fprintln(opts.IO.Err, "not dropped")
		return errSilent
	}
	if cfg, err := loadConfig(opts.ConfigPath); err == nil && len(cfg.Servers) > 0 {
		return tenantDropServersRun(ctx, opts, cfg)
	}
	return tenantSession(ctx, &opts.tenantFlags, func(cfg *config.Config, pool *pgxpool.Pool) error {
		if err := migrate.DropTenant(ctx, pool, cfg, opts.ID, migrate.WithLogger(opts.IO.Logger())); err != nil {
			return badInput(opts.cmdPath, err)
		}
		fmt.Fprintf(opts.IO.Out, "dropped tenant %s\n", opts.ID)
		return nil
	})
}

// confirm asks on w and reads one line from r; only the expected answer
// confirms.
func confirm(r io.Reader, w io.Writer, prompt, want string) bool {
	fmt.Fprint(w, prompt)
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return false
	}
	return strings.TrimSpace(line) == want
}

// isTerminalReader reports whether r is a terminal, where asking makes
// sense.
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// --- tenant list

type tenantListOptions struct {
	IO *streams
	tenantFlags
	Format string
}

func newTenantListCmd(s *streams, runF func(*tenantListOptions) error) *cobra.Command {
	opts := &tenantListOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tenants: id, schema, version, created_at",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format != "text" && opts.Format != "json" {
				return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("--format must be text or json, not %q", opts.Format)}
			}
			if err := opts.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return tenantListRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output `format`: text, json")
	return cmd
}

func tenantListRun(ctx context.Context, opts *tenantListOptions) error {
	if cfg, err := loadConfig(opts.ConfigPath); err == nil && len(cfg.Servers) > 0 {
		return tenantListServersRun(ctx, opts, cfg)
	}
	return tenantSession(ctx, &opts.tenantFlags, func(cfg *config.Config, pool *pgxpool.Pool) error {
		list, err := migrate.ListTenants(ctx, pool, cfg, migrate.WithLogger(opts.IO.Logger()))
		if err != nil {
			return err
		}
		if opts.Format == "json" {
			return writeJSON(opts.IO.Out, list)
		}
		tw := tabwriter.NewWriter(opts.IO.Out, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSCHEMA\tVERSION\tCREATED_AT")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Schema, orNone(t.Version), t.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	})
}

// --- tenant adopt

type tenantAdoptOptions struct {
	IO *streams
	tenantFlags
	ID, From, Schema string
	cmdPath          string
}

func newTenantAdoptCmd(s *streams, runF func(*tenantAdoptOptions) error) *cobra.Command {
	opts := &tenantAdoptOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "adopt ID --from SCHEMA",
		Short: "Turn the tables of an existing single-tenant schema into tenant ID",
		Long: `Adopt compares the tenant objects of SCHEMA with the state of each tenant
migration version, picks the latest version that matches, moves those
objects (with their rows) into the new tenant's schema with ALTER ... SET
SCHEMA, records the versions and inserts the registry row, in one
transaction. Other objects of SCHEMA stay. When no version matches, nothing
changes and the differences from the closest version are printed. Run
tenantc migrate apply afterwards to bring the tenant to the latest version.`,
		Example: `  tenantc tenant adopt first --from public`,
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.cmdPath = args[0], cmd.CommandPath()
			if opts.From == "" {
				return &usageError{cmd: cmd.CommandPath(), err: errors.New("--from SCHEMA is required")}
			}
			if err := opts.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return tenantAdoptRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().StringVar(&opts.From, "from", "", "existing `schema` holding the tenant's tables")
	cmd.Flags().StringVar(&opts.Schema, "schema", "", "schema `name` (default: tenant_schema with {id} replaced)")
	return cmd
}

func tenantAdoptRun(ctx context.Context, opts *tenantAdoptOptions) error {
	return tenantSession(ctx, &opts.tenantFlags, func(cfg *config.Config, pool *pgxpool.Pool) error {
		mopts := []migrate.AdoptOption{migrate.WithLogger(opts.IO.Logger())}
		if opts.Schema != "" {
			mopts = append(mopts, migrate.WithSchemaName(opts.Schema))
		}
		info, err := migrate.AdoptTenant(ctx, pool, cfg, opts.ID, opts.From, mopts...)
		if err != nil {
			return badInput(opts.cmdPath, err)
		}
		fmt.Fprintf(opts.IO.Out, "adopted tenant %s (schema %s) from %s at version %s\n", info.ID, info.Schema, opts.From, orNone(info.Version))
		return nil
	})
}

// --- tenant rename

type tenantRenameOptions struct {
	IO *streams
	tenantFlags
	Old, New, Schema string
	cmdPath          string
}

func newTenantRenameCmd(s *streams, runF func(*tenantRenameOptions) error) *cobra.Command {
	opts := &tenantRenameOptions{IO: s}
	cmd := &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Change a tenant's id, and with --schema its schema name",
		Long: `Rename changes the id of tenant OLD to NEW in the registry and the
revisions table, in one transaction. The schema keeps its name unless
--schema is given, which renames it (ALTER SCHEMA ... RENAME) and points the
tenant's functions at the new name.`,
		Example: `  tenantc tenant rename acme acme_corp --schema tenant_acme_corp`,
		Args:    exactArgs("OLD", "NEW"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New, opts.cmdPath = args[0], args[1], cmd.CommandPath()
			if err := opts.check(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return tenantRenameRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().StringVar(&opts.Schema, "schema", "", "new schema `name` (default: keep the schema)")
	return cmd
}

func tenantRenameRun(ctx context.Context, opts *tenantRenameOptions) error {
	return tenantSession(ctx, &opts.tenantFlags, func(cfg *config.Config, pool *pgxpool.Pool) error {
		mopts := []migrate.RenameOption{migrate.WithLogger(opts.IO.Logger())}
		if opts.Schema != "" {
			mopts = append(mopts, migrate.WithSchemaName(opts.Schema))
		}
		info, err := migrate.RenameTenant(ctx, pool, cfg, opts.Old, opts.New, mopts...)
		if err != nil {
			return badInput(opts.cmdPath, err)
		}
		fmt.Fprintf(opts.IO.Out, "renamed tenant %s to %s (schema %s)\n", opts.Old, info.ID, info.Schema)
		return nil
	})
}
