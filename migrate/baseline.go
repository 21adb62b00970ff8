package migrate

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlasschema "ariga.io/atlas/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tenantc/tenantc/migrate/internal/inspect"
)

// BaselinesTable is the shared table caching, per latest tenant version,
// the script that builds a new tenant schema at that version.
const BaselinesTable = "tenantc_baselines"

// Baseline kinds, stored with each script.
const (
	// baselinePlanned is Atlas's plan from an empty schema to the latest
	// state, plus the objects Atlas does not plan, read back from the
	// catalog: its length depends on the schema, not on the history.
	baselinePlanned = "planned"
	// baselineReplay is the tenant history itself, used when the history
	// holds statements that are not DDL (seed rows a plan would lose) or
	// when the planned script does not rebuild the same schema.
	baselineReplay = "replay"
)

// Scratch schemas for building a baseline. They exist only inside the
// builder's transaction, which rolls them back, and builders are serialized
// by an advisory lock, so fixed names cannot collide.
const (
	baselineScratch = "tenantc_baseline"
	baselineCheck   = "tenantc_baseline_check"
)

// baselineKey is the advisory lock key serializing baseline builders.
func baselineKey(shared string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tenantc baseline\x00" + shared))
	return int64(h.Sum64())
}

// sum fingerprints the tenant directory, so a baseline cached for a version
// is rebuilt if the files behind it differ (another branch, an edited file
// in an embedded copy).
func (p *provisioner) sum() string {
	h := sha256.New()
	for _, f := range p.tenantFiles {
		h.Write([]byte(f.Name + "\x00"))
		for _, s := range f.Stmts {
			h.Write([]byte(s + "\x00"))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// dirSum is the tenant directory's atlas.sum digest (its first line),
// which Validate has checked against the files.
func (p *provisioner) dirSum() (string, error) {
	files := make([]atlasmigrate.File, len(p.tenantFiles))
	for i, f := range p.tenantFiles {
		files[i] = f.atlas
	}
	hf, err := atlasmigrate.NewHashFile(files)
	if err != nil {
		return "", fmt.Errorf("hash tenant migrations: %w", err)
	}
	return hf.Sum(), nil
}

// scriptSum is the HMAC of a baseline script keyed by the tenant
// directory's atlas.sum digest. A cached script runs only when it matches:
// a row edited by hand, copied from another branch or written by anything
// but a builder working from these files is planned again instead of run.
// The key is no secret (atlas.sum is committed with the migrations): the
// table's privileges keep other writers out (see the package
// documentation), and the sum makes any other write inert.
func scriptSum(key, version, kind, script string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("tenantc baseline\x00" + version + "\x00" + kind + "\x00" + script))
	return hex.EncodeToString(m.Sum(nil))
}

// cachedBaseline is a row of the baselines table.
type cachedBaseline struct{ kind, script, sum string }

// verify reports whether the row's script was stored by a builder
// working from the current migration files.
func (p *provisioner) verify(b cachedBaseline) (bool, error) {
	key, err := p.dirSum()
	if err != nil {
		return false, err
	}
	want := scriptSum(key, p.head(), b.kind, b.script)
	return hmac.Equal([]byte(want), []byte(b.sum)), nil
}

const selectBaseline = "SELECT kind, sql, coalesce(script_sum, '') FROM %s WHERE version = $1 AND sum = $2"

// baseline returns the script that builds a tenant schema at the latest
// tenant version, from the cache table or, on the first call for a
// version or when the cached script fails its [scriptSum], by building it.
func (p *provisioner) baseline(ctx context.Context, pool DB) (string, error) {
	if p.head() == "" {
		return "", nil
	}
	table := pgx.Identifier{p.cfg.SharedSchema, BaselinesTable}.Sanitize()
	// The table is created by the first build; until then, look before
	// reading, so that no failed statement reaches the app's query logs.
	// An older table without script_sum reads as a mismatch and is
	// upgraded by the build.
	var exists, hasSum bool
	err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL,
	EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'script_sum' AND NOT attisdropped)`, table).Scan(&exists, &hasSum)
	if err != nil {
		return "", fmt.Errorf("read baseline: %w", err)
	}
	if exists && hasSum {
		var b cachedBaseline
		err := pool.QueryRow(ctx, fmt.Sprintf(selectBaseline, table), p.head(), p.sum()).Scan(&b.kind, &b.script, &b.sum)
		switch {
		case err == nil:
			ok, err := p.verify(b)
			if err != nil {
				return "", err
			}
			if ok {
				return b.script, nil
			}
			p.o.log.Warn("tenant baseline does not match its sum; planning it again", "version", p.head(), "table", table)
		case !errors.Is(err, pgx.ErrNoRows):
			return "", fmt.Errorf("read baseline: %w", err)
		}
	}
	return p.buildBaseline(ctx, pool)
}

// buildBaseline replays the tenant history into a scratch schema inside a
// transaction on the target database itself (so references to shared
// objects resolve against the real shared schema), plans the empty → latest
// script, checks that the script rebuilds the same schema in a second
// scratch schema, rolls both back and stores the script.
func (p *provisioner) buildBaseline(ctx context.Context, pool DB) (_ string, err error) {
	// The history replays against the real shared schema, so it must be
	// current; CreateTenant checks again under its lock. A fleet behind the
	// latest version refuses the create anyway: do not plan for nothing.
	if err := p.checkShared(ctx, pool); err != nil {
		return "", err
	}
	if err := p.checkFleet(ctx, pool); err != nil {
		return "", err
	}
	db := inspect.OpenSQL(pool)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("build baseline: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return "", fmt.Errorf("build baseline: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	shared := p.cfg.SharedSchema
	table := pgx.Identifier{shared, BaselinesTable}.Sanitize()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", baselineKey(shared)); err != nil {
		return "", fmt.Errorf("take baseline lock: %w", err)
	}
	// Only the role that migrates writes this table: its scripts run in
	// every new tenant schema. PUBLIC gets nothing, whatever the
	// database's default privileges.
	_, err = conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
	version text PRIMARY KEY,
	sum text NOT NULL,
	kind text NOT NULL,
	sql text NOT NULL,
	script_sum text,
	created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE `+table+` ADD COLUMN IF NOT EXISTS script_sum text;
REVOKE ALL ON `+table+` FROM PUBLIC`)
	if err != nil {
		return "", fmt.Errorf("create baselines table: %w", err)
	}
	// Another builder may have finished while this one waited.
	var b cachedBaseline
	err = conn.QueryRowContext(ctx, fmt.Sprintf(selectBaseline, table), p.head(), p.sum()).Scan(&b.kind, &b.script, &b.sum)
	switch {
	case err == nil:
		ok, err := p.verify(b)
		if err != nil {
			return "", err
		}
		if ok {
			_, err = conn.ExecContext(ctx, "COMMIT")
			return b.script, err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("read baseline: %w", err)
	}
	key, err := p.dirSum()
	if err != nil {
		return "", err
	}

	kind, script := baselineReplay, replayScript(p.tenantFiles)
	if why := dataStatement(p.tenantFiles); why != "" {
		p.o.log.Info("tenant baseline replays the history", "version", p.head(), "reason", why)
	} else {
		if _, err := conn.ExecContext(ctx, "SAVEPOINT tenantc_baseline"); err != nil {
			return "", fmt.Errorf("build baseline: %w", err)
		}
		planned, why, err := p.plan(ctx, conn)
		if err != nil {
			return "", err
		}
		if _, err := conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT tenantc_baseline"); err != nil {
			return "", fmt.Errorf("build baseline: %w", err)
		}
		if why == "" {
			kind, script = baselinePlanned, planned
		} else {
			p.o.log.Warn("tenant baseline replays the history: the planned script does not rebuild it", "version", p.head(), "reason", why)
		}
	}
	_, err = conn.ExecContext(ctx, `INSERT INTO `+table+` (version, sum, kind, sql, script_sum) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (version) DO UPDATE SET sum = excluded.sum, kind = excluded.kind, sql = excluded.sql,
	script_sum = excluded.script_sum, created_at = now()`,
		p.head(), p.sum(), kind, script, scriptSum(key, p.head(), kind, script))
	if err != nil {
		return "", fmt.Errorf("store baseline: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return "", fmt.Errorf("store baseline: %w", err)
	}
	p.o.log.Debug("tenant baseline built", "version", p.head(), "kind", kind, "bytes", len(script))
	return script, nil
}

// plan builds the planned script inside the open transaction of conn. A
// non-empty reason means the plan cannot be used (the caller falls back to
// the replay); an error means the history itself does not apply.
func (p *provisioner) plan(ctx context.Context, conn *sql.Conn) (script, reason string, err error) {
	shared := p.cfg.SharedSchema
	if err := replayInto(ctx, conn, baselineScratch, shared, p.tenantFiles, ""); err != nil {
		return "", "", err
	}
	// Only the scratch schema on the path while reading definitions back:
	// its own objects print unqualified, shared ones stay qualified.
	if _, err := conn.ExecContext(ctx, "SELECT set_config('search_path', $1, true)", inspect.SearchPath(baselineScratch)); err != nil {
		return "", "", fmt.Errorf("set search_path: %w", err)
	}
	drv, err := postgres.Open(conn)
	if err != nil {
		return "", "", fmt.Errorf("open atlas driver: %w", err)
	}
	realm, err := drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: []string{shared, baselineScratch}})
	if err != nil {
		return "", "", fmt.Errorf("inspect tenant baseline: %w", err)
	}
	want := inspect.SchemaOf(realm, baselineScratch)
	changes, err := drv.SchemaDiff(atlasschema.New(baselineScratch), want)
	if err != nil {
		return "", "", fmt.Errorf("diff tenant baseline: %w", err)
	}
	var stmts []string
	objs, err := catalogObjects(ctx, conn, baselineScratch)
	if err != nil {
		return "", "", err
	}
	stmts = append(stmts, objs.pre...)
	if len(changes) > 0 {
		plan, err := drv.PlanChanges(ctx, "baseline", changes, func(po *atlasmigrate.PlanOptions) {
			po.Mode = atlasmigrate.PlanModeDeferred
		})
		if err != nil {
			return "", fmt.Sprintf("atlas cannot plan it: %v", err), nil
		}
		for _, c := range plan.Changes {
			stmts = append(stmts, c.Cmd)
		}
	}
	stmts = append(stmts, objs.post...)
	for i, s := range stmts {
		// As in Diff: plan fully qualified, then cut out the scratch
		// qualifier, which is tenantc's own and appears nowhere else.
		s = strings.ReplaceAll(s, pgx.Identifier{baselineScratch}.Sanitize()+".", "")
		s = strings.ReplaceAll(s, baselineScratch+".", "")
		stmts[i] = terminated(s)
	}
	script = strings.Join(stmts, "\n")

	// Check: the script must rebuild the replayed schema exactly.
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+baselineCheck); err != nil {
		return "", "", fmt.Errorf("create scratch schema: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT set_config('search_path', $1, true)", inspect.SearchPath(baselineCheck, shared)); err != nil {
		return "", "", fmt.Errorf("set search_path: %w", err)
	}
	if _, err := conn.ExecContext(ctx, script); err != nil {
		return "", fmt.Sprintf("the script fails: %v", err), nil
	}
	if diffs, err := compareSchemas(ctx, conn, drv, baselineScratch, baselineCheck, shared); err != nil {
		return "", "", err
	} else if len(diffs) > 0 {
		return "", "the rebuilt schema differs: " + strings.Join(diffs, "; "), nil
	}
	return script, "", nil
}

// compareSchemas lists the differences between schema want and schema got
// of the same database: Atlas's comparison of tables and enums, then the
// definitions of views, functions, triggers, domains, composite types and
// sequences with each schema's own name taken out.
func compareSchemas(ctx context.Context, conn *sql.Conn, drv atlasmigrate.Driver, want, got, shared string) ([]string, error) {
	realm, err := drv.InspectRealm(ctx, &atlasschema.InspectRealmOption{Schemas: []string{shared, want, got}})
	if err != nil {
		return nil, fmt.Errorf("inspect schemas: %w", err)
	}
	exp, act := inspect.SchemaOf(realm, want), inspect.SchemaOf(realm, got)
	// Renamed in place, as in Drift: tables and enums point at their schema.
	exp.Name = act.Name
	changes, err := drv.SchemaDiff(exp, act)
	exp.Name = want
	if err != nil {
		return nil, fmt.Errorf("diff schemas: %w", err)
	}
	diffs := inspect.Describe(changes)
	wantObjs, err := normalizedObjects(ctx, conn, want)
	if err != nil {
		return nil, err
	}
	gotObjs, err := normalizedObjects(ctx, conn, got)
	if err != nil {
		return nil, err
	}
	diffs = append(diffs, compareObjects(wantObjs, gotObjs, false)...)
	return diffs, nil
}

// compareObjects lists the non-Atlas objects of want that got lacks or
// defines differently, and with extra, those only got has.
func compareObjects(want, got map[inspect.ObjKey]string, extra bool) []string {
	var out []string
	for _, kind := range []string{inspect.ObjDomain, inspect.ObjComposite, inspect.ObjSequence, inspect.ObjFunction, inspect.ObjView, inspect.ObjMatView, inspect.ObjTrigger} {
		for _, k := range inspect.SortedKeys(want, kind) {
			switch g, ok := got[k]; {
			case !ok:
				out = append(out, fmt.Sprintf("- %s %q (missing)", k.Kind, k.Name))
			case g != want[k]:
				out = append(out, fmt.Sprintf("~ %s %q differs", k.Kind, k.Name))
			}
		}
		if extra {
			for _, k := range inspect.SortedKeys(got, kind) {
				if _, ok := want[k]; !ok {
					out = append(out, fmt.Sprintf("+ %s %q", k.Kind, k.Name))
				}
			}
		}
	}
	return out
}

// normalizedObjects fingerprints the non-Atlas objects of schemaName with
// the schema's own name cut out, so that two schemas can be compared.
func normalizedObjects(ctx context.Context, conn *sql.Conn, schemaName string) (map[inspect.ObjKey]string, error) {
	if _, err := conn.ExecContext(ctx, "SELECT set_config('search_path', $1, true)", inspect.SearchPath(schemaName)); err != nil {
		return nil, fmt.Errorf("set search_path: %w", err)
	}
	var defs *inspect.Objects
	err := conn.Raw(func(dc any) error {
		var err error
		defs, err = inspect.ReadObjects(ctx, dc.(*stdlib.Conn).Conn(), schemaName)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[inspect.ObjKey]string, len(defs.Def))
	for k, d := range defs.Def {
		d = strings.ReplaceAll(d, pgx.Identifier{schemaName}.Sanitize()+".", "")
		out[k] = strings.ReplaceAll(d, schemaName+".", "")
	}
	return out, nil
}

// catalogStatements are the CREATE statements of the objects Atlas does not
// plan, read back from the catalog: pre run before Atlas's tables (types,
// sequences and functions that columns may use), post after (views and
// triggers, which use tables). Each group is in creation (oid) order, which
// follows the dependencies the history created them in.
type catalogStatements struct{ pre, post []string }

func catalogObjects(ctx context.Context, conn *sql.Conn, schemaName string) (*catalogStatements, error) {
	const q = `
SELECT 1 AS grp, t.oid::int8 AS ord, format('CREATE DOMAIN %I AS %s', t.typname, format_type(t.typbasetype, t.typtypmod))
	|| CASE WHEN t.typdefault IS NOT NULL THEN ' DEFAULT ' || t.typdefault ELSE '' END
	|| CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
	|| coalesce((SELECT string_agg(format(' CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid)), '' ORDER BY k.conname)
		FROM pg_constraint k WHERE k.contypid = t.oid), '')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1 AND t.typtype = 'd'
UNION ALL
SELECT 1, t.oid::int8, format('CREATE TYPE %I AS (%s)', t.typname,
	(SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
	 FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
WHERE n.nspname = $1 AND t.typtype = 'c' AND c.relkind = 'c'
UNION ALL
SELECT 1, c.oid::int8, format('CREATE SEQUENCE %I AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s%s',
	c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache,
	CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE n.nspname = $1 AND c.relkind = 'S'
	AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT 2, p.oid::int8, pg_get_functiondef(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
	AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 3, c.oid::int8, format(CASE c.relkind WHEN 'v' THEN 'CREATE VIEW %I AS %s' ELSE 'CREATE MATERIALIZED VIEW %I AS %s' END,
	c.relname, rtrim(pg_get_viewdef(c.oid), ';'))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')
UNION ALL
SELECT 4, t.oid::int8, pg_get_triggerdef(t.oid, true)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT t.tgisinternal
ORDER BY 1, 2`
	rows, err := conn.QueryContext(ctx, q, schemaName)
	if err != nil {
		return nil, fmt.Errorf("read views, functions and types of %s: %w", schemaName, err)
	}
	defer rows.Close()
	out := &catalogStatements{}
	for rows.Next() {
		var (
			grp, ord int64
			def      string
		)
		if err := rows.Scan(&grp, &ord, &def); err != nil {
			return nil, fmt.Errorf("read views, functions and types of %s: %w", schemaName, err)
		}
		if grp == 2 {
			// The captured search_path names the scratch schema; a new
			// tenant captures its own.
			def = capturedPath.ReplaceAllString(def, " SET search_path FROM CURRENT")
		}
		if grp <= 2 {
			out.pre = append(out.pre, def)
		} else {
			out.post = append(out.post, def)
		}
	}
	return out, rows.Err()
}

// capturedPath is the SET search_path line pg_get_functiondef prints for a
// function whose captured path names the scratch schema.
var capturedPath = regexp.MustCompile(`(?m)^ SET search_path TO [^\n]*` + baselineScratch + `[^\n]*$`)

// replayInto creates schemaName and runs the tenant history up to and
// including version ("" for all) in it, inside the caller's transaction
// with a transaction-local search_path. Index builds are made
// non-concurrent, since CONCURRENTLY cannot run in a transaction and makes
// no difference to the resulting schema.
func replayInto(ctx context.Context, conn *sql.Conn, schemaName, shared string, files []File, version string) error {
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+pgx.Identifier{schemaName}.Sanitize()); err != nil {
		return fmt.Errorf("create scratch schema: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT set_config('search_path', $1, true)", inspect.SearchPath(schemaName, shared)); err != nil {
		return fmt.Errorf("set search_path: %w", err)
	}
	for _, s := range replayStmts(files, version) {
		if _, err := conn.ExecContext(ctx, nonConcurrent(s.SQL)); err != nil {
			return fmt.Errorf("replay %s: %w", s.Where, err)
		}
	}
	return nil
}

var concurrently = regexp.MustCompile(`(?i)^(\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX|DROP\s+INDEX|REINDEX\s+\w+))\s+CONCURRENTLY\b`)

func nonConcurrent(s string) string { return concurrently.ReplaceAllString(s, "$1") }

// replayScript is the tenant history as one script.
func replayScript(files []File) string {
	var b strings.Builder
	for _, s := range replayStmts(files, "") {
		b.WriteString(terminated(nonConcurrent(s.SQL)))
		b.WriteString("\n")
	}
	return b.String()
}

// terminated ends a statement with a semicolon for a multi-statement
// script, on a line of its own when the statement does not end with one,
// since its last line may be a comment.
func terminated(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ";") {
		return s
	}
	return s + "\n;"
}

// dataStatement names the first statement of the history that changes or
// reads rows (INSERT, UPDATE, DELETE, COPY, MERGE, SELECT, VALUES, TABLE,
// CALL, DO, or a WITH query): a planned schema would drop its effect, so
// the baseline replays instead. Atlas's lexer has split the statements;
// the first keyword after comments and parentheses tells the kind, as the
// first node of PostgreSQL's own parse tree does. Tenant creation runs in
// applications, which link no SQL parser.
func dataStatement(files []File) string {
	for _, s := range replayStmts(files, "") {
		switch firstKeyword(s.SQL) {
		case "INSERT", "UPDATE", "DELETE", "COPY", "MERGE", "SELECT", "VALUES", "TABLE", "WITH", "CALL", "DO":
			return fmt.Sprintf("%s holds a data statement", s.Where)
		}
	}
	return ""
}

// firstKeyword returns the first word of a statement, upper-cased,
// skipping white space, comments (-- and nested /* */) and opening
// parentheses ("(SELECT 1)").
func firstKeyword(sql string) string {
	for i := 0; i < len(sql); {
		switch c := sql[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '(':
			i++
		case strings.HasPrefix(sql[i:], "--"):
			n := strings.IndexByte(sql[i:], '\n')
			if n < 0 {
				return ""
			}
			i += n + 1
		case strings.HasPrefix(sql[i:], "/*"):
			depth := 0
			for i < len(sql) {
				switch {
				case strings.HasPrefix(sql[i:], "/*"):
					depth++
					i += 2
				case strings.HasPrefix(sql[i:], "*/"):
					depth--
					i += 2
				default:
					i++
				}
				if depth == 0 {
					break
				}
			}
		default:
			j := i
			for j < len(sql) && (sql[j] == '_' || 'a' <= sql[j]|0x20 && sql[j]|0x20 <= 'z') {
				j++
			}
			return strings.ToUpper(sql[i:j])
		}
	}
	return ""
}
