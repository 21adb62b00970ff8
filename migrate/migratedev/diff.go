package migratedev

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	atlasschema "ariga.io/atlas/sql/schema"
	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/migrate/internal/inspect"
	"github.com/tenantc/tenantc/migrate/internal/migdir"
	"github.com/tenantc/tenantc/schema"
)

// DiffResult is what [Diff] wrote.
type DiffResult struct {
	// Files are the paths written, migration files and atlas.sum, empty
	// when the migration directories already match the schema.
	Files []string
	// Shared and Tenant are the planned statements of each side, nil when
	// that side has no change.
	Shared, Tenant []string
}

// Changed reports whether Diff wrote anything.
func (r *DiffResult) Changed() bool { return len(r.Files) > 0 }

// DestructiveError lists the changes of a plan that drop data. [Diff]
// returns it unless [WithAllowDestructive] is given; test with errors.As.
type DestructiveError struct {
	Changes []string // e.g. `tenant: drop column "orders"."note"`
	// Renames pair each dropped table or column with an added one of the
	// same shape (a table with the same columns, a column of the same type
	// and nullability): renames that Atlas cannot tell from a drop and an
	// add. Passing their [RenameCandidate.Hint] to [WithRename] plans them
	// as renames.
	Renames []RenameCandidate
}

func (e *DestructiveError) Error() string {
	msg := "the plan drops data (allow it explicitly, or add a rename hint):\n  " + strings.Join(e.Changes, "\n  ")
	for _, r := range e.Renames {
		msg += fmt.Sprintf("\nif %s was renamed to %q, the rename hint is %s", r.FromName(), r.To, r.Hint())
	}
	return msg
}

// RenameCandidate is a drop and an add that may be one rename.
type RenameCandidate struct {
	Side  string // "shared" or "tenant"
	Table string // the column's table; "" for a table rename
	From  string
	To    string
}

// Hint is the candidate as a [WithRename] hint: "old:new" for a table,
// "table.old:new" for a column.
func (r RenameCandidate) Hint() string {
	if r.Table == "" {
		return r.From + ":" + r.To
	}
	return r.Table + "." + r.From + ":" + r.To
}

// FromName names the dropped object for messages: table "old", or column
// "table"."old".
func (r RenameCandidate) FromName() string {
	if r.Table == "" {
		return fmt.Sprintf("table %q", r.From)
	}
	return fmt.Sprintf("column %q.%q", r.Table, r.From)
}

// WithAllowDestructive lets [Diff] write plans that drop tables or columns.
func WithAllowDestructive(b bool) DiffOption {
	return diffOnly(func(o *options) { o.allowDestructive = b })
}

// WithVersion fixes the version of the files [Diff] writes (normally the
// current UTC time, YYYYMMDDHHMMSS).
func WithVersion(v string) DiffOption { return diffOnly(func(o *options) { o.version = v }) }

// WithRename tells [Diff] that a table or column was renamed rather than
// dropped and re-created, which Atlas cannot tell apart: "old:new" for a
// table, "table.old:new" for a column of table.
func WithRename(hint string) DiffOption {
	return diffOnly(func(o *options) {
		r, err := parseRename(hint)
		if err != nil {
			o.err = errors.Join(o.err, err)
			return
		}
		o.renames = append(o.renames, r)
	})
}

type rename struct{ table, from, to string } // table set for a column

var renameHint = regexp.MustCompile(`^(?:([a-z_][a-z0-9_$]*)\.)?([a-z_][a-z0-9_$]*):([a-z_][a-z0-9_$]*)$`)

func parseRename(h string) (rename, error) {
	m := renameHint.FindStringSubmatch(h)
	if m == nil {
		return rename{}, fmt.Errorf("rename hint %q: want old:new or table.old:new", h)
	}
	return rename{table: m[1], from: m[2], to: m[3]}, nil
}

var versionRe = regexp.MustCompile(`^[0-9]{14}$`)

// migrationName is what [migrate.New] accepts as a file name too.
var migrationName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Diff replays the migration directories on the dev database, loads the
// annotated schema's desired state next to it, and writes a migration file
// named name for each side that differs: migrations/shared (qualified with
// the shared schema) and migrations/tenant (unqualified; references to
// shared objects stay qualified), both with the same version, and their
// atlas.sum files. When nothing differs nothing is written.
//
// Atlas plans tables, columns, indexes, foreign keys, checks and enums;
// views, functions, triggers, domains, composite types and sequences are
// planned by tenantc (see the package documentation).
func Diff(ctx context.Context, cfg *config.Config, cat *schema.Catalog, name string, opts ...DiffOption) (*DiffResult, error) {
	o := newOptions(opts)
	if o.err != nil {
		return nil, o.err
	}
	if !migrationName.MatchString(name) {
		return nil, fmt.Errorf("migration name %q: use lower-case letters, digits and _", name)
	}
	stmts, err := schema.Statements(cat)
	if err != nil {
		return nil, err
	}
	wantShared, wantTenant := splitByScope(cfg, stmts)
	sharedFiles, tenantFiles, err := migdir.Read(cfg, nil)
	if err != nil {
		return nil, err
	}

	env, err := openDev(ctx, cmpOr(o.devURL, cfg.Migrations.DevURL))
	if err != nil {
		return nil, err
	}
	defer env.close()
	desired, err := loadState(ctx, env, cfg.SharedSchema, wantShared, wantTenant)
	if err != nil {
		return nil, fmt.Errorf("load the annotated schema on the dev database: %w", err)
	}
	defer desired.db.drop(context.WithoutCancel(ctx))
	current, err := loadState(ctx, env, cfg.SharedSchema, migdir.Replay(sharedFiles, ""), migdir.Replay(tenantFiles, ""))
	if err != nil {
		return nil, fmt.Errorf("replay the migration directories on the dev database: %w", err)
	}
	defer current.db.drop(context.WithoutCancel(ctx))
	o.log.Debug("states loaded", "dev_database", desired.db.name, "shared_files", len(sharedFiles), "tenant_files", len(tenantFiles))

	sharedChanges, tenantChanges, err := schemaChanges(desired.db.drv, current, desired, cfg.SharedSchema, o)
	if err != nil {
		return nil, err
	}
	sharedObjs, err := diffObjects(ctx, desired, current, cfg.SharedSchema, wantShared, false)
	if err != nil {
		return nil, err
	}
	tenantObjs, err := diffObjects(ctx, desired, current, scratchTenant, wantTenant, true)
	if err != nil {
		return nil, err
	}

	o.log.Debug("diffed", "shared_changes", len(sharedChanges), "tenant_changes", len(tenantChanges))
	res := &DiffResult{}
	if len(sharedChanges) == 0 && len(tenantChanges) == 0 && sharedObjs.empty() && tenantObjs.empty() {
		return res, nil
	}
	version, err := newVersion(o.version, sharedFiles, tenantFiles)
	if err != nil {
		return nil, err
	}
	ds, err := openDirs(cfg)
	if err != nil {
		return nil, err
	}
	w := planWriter{drv: desired.db.drv, name: name, version: version, res: res}
	if res.Shared, err = w.write(ctx, ds.shared, sharedChanges, sharedObjs); err != nil {
		return nil, err
	}
	// Tenant files are unqualified so that one file serves every tenant
	// schema, while references to shared objects keep the shared schema.
	// Atlas's empty schema qualifier would drop both (v1.3.0 writes
	// REFERENCES without the parent's schema), so the plan is made fully
	// qualified and the scratch tenant schema's qualifier is cut out; the
	// scratch name is tenantc's own and appears nowhere else. Types of
	// columns are printed by PostgreSQL itself, qualified without quotes.
	if res.Tenant, err = w.write(ctx, ds.tenant, tenantChanges, tenantObjs, pgx.Identifier{scratchTenant}.Sanitize()+".", scratchTenant+"."); err != nil {
		return nil, err
	}
	return res, nil
}

// splitByScope splits the schema's statements into the shared and the
// tenant side, each with the position it came from.
func splitByScope(cfg *config.Config, stmts []schema.Statement) (shared, tenant []migdir.Stmt) {
	for _, s := range stmts {
		st := migdir.Stmt{SQL: s.SQL, Where: cfg.Rel(s.Pos.File) + fmt.Sprintf(":%d:%d", s.Pos.Line, s.Pos.Col)}
		if s.Scope == schema.Tenant {
			tenant = append(tenant, st)
		} else {
			shared = append(shared, st)
		}
	}
	return shared, tenant
}

// schemaChanges is what Atlas plans for each side, from current to desired,
// with the rename hints applied; it refuses enum changes PostgreSQL cannot
// make and, unless allowed, destructive changes.
func schemaChanges(drv atlasmigrate.Driver, current, desired *state, sharedSchema string, o *options) (shared, tenant []atlasschema.Change, err error) {
	shared, err = drv.SchemaDiff(inspect.SchemaOf(current.realm, sharedSchema), inspect.SchemaOf(desired.realm, sharedSchema))
	if err != nil {
		return nil, nil, fmt.Errorf("diff shared schema: %w", err)
	}
	tenant, err = drv.SchemaDiff(inspect.SchemaOf(current.realm, scratchTenant), inspect.SchemaOf(desired.realm, scratchTenant))
	if err != nil {
		return nil, nil, fmt.Errorf("diff tenant schema: %w", err)
	}
	if shared, err = applyRenames(drv, shared, o.renames); err != nil {
		return nil, nil, err
	}
	if tenant, err = applyRenames(drv, tenant, o.renames); err != nil {
		return nil, nil, err
	}
	if err := checkEnums("shared", shared); err != nil {
		return nil, nil, err
	}
	if err := checkEnums("tenant", tenant); err != nil {
		return nil, nil, err
	}
	if !o.allowDestructive {
		d := append(destructive("shared", shared), destructive("tenant", tenant)...)
		if len(d) > 0 {
			renames := append(renameCandidates("shared", shared), renameCandidates("tenant", tenant)...)
			return nil, nil, &DestructiveError{Changes: d, Renames: renames}
		}
	}
	return shared, tenant, nil
}

// newVersion returns the version of the new migration: the one asked for,
// or one from the clock after every existing file's.
func newVersion(asked string, sharedFiles, tenantFiles []migdir.File) (string, error) {
	version := asked
	if version == "" {
		version = migdir.NextVersion(time.Now(), sharedFiles, tenantFiles)
	}
	if !versionRe.MatchString(version) {
		return "", fmt.Errorf("migration version %q: want YYYYMMDDHHMMSS", version)
	}
	for _, fs := range [][]migdir.File{sharedFiles, tenantFiles} {
		if n := len(fs); n > 0 && fs[n-1].Version >= version {
			return "", fmt.Errorf("migration version %s is not after the latest existing version %s", version, fs[n-1].Version)
		}
	}
	return version, nil
}

// planWriter writes the migration file of one Diff to each directory that
// has changes, recording the files in res.
type planWriter struct {
	drv           atlasmigrate.Driver
	name, version string
	res           *DiffResult
}

// write plans changes and objs into dir, with each of strip cut out of
// Atlas's statements, and returns the statements written; nil when there
// is nothing to write.
func (w planWriter) write(ctx context.Context, dir *atlasmigrate.LocalDir, changes []atlasschema.Change, objs *objectPlan, strip ...string) ([]string, error) {
	if len(changes) == 0 && objs.empty() {
		return nil, nil
	}
	plan := &atlasmigrate.Plan{}
	if len(changes) > 0 {
		var err error
		if plan, err = w.drv.PlanChanges(ctx, w.name, changes, func(po *atlasmigrate.PlanOptions) {
			po.Mode = atlasmigrate.PlanModeDeferred
		}); err != nil {
			return nil, fmt.Errorf("plan %s: %w", filepath.Base(dir.Path()), err)
		}
	}
	for _, c := range plan.Changes {
		for _, q := range strip {
			c.Cmd = strings.ReplaceAll(c.Cmd, q, "")
		}
	}
	plan.Changes = objs.around(plan.Changes)
	plan.Version, plan.Name = w.version, w.name
	if err := atlasmigrate.NewPlanner(w.drv, dir).WritePlan(plan); err != nil {
		return nil, fmt.Errorf("write plan to %s: %w", dir.Path(), err)
	}
	w.res.Files = append(w.res.Files,
		filepath.Join(dir.Path(), w.version+"_"+w.name+".sql"),
		filepath.Join(dir.Path(), atlasmigrate.HashFileName))
	var cmds []string
	for _, c := range plan.Changes {
		cmds = append(cmds, c.Cmd)
	}
	return cmds, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// state is a loaded dev database and its inspected schemas.
type state struct {
	db    *devDB
	realm *atlasschema.Realm
}

// loadState creates a dev database holding the shared schema (statements
// run with search_path = shared) and the scratch tenant schema (search_path
// = tenant, shared), and inspects both. The caller drops the database.
func loadState(ctx context.Context, env *devEnv, shared string, sharedStmts, tenantStmts []migdir.Stmt) (*state, error) {
	db, err := env.create(ctx)
	if err != nil {
		return nil, err
	}
	r, err := loadInto(ctx, db, shared, sharedStmts, tenantStmts)
	if err != nil {
		db.drop(context.WithoutCancel(ctx))
		return nil, err
	}
	return &state{db: db, realm: r}, nil
}

func loadInto(ctx context.Context, db *devDB, shared string, sharedStmts, tenantStmts []migdir.Stmt) (*atlasschema.Realm, error) {
	if err := db.load(ctx, shared, []string{shared}, sharedStmts); err != nil {
		return nil, err
	}
	if err := db.load(ctx, scratchTenant, []string{scratchTenant, shared}, tenantStmts); err != nil {
		return nil, err
	}
	return db.inspect(ctx, shared, scratchTenant)
}

// diffObjects plans one side's views, functions, triggers, domains,
// composite types and sequences.
func diffObjects(ctx context.Context, desired, current *state, schemaName string, stmts []migdir.Stmt, tenant bool) (*objectPlan, error) {
	want, err := inspect.ReadObjects(ctx, desired.db.conn, schemaName)
	if err != nil {
		return nil, err
	}
	have, err := inspect.ReadObjects(ctx, current.db.conn, schemaName)
	if err != nil {
		return nil, err
	}
	return planObjects(want, have, stmts, tenant)
}

// applyRenames turns a drop and an add that a hint names into a rename.
func applyRenames(drv atlasmigrate.Driver, changes []atlasschema.Change, hints []rename) ([]atlasschema.Change, error) {
	for _, h := range hints {
		if h.table == "" {
			di := indexOf(changes, func(c atlasschema.Change) bool {
				d, ok := c.(*atlasschema.DropTable)
				return ok && d.T.Name == h.from
			})
			ai := indexOf(changes, func(c atlasschema.Change) bool {
				a, ok := c.(*atlasschema.AddTable)
				return ok && a.T.Name == h.to
			})
			if di < 0 || ai < 0 {
				continue
			}
			from, to := changes[di].(*atlasschema.DropTable).T, changes[ai].(*atlasschema.AddTable).T
			renamed := *from
			renamed.Name = to.Name
			rest, err := drv.TableDiff(&renamed, to)
			if err != nil {
				return nil, fmt.Errorf("diff renamed table %s: %w", to.Name, err)
			}
			repl := []atlasschema.Change{&atlasschema.RenameTable{From: from, To: to}}
			if len(rest) > 0 {
				repl = append(repl, &atlasschema.ModifyTable{T: to, Changes: rest})
			}
			changes = replace(changes, di, ai, repl)
			continue
		}
		for _, c := range changes {
			m, ok := c.(*atlasschema.ModifyTable)
			if !ok || m.T.Name != h.table {
				continue
			}
			di := indexOf(m.Changes, func(c atlasschema.Change) bool {
				d, ok := c.(*atlasschema.DropColumn)
				return ok && d.C.Name == h.from
			})
			ai := indexOf(m.Changes, func(c atlasschema.Change) bool {
				a, ok := c.(*atlasschema.AddColumn)
				return ok && a.C.Name == h.to
			})
			if di < 0 || ai < 0 {
				continue
			}
			from, to := m.Changes[di].(*atlasschema.DropColumn).C, m.Changes[ai].(*atlasschema.AddColumn).C
			m.Changes = replace(m.Changes, di, ai, []atlasschema.Change{&atlasschema.RenameColumn{From: from, To: to}})
		}
	}
	return changes, nil
}

func indexOf(cs []atlasschema.Change, f func(atlasschema.Change) bool) int {
	for i, c := range cs {
		if f(c) {
			return i
		}
	}
	return -1
}

// replace removes changes i and j and puts repl where the first was.
func replace(cs []atlasschema.Change, i, j int, repl []atlasschema.Change) []atlasschema.Change {
	lo, hi := min(i, j), max(i, j)
	out := make([]atlasschema.Change, 0, len(cs)+len(repl))
	out = append(out, cs[:lo]...)
	out = append(out, repl...)
	out = append(out, cs[lo+1:hi]...)
	return append(out, cs[hi+1:]...)
}

// checkEnums refuses enum changes PostgreSQL cannot make in place: it
// adds values (ALTER TYPE ... ADD VALUE) but neither drops nor reorders
// them. Those need a new type, converted columns and a drop, whose data
// conversion only the user can write.
func checkEnums(side string, changes []atlasschema.Change) error {
	for _, c := range changes {
		m, ok := c.(*atlasschema.ModifyObject)
		if !ok {
			continue
		}
		from, ok1 := m.From.(*atlasschema.EnumType)
		to, ok2 := m.To.(*atlasschema.EnumType)
		if !ok1 || !ok2 {
			continue
		}
		kept := map[string]bool{}
		for _, v := range to.Values {
			kept[v] = true
		}
		var order []string
		for _, v := range from.Values {
			if !kept[v] {
				return fmt.Errorf("%s: enum %q drops value %q; PostgreSQL only adds enum values, so write this migration by hand: %w", side, from.T, v, ErrUnplannable)
			}
		}
		old := map[string]bool{}
		for _, v := range from.Values {
			old[v] = true
		}
		for _, v := range to.Values {
			if old[v] {
				order = append(order, v)
			}
		}
		if !slices.Equal(order, from.Values) {
			return fmt.Errorf("%s: enum %q reorders its values; PostgreSQL only adds enum values, so write this migration by hand: %w", side, from.T, ErrUnplannable)
		}
	}
	return nil
}

// destructive describes the changes that lose data.
func destructive(side string, changes []atlasschema.Change) []string {
	var out []string
	for _, c := range changes {
		switch c := c.(type) {
		case *atlasschema.DropTable:
			out = append(out, fmt.Sprintf("%s: drop table %q", side, c.T.Name))
		case *atlasschema.DropSchema:
			out = append(out, fmt.Sprintf("%s: drop schema %q", side, c.S.Name))
		case *atlasschema.ModifyTable:
			for _, tc := range c.Changes {
				if d, ok := tc.(*atlasschema.DropColumn); ok {
					out = append(out, fmt.Sprintf("%s: drop column %q.%q", side, c.T.Name, d.C.Name))
				}
			}
		}
	}
	return out
}

// renameCandidates pairs the dropped tables and columns of changes with
// added ones of the same shape. Names a hint cannot spell (upper case,
// quoted) are left out.
func renameCandidates(side string, changes []atlasschema.Change) []RenameCandidate {
	var out []RenameCandidate
	ok := func(names ...string) bool {
		for _, n := range names {
			if !renameName.MatchString(n) {
				return false
			}
		}
		return true
	}
	for _, c := range changes {
		switch d := c.(type) {
		case *atlasschema.DropTable:
			for _, c := range changes {
				if a, isAdd := c.(*atlasschema.AddTable); isAdd && sameColumns(d.T.Columns, a.T.Columns) && ok(d.T.Name, a.T.Name) {
					out = append(out, RenameCandidate{Side: side, From: d.T.Name, To: a.T.Name})
				}
			}
		case *atlasschema.ModifyTable:
			for _, tc := range d.Changes {
				dc, isDrop := tc.(*atlasschema.DropColumn)
				if !isDrop {
					continue
				}
				for _, tc := range d.Changes {
					if ac, isAdd := tc.(*atlasschema.AddColumn); isAdd && sameShape(dc.C, ac.C) && ok(d.T.Name, dc.C.Name, ac.C.Name) {
						out = append(out, RenameCandidate{Side: side, Table: d.T.Name, From: dc.C.Name, To: ac.C.Name})
					}
				}
			}
		}
	}
	return out
}

var renameName = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)

// sameColumns reports whether two tables have the same columns, by name
// and shape, in the same order.
func sameColumns(a, b []*atlasschema.Column) bool {
	return slices.EqualFunc(a, b, func(x, y *atlasschema.Column) bool { return x.Name == y.Name && sameShape(x, y) })
}

// sameShape reports whether two columns have the same type and
// nullability, so that renaming one into the other keeps every value.
func sameShape(a, b *atlasschema.Column) bool {
	if a.Type == nil || b.Type == nil {
		return false
	}
	if a.Type.Null != b.Type.Null {
		return false
	}
	// An enum points at its schema, which differs between the two states
	// compared: the type's name is what counts.
	ea, ok1 := a.Type.Type.(*atlasschema.EnumType)
	eb, ok2 := b.Type.Type.(*atlasschema.EnumType)
	if ok1 || ok2 {
		return ok1 && ok2 && ea.T == eb.T
	}
	return reflect.DeepEqual(a.Type.Type, b.Type.Type)
}

// dirs are the migration directories of a config, for writing.
type dirs struct {
	shared, tenant *atlasmigrate.LocalDir
}

// openDirs makes both directories on disk and opens them for [Diff] to
// write into.
func openDirs(cfg *config.Config) (*dirs, error) {
	var d dirs
	for _, which := range []string{migdir.SharedDir, migdir.TenantDir} {
		p := migdir.DirPath(cfg, which)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("create migration directory: %w", err)
		}
		ld, err := atlasmigrate.NewLocalDir(p)
		if err != nil {
			return nil, fmt.Errorf("open migration directory: %w", err)
		}
		if which == migdir.SharedDir {
			d.shared = ld
		} else {
			d.tenant = ld
		}
	}
	return &d, nil
}
