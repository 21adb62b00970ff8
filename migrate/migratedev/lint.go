package migratedev

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"ariga.io/atlas/schemahcl"
	"ariga.io/atlas/sql/postgres"
	_ "ariga.io/atlas/sql/postgres/postgrescheck" // registers the PostgreSQL analyzers
	atlasschema "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlcheck"
	"ariga.io/atlas/sql/sqlclient"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
	"github.com/tenantc/tenantc/position"
)

// LintReport is every finding of [Lint], sorted by position.
type LintReport struct {
	Files       []string         `json:"files"` // linted, relative to the config's directory
	Diagnostics []LintDiagnostic `json:"diagnostics"`
}

// HasErrors reports whether any finding is an error.
func (r *LintReport) HasErrors() bool {
	for _, d := range r.Diagnostics {
		if d.Severity == "error" {
			return true
		}
	}
	return false
}

// LintDiagnostic is one finding of an Atlas analyzer at a statement of a
// migration file. Rule is Atlas's stable code (DS103, MF103, BC102, …).
type LintDiagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"` // "error" or "warning"
	Message  string `json:"message"`
}

// WithLatest makes [Lint] check the last n files of each directory instead
// of the pending ones.
func WithLatest(n int) LintOption { return lintOnly(func(o *options) { o.latest = n }) }

// Lint runs Atlas's analyzers (destructive changes, data-dependent changes
// such as a new NOT NULL or unique constraint, backward-incompatible
// renames, constraint drops) on the pending files of both directories.
// The revisions of pool, the target database, decide which files are
// pending: for the shared directory, the files not applied to the shared
// schema; for the tenant directory, the files some tenant has not applied.
// With a nil pool, or with [WithLatest], the last files are linted, by
// default the last one of each directory. Each file is replayed on the
// dev database statement by statement, as Atlas does, so every finding
// points at its statement. Findings of analyzers that Atlas configures as
// errors (destructive changes) are errors, the rest warnings.
func Lint(ctx context.Context, pool migrate.DB, cfg *config.Config, opts ...LintOption) (*LintReport, error) {
	o := newOptions(opts)
	o.pool = pool
	return lint(ctx, cfg, o)
}

func lint(ctx context.Context, cfg *config.Config, o *options) (*LintReport, error) {
	sharedFiles, tenantFiles, err := migdir.Read(cfg, o.fsys)
	if err != nil {
		return nil, err
	}
	sharedFrom, tenantFrom, serversErr, err := lintStart(ctx, cfg, o, sharedFiles, tenantFiles)
	if err != nil {
		return nil, err
	}
	rep := &LintReport{Files: []string{}, Diagnostics: []LintDiagnostic{}}
	if sharedFrom == len(sharedFiles) && tenantFrom == len(tenantFiles) {
		return rep, serversErr
	}
	azs, err := sqlcheck.AnalyzerFor(postgres.DriverName, &schemahcl.Resource{})
	if err != nil {
		return nil, fmt.Errorf("load analyzers: %w", err)
	}
	env, err := openDev(ctx, cmpOr(o.devURL, cfg.Migrations.DevURL))
	if err != nil {
		return nil, err
	}
	defer env.close()
	sides := []struct {
		dir    string
		files  []migdir.File
		from   int
		schema string
		path   []string
	}{
		{migdir.SharedDir, sharedFiles, sharedFrom, cfg.SharedSchema, []string{cfg.SharedSchema}},
		{migdir.TenantDir, tenantFiles, tenantFrom, scratchTenant, []string{scratchTenant, cfg.SharedSchema}},
	}
	for _, side := range sides {
		if side.from == len(side.files) {
			continue
		}
		db, err := env.create(ctx)
		if err != nil {
			return nil, err
		}
		err = func() error {
			defer db.drop(context.WithoutCancel(ctx))
			// State before the first linted file: all of shared (for the
			// tenant side, whose files may reference it), and the earlier
			// files of this side.
			shared, tenant := migdir.Replay(sharedFiles, ""), migdir.Replay(tenantFiles[:tenantFrom], "")
			if side.dir == migdir.SharedDir {
				shared, tenant = migdir.Replay(sharedFiles[:sharedFrom], ""), nil
			}
			if _, err := loadInto(ctx, db, cfg.SharedSchema, shared, tenant); err != nil {
				return fmt.Errorf("replay %s migrations on the dev database: %w", side.dir, err)
			}
			if err := db.load(ctx, side.schema, side.path, nil); err != nil {
				return err
			}
			for _, f := range side.files[side.from:] {
				name := migdir.Path(cfg, o.fsys, side.dir, f.Name)
				rep.Files = append(rep.Files, name)
				diags, err := lintFile(ctx, db, azs, side.schema, f)
				if err != nil {
					return fmt.Errorf("lint %s: %w", name, err)
				}
				pf := sqlpos.NewFile(name, f.Atlas.Bytes())
				for _, d := range diags {
					pos := pf.Pos(d.Pos)
					sev := "warning"
					if d.err {
						sev = "error"
					}
					rep.Diagnostics = append(rep.Diagnostics, LintDiagnostic{
						File: name, Line: pos.Line, Col: pos.Col, Rule: d.Code, Severity: sev, Message: d.Text,
					})
				}
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(rep.Diagnostics, func(i, j int) bool {
		a, b := rep.Diagnostics[i], rep.Diagnostics[j]
		return position.Pos{File: a.File, Line: a.Line, Col: a.Col}.Compare(position.Pos{File: b.File, Line: b.Line, Col: b.Col}) < 0
	})
	return rep, serversErr
}

// lintStart returns the index of the first file to lint in each directory.
// Across servers ([LintServers]), a file is pending while any server lacks
// it; a server that cannot be read counts as lacking every file, and its
// error, wrapping [migrate.ErrServersFailed], is returned as serversErr.
func lintStart(ctx context.Context, cfg *config.Config, o *options, shared, tenant []migdir.File) (sharedFrom, tenantFrom int, serversErr, err error) {
	if o.pool == nil && o.servers == nil {
		n := max(o.latest, 1)
		return max(len(shared)-n, 0), max(len(tenant)-n, 0), nil, nil
	}
	if o.latest > 0 {
		return max(len(shared)-o.latest, 0), max(len(tenant)-o.latest, 0), nil, nil
	}
	var st *migrate.StatusReport
	sharedDone := func(v string) bool { return slices.Contains(st.Shared.Applied, v) }
	if o.servers != nil {
		st, serversErr = o.servers.Status(ctx, cfg, migrate.WithMigrationsFS(o.fsys))
		if st == nil {
			return 0, 0, nil, serversErr
		}
		sharedDone = func(v string) bool {
			for _, srv := range st.Servers {
				if !slices.Contains(srv.Shared.Applied, v) {
					return false
				}
			}
			return true
		}
	} else if st, err = migrate.Status(ctx, o.pool, cfg, migrate.WithMigrationsFS(o.fsys)); err != nil {
		return 0, 0, nil, err
	}
	first := func(files []migdir.File, done func(string) bool) int {
		for i, f := range files {
			if !done(f.Version) {
				return i
			}
		}
		return len(files)
	}
	return first(shared, sharedDone),
		first(tenant, func(v string) bool {
			// Pending while any tenant lacks it; with no tenants, nothing
			// has been applied anywhere and every file is pending.
			if len(st.Tenants) == 0 {
				return false
			}
			for _, t := range st.Tenants {
				if !slices.Contains(t.Applied, v) {
					return false
				}
			}
			return true
		}), serversErr, nil
}

// lintFile runs f's statements one by one in schemaName on db, records
// the schema changes each made, and runs the analyzers.
func lintFile(ctx context.Context, db *devDB, azs []sqlcheck.Analyzer, schemaName string, f migdir.File) ([]finding, error) {
	decls, err := f.Atlas.StmtDecls()
	if err != nil {
		return nil, err
	}
	inspect := func() (*atlasschema.Realm, error) { return db.inspect(ctx, schemaName) }
	from, err := inspect()
	if err != nil {
		return nil, err
	}
	file := &sqlcheck.File{File: f.Atlas, From: from}
	prev := from
	for _, st := range decls {
		if _, err := db.conn.Exec(ctx, st.Text); err != nil {
			return nil, fmt.Errorf("statement at byte %d: %w", st.Pos, err)
		}
		cur, err := inspect()
		if err != nil {
			return nil, err
		}
		changes, err := db.drv.RealmDiff(prev, cur)
		if err != nil {
			return nil, fmt.Errorf("diff statement at byte %d: %w", st.Pos, err)
		}
		if len(changes) > 0 {
			file.Changes = append(file.Changes, &sqlcheck.Change{Stmt: st, Changes: changes})
		}
		prev = cur
	}
	file.To = prev
	var diags, out []finding
	pass := &sqlcheck.Pass{
		File: file,
		Dev:  &sqlclient.Client{Name: postgres.DriverName, DB: db.db, Driver: db.drv},
		Reporter: sqlcheck.ReportWriterFunc(func(r sqlcheck.Report) {
			for _, d := range r.Diagnostics {
				diags = append(diags, finding{Diagnostic: d})
			}
		}),
	}
	for _, az := range azs {
		diags = diags[:0]
		err := az.Analyze(ctx, pass)
		// An analyzer configured as an error (destructive changes by
		// default) reports its findings and then returns an error.
		if err != nil && len(diags) == 0 {
			return nil, fmt.Errorf("analyzer %T: %w", az, err)
		}
		for _, d := range diags {
			d.err = err != nil
			out = append(out, d)
		}
	}
	return out, nil
}

// finding is a diagnostic and whether its analyzer treats it as an error.
type finding struct {
	sqlcheck.Diagnostic
	err bool
}
