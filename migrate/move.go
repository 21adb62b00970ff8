package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/tenancy"
)

// MovesTable is the control server's bookkeeping of tenant moves in
// progress: one row per tenant, the step it is at. It is not replicated.
const MovesTable = "tenantc_moves"

// The steps of a move, in order; a move's row records the next one to run.
const (
	MoveSchema    = "schema"    // the tenant's schema on the target, empty, at the tenant's version
	MovePublish   = "publish"   // a publication of the schema on the source
	MoveSubscribe = "subscribe" // the target's subscription copies the rows and follows the source
	MoveCutover   = "cutover"   // writes paused, last changes and sequences in, source renamed, registry flipped
	MoveCleanup   = "cleanup"   // subscription, publication and the source's revision rows dropped
	MoveDrop      = "drop"      // after the grace period, the renamed source schema dropped
)

var moveSteps = []string{MoveSchema, MovePublish, MoveSubscribe, MoveCutover, MoveCleanup, MoveDrop}

// ErrSameServer is returned by [Servers.MoveTenant] when the tenant is
// already on the target server (and no move of it is unfinished). Test
// with errors.Is.
var ErrSameServer = errors.New("migrate: tenant is already on that server")

// ErrMoveUnfinished is returned by [Servers.MoveTenant] when the tenant
// has an unfinished move to another server than the one asked for: finish
// that one first by moving the tenant to the server it names. Test with
// errors.Is.
var ErrMoveUnfinished = errors.New("migrate: tenant has an unfinished move to another server")

// ErrMoveInProgress is returned by [Servers.MoveTenant] when another
// process is moving, creating or dropping the same tenant right now. Test
// with errors.Is.
var ErrMoveInProgress = errors.New("migrate: tenant is being moved by another process")

// ErrNotMovable is returned by [Servers.MoveTenant] when logical
// replication cannot copy the tenant faithfully: an UNLOGGED table (never
// replicated), or a table whose columns differ between the tenant's
// schema and the schema its migrations build on the target (drift; see
// tenantc migrate drift). The error names the table. Test with errors.Is.
var ErrNotMovable = errors.New("migrate: tenant cannot be moved by logical replication")

// MoveOption configures [Servers.MoveTenant].
type MoveOption interface {
	setter
	moveOption()
}

type moveOnly func(*options)

func (f moveOnly) set(o *options) { f(o) }
func (moveOnly) moveOption()      {}

// WithGrace keeps the renamed source schema of a moved tenant for d after
// the registry points at the target, before dropping it (default 0: at
// once). Processes that bound the tenant before the move fail on the
// renamed source until they look it up again; the grace period leaves the
// old data there for a look by hand should anything seem amiss.
func WithGrace(d time.Duration) MoveOption { return moveOnly(func(o *options) { o.grace = d }) }

// MoveEvent is a step of [Servers.MoveTenant] starting or ending, for
// [WithMoveProgress].
type MoveEvent struct {
	Tenant string
	Step   string
	// Done is false when the step starts and true when it ends.
	Done bool
	// Elapsed is the step's duration, when Done.
	Elapsed time.Duration
	// Detail says what the step did ("5000 rows copied"), when Done.
	Detail string
}

// WithMoveProgress sets the func that receives [Servers.MoveTenant]'s
// events, one at a time.
func WithMoveProgress(f func(MoveEvent)) MoveOption {
	return moveOnly(func(o *options) { o.moveProgress = f })
}

// MoveReport is the result of [Servers.MoveTenant].
type MoveReport struct {
	Tenant string `json:"tenant"`
	Schema string `json:"schema"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Resumed is set when the run continued a move an earlier run left
	// unfinished; the steps that run finished are reported "earlier".
	Resumed bool             `json:"resumed"`
	Steps   []MoveStepResult `json:"steps"`
	// RowsCopied is the rows the target holds once its subscription has
	// copied every table and caught up, before the pause.
	RowsCopied int64 `json:"rows_copied"`
	// PauseMS is how long the tenant's writes were blocked: from the
	// LOCK of its tables on the source to the registry pointing at the
	// target, in milliseconds.
	PauseMS float64 `json:"pause_ms"`
	// TotalMS is the run's duration, in milliseconds.
	TotalMS float64 `json:"total_ms"`
}

// MoveStepResult is one step of a [MoveReport].
type MoveStepResult struct {
	Name string `json:"name"`
	// Status is "done", or "earlier" for a step an earlier run finished.
	Status string  `json:"status"`
	MS     float64 `json:"ms"`
	Detail string  `json:"detail,omitempty"`
}

// moveHook, when set (by this package's tests only), is called at each
// named point of a move; the crash tests kill the process there.
var moveHook func(point string)

func reached(point string) {
	if moveHook != nil {
		moveHook(point)
	}
}

// moveRow is a tenant's row of the moves table.
type moveRow struct {
	id, schema, moved, name string
	from, to, step          string
	rows                    int64
	pausedMS                float64
	dropAfter               *time.Time
}

// mover is one run of [Servers.MoveTenant].
type mover struct {
	s        Servers
	cfg      *config.Config
	o        *options
	p        *provisioner
	row      moveRow
	src, dst Server
	control  Server
	moves    string // quoted moves table
	rep      *MoveReport
	// afterFlip releases the migration locks once the registry points at
	// the target.
	afterFlip func()
}

// MoveTenant moves tenant id to the server called to, online: the tenant's
// writes pause only while its last changes reach the target (PauseMS in
// the report, well under a second with a caught-up subscription).
//
// The steps, each recorded in <shared_schema>.tenantc_moves on the
// control server before the next begins ([MoveSchema] … [MoveDrop]):
// the schema is built on the target at the tenant's version; the source
// publishes the schema (FOR TABLES IN SCHEMA), the target subscribes and
// copies every row; then, in one transaction on the source, the tenant's
// tables are locked IN EXCLUSIVE MODE (reads go on, writes wait), the
// subscription is awaited up to the source's WAL position, the sequences
// are copied, and the schema is renamed to <schema>__moved_<id>, so that
// a writer that still routes to the source fails ("relation does not
// exist") instead of writing there; the registry row then points at the
// target (in the same transaction when the source is the control server)
// and NOTIFY tenantc_registry announces it ([tenancy.WithListen]). Last,
// the subscription, publication and the source's revision rows go, and
// after [WithGrace] the renamed schema.
//
// A run that dies at any point leaves one copy of the tenant that the
// registry may point at, complete, and a re-run of the same move resumes
// where it stopped. Between the source's rename and the registry update
// (a crash there, when the source is not the control server) the tenant
// is unreachable until a re-run finishes the move. Tables without a
// primary key get REPLICA IDENTITY FULL on the source for the move, as
// PostgreSQL refuses their UPDATEs and DELETEs once published otherwise.
//
// It refuses with [ErrNoSuchTenant], [ErrUnknownServer], [ErrSameServer],
// [ErrPendingMigrations] (the tenant, or the shared schema of the source
// or target, behind the latest version), [ErrNotMovable],
// [ErrMoveUnfinished] and [ErrMoveInProgress]. It holds the migration
// lock of the source and target in shared mode until the registry is
// updated, so [Servers.Apply] waits for the move. It needs PostgreSQL 15
// or later with wal_level = logical on the source, and a role that may
// create publications FOR TABLES IN SCHEMA and subscriptions (a superuser
// on PostgreSQL 15).
func (s Servers) MoveTenant(ctx context.Context, cfg *config.Config, id, to string, opts ...MoveOption) (*MoveReport, error) {
	start := time.Now()
	m, unlock, err := s.newMover(ctx, cfg, id, opts)
	if err != nil {
		return nil, fmt.Errorf("move tenant %q: %w", id, err)
	}
	defer unlock()
	m.rep.To = to
	if err := m.begin(ctx, id, to); err != nil {
		return nil, fmt.Errorf("move tenant %q to %q: %w", id, to, err)
	}
	if err := m.run(ctx); err != nil {
		return m.rep, fmt.Errorf("move tenant %q to %q: %w", id, to, err)
	}
	m.rep.TotalMS = ms(time.Since(start))
	return m.rep, nil
}

// newMover checks s, cfg and id and returns a mover for tenant id that
// holds the tenant's move lock until unlock runs.
func (s Servers) newMover(ctx context.Context, cfg *config.Config, id string, opts []MoveOption) (m *mover, unlock func(), err error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	p, err := newProvisioner(cfg, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := tenancy.ValidateTenantID(id); err != nil {
		return nil, nil, fmt.Errorf("tenant id %q: %w", id, err)
	}
	m = &mover{s: s, cfg: cfg, o: p.o, p: p, control: s[0],
		moves: pgx.Identifier{cfg.SharedSchema, MovesTable}.Sanitize(),
		rep:   &MoveReport{Tenant: id, Steps: []MoveStepResult{}}}
	unlock, err = m.lockTenant(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return m, unlock, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// moveKey is the advisory lock key of moves of tenant id.
func moveKey(shared, id string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tenantc move\x00" + shared + "\x00" + id))
	return int64(h.Sum64())
}

// lockTenant takes the session-level lock of moves of id on the control
// server, on a connection held until the returned func runs, or the
// process dies, which releases it.
func (m *mover) lockTenant(ctx context.Context, id string) (func(), error) {
	conn, err := m.control.DB.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("control server: %w", err)
	}
	key := moveKey(m.cfg.SharedSchema, id)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("control server: take move lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, ErrMoveInProgress
	}
	return func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
	}, nil
}

// sharedLocks takes the migration lock of the source and the target in
// shared mode, session-level, so that Apply waits until the registry
// points at the target; released by the returned func.
func (m *mover) sharedLocks(ctx context.Context) (func(), error) {
	var conns []*pgxpool.Conn
	release := func() {
		for _, c := range conns {
			if _, err := c.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock_shared($1)", lockKey(m.cfg.SharedSchema)); err != nil {
				c.Conn().Close(context.WithoutCancel(ctx))
			}
			c.Release()
		}
	}
	// In the fleet's order, as Apply takes them: a move and an Apply
	// never wait on each other in a cycle.
	servers := []Server{m.src, m.dst}
	if m.s.index(m.dst.Name) < m.s.index(m.src.Name) {
		servers = []Server{m.dst, m.src}
	}
	for _, srv := range servers {
		c, err := srv.DB.Acquire(ctx)
		if err != nil {
			release()
			return nil, fmt.Errorf("server %q: %w", srv.Name, err)
		}
		if _, err := c.Exec(ctx, "SELECT pg_advisory_lock_shared($1)", lockKey(m.cfg.SharedSchema)); err != nil {
			c.Release()
			release()
			return nil, fmt.Errorf("server %q: take migration lock: %w", srv.Name, err)
		}
		conns = append(conns, c)
	}
	return release, nil
}

// begin reads or creates the tenant's move row, after the preflight
// checks of a new move.
func (m *mover) begin(ctx context.Context, id, to string) error {
	ctl := m.control.DB
	_, err := ctl.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+m.moves+` (
	tenant_id text PRIMARY KEY,
	schema_name text NOT NULL,
	moved_schema text NOT NULL,
	name text NOT NULL,
	from_server text NOT NULL,
	to_server text NOT NULL,
	step text NOT NULL,
	started_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	rows_copied bigint NOT NULL DEFAULT 0,
	paused_ms double precision NOT NULL DEFAULT 0,
	drop_after timestamptz
)`)
	if err != nil {
		return fmt.Errorf("control server: create moves table: %w", err)
	}
	r := &m.row
	err = m.readRow(ctx, id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if err := m.preflight(ctx, id, to); err != nil {
			return err
		}
		return m.insertRow(ctx)
	case err != nil:
		return fmt.Errorf("control server: read move: %w", err)
	}
	if r.to != to {
		return fmt.Errorf("its move from %q to %q stopped at step %s (move it to %q to finish): %w", r.from, r.to, r.step, r.to, ErrMoveUnfinished)
	}
	if err := m.servers(r.from, r.to); err != nil {
		return err
	}
	m.rep.Resumed = true
	m.rep.Schema, m.rep.From, m.rep.RowsCopied, m.rep.PauseMS = r.schema, r.from, r.rows, r.pausedMS
	return nil
}

// readRow reads tenant id's move row into m.row; pgx.ErrNoRows when it
// has none.
func (m *mover) readRow(ctx context.Context, id string) error {
	r := &m.row
	return m.control.DB.QueryRow(ctx, `SELECT tenant_id, schema_name, moved_schema, name, from_server, to_server, step, rows_copied, paused_ms, drop_after
FROM `+m.moves+` WHERE tenant_id = $1`, id).Scan(&r.id, &r.schema, &r.moved, &r.name, &r.from, &r.to, &r.step, &r.rows, &r.pausedMS, &r.dropAfter)
}

// checkNotMoving refuses, with ErrMoveUnfinished, when tenant id has a
// move row: dropping it would leave the move's copy, subscription and
// publication behind.
func checkNotMoving(ctx context.Context, db querier, shared, id string) error {
	ok, err := exists(ctx, db, shared, MovesTable)
	if err != nil || !ok {
		return err
	}
	var to, step string
	err = db.QueryRow(ctx, "SELECT to_server, step FROM "+pgx.Identifier{shared, MovesTable}.Sanitize()+" WHERE tenant_id = $1", id).Scan(&to, &step)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("read move of tenant %q: %w", id, err)
	}
	return fmt.Errorf("tenant %q: its move to %q stopped at step %s (run tenantc tenant move %s --to %s to finish it): %w", id, to, step, id, to, ErrMoveUnfinished)
}

// servers sets the source and the target.
func (m *mover) servers(from, to string) error {
	i, j := m.s.index(from), m.s.index(to)
	if i < 0 {
		return fmt.Errorf("source server %q: %w", from, ErrUnknownServer)
	}
	if j < 0 {
		return fmt.Errorf("target server %q: %w", to, ErrUnknownServer)
	}
	m.src, m.dst = m.s[i], m.s[j]
	return nil
}

// preflight checks that the tenant may move to the target: registered,
// on another known server, at the latest tenant version on a source and
// target whose shared schemas are at the latest version, without
// UNLOGGED tables.
func (m *mover) preflight(ctx context.Context, id, to string) error {
	if m.s.index(to) < 0 {
		return fmt.Errorf("server %q: %w", to, ErrUnknownServer)
	}
	ok, err := exists(ctx, m.control.DB, m.cfg.SharedSchema, m.cfg.Registry.Table)
	if err == nil && ok {
		err = m.control.DB.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+m.p.reg+" WHERE id = $1)", id).Scan(&ok)
	}
	if err != nil {
		return fmt.Errorf("control server: look up tenant %q: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("tenant %q: %w", id, ErrNoSuchTenant)
	}
	ps, err := readPlacement(ctx, m.control.DB, m.cfg, m.control.Name, []string{id})
	if err != nil {
		return fmt.Errorf("control server: %w", err)
	}
	pl := ps[0]
	if err := checkRegistrySchema(m.cfg, id, pl.schema); err != nil {
		return err
	}
	if pl.server == to {
		return fmt.Errorf("tenant %q is on server %q: %w", id, to, ErrSameServer)
	}
	if err := m.servers(pl.server, to); err != nil {
		return err
	}
	for _, srv := range []Server{m.src, m.dst} {
		applied, err := sharedApplied(ctx, srv.DB, m.cfg.SharedSchema)
		if err != nil {
			return fmt.Errorf("server %q: %w", srv.Name, err)
		}
		if pending := pendingFiles(m.p.sharedFiles, applied); len(pending) > 0 {
			return fmt.Errorf("server %q: shared schema %q has %d pending migrations, first %s (run tenantc migrate apply): %w",
				srv.Name, m.cfg.SharedSchema, len(pending), pending[0].Name, ErrPendingMigrations)
		}
	}
	if err := m.checkVersions(ctx, m.src, id); err != nil {
		return err
	}
	var unlogged []string
	rows, err := m.src.DB.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relpersistence = 'u' ORDER BY 1`, pl.schema)
	if err == nil {
		unlogged, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return fmt.Errorf("server %q: read tables of schema %q: %w", m.src.Name, pl.schema, err)
	}
	if len(unlogged) > 0 {
		return fmt.Errorf("table %s.%s is UNLOGGED, which logical replication does not copy: %w", pl.schema, unlogged[0], ErrNotMovable)
	}
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	suffix := hex.EncodeToString(nonce[:])
	moved := pl.schema
	if n := 63 - len("__moved_") - 8; len(moved) > n {
		moved = moved[:n]
	}
	m.row = moveRow{id: id, schema: pl.schema, moved: moved + "__moved_" + suffix[:8],
		name: "tenantc_move_" + suffix, from: pl.server, to: to, step: MoveSchema}
	m.rep.Schema, m.rep.From = pl.schema, pl.server
	return nil
}

// checkVersions refuses when tenant id has not recorded every tenant
// version on srv.
func (m *mover) checkVersions(ctx context.Context, srv Server, id string) error {
	if m.p.head() == "" {
		return nil
	}
	var have []string
	err := srv.DB.QueryRow(ctx, `SELECT coalesce(array_agg(version), '{}') FROM `+m.p.revs+` WHERE tenant_id = $1 AND error IS NULL`, id).Scan(&have)
	if err != nil {
		return fmt.Errorf("server %q: read revisions of tenant %q: %w", srv.Name, id, err)
	}
	for _, f := range m.p.tenantFiles {
		if !slices.Contains(have, f.Version) {
			return fmt.Errorf("tenant %q on server %q is not at tenant version %s (run tenantc migrate apply): %w", id, srv.Name, m.p.head(), ErrPendingMigrations)
		}
	}
	return nil
}

func (m *mover) insertRow(ctx context.Context) error {
	r := m.row
	_, err := m.control.DB.Exec(ctx, `INSERT INTO `+m.moves+` (tenant_id, schema_name, moved_schema, name, from_server, to_server, step)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.id, r.schema, r.moved, r.name, r.from, r.to, r.step)
	if err != nil {
		return fmt.Errorf("control server: record move: %w", err)
	}
	return nil
}

// record sets the row's step to next (and drop_after, when given).
func (m *mover) record(ctx context.Context, db execer, next string) error {
	_, err := db.Exec(ctx, `UPDATE `+m.moves+` SET step = $2, updated_at = now(), rows_copied = $3, paused_ms = $4, drop_after = $5 WHERE tenant_id = $1`,
		m.row.id, next, m.row.rows, m.row.pausedMS, m.row.dropAfter)
	if err != nil {
		return fmt.Errorf("control server: record step %s: %w", next, err)
	}
	m.row.step = next
	return nil
}

// run runs the steps from the row's step on.
func (m *mover) run(ctx context.Context) error {
	at := slices.Index(moveSteps, m.row.step)
	if at < 0 {
		return fmt.Errorf("move row of tenant %q is at unknown step %q", m.row.id, m.row.step)
	}
	for _, step := range moveSteps[:at] {
		m.rep.Steps = append(m.rep.Steps, MoveStepResult{Name: step, Status: "earlier"})
	}
	if at <= slices.Index(moveSteps, MoveCutover) {
		unlock, err := m.sharedLocks(ctx)
		if err != nil {
			return err
		}
		defer func() { unlock() }()
		live := false
		if m.rep.Resumed {
			if live, err = m.sourceLive(ctx); err != nil {
				return err
			}
		}
		// Apply may have migrated the tenant on the source while no move
		// held the locks, and not its unregistered copy on the target:
		// the copy then starts over. Once the source is renamed, the
		// target's copy is the tenant's, whatever Apply did meanwhile:
		// the move only finishes then.
		if live {
			if err := m.checkVersions(ctx, m.src, m.row.id); err != nil {
				return err
			}
			if at > 0 {
				behind := m.checkVersions(ctx, m.dst, m.row.id)
				if behind == nil {
					behind = m.compareColumns(ctx)
				}
				if errors.Is(behind, ErrPendingMigrations) || errors.Is(behind, ErrNotMovable) {
					m.o.log.Debug("move restarted", "tenant", m.row.id, "reason", behind)
					if err := m.restart(ctx); err != nil {
						return err
					}
					at, m.rep.Steps = 0, m.rep.Steps[:0]
				} else if behind != nil {
					return behind
				}
			}
		}
		// Released once the registry points at the target.
		m.afterFlip = func() {
			unlock()
			unlock = func() {}
		}
	}
	steps := map[string]func(context.Context) (string, error){
		MoveSchema: m.schema, MovePublish: m.publish, MoveSubscribe: m.subscribe,
		MoveCutover: m.cutover, MoveCleanup: m.cleanup, MoveDrop: m.drop,
	}
	for i := at; i < len(moveSteps); i++ {
		step := moveSteps[i]
		m.emit(MoveEvent{Tenant: m.row.id, Step: step})
		start := time.Now()
		detail, err := steps[step](ctx)
		if err != nil {
			return fmt.Errorf("step %s: %w", step, err)
		}
		elapsed := time.Since(start)
		m.rep.Steps = append(m.rep.Steps, MoveStepResult{Name: step, Status: "done", MS: ms(elapsed), Detail: detail})
		m.emit(MoveEvent{Tenant: m.row.id, Step: step, Done: true, Elapsed: elapsed, Detail: detail})
		m.o.log.Debug("move step done", "tenant", m.row.id, "step", step, "elapsed", elapsed)
	}
	return nil
}

func (m *mover) emit(e MoveEvent) {
	if m.o.moveProgress != nil {
		m.o.moveProgress(e)
	}
}

// ErrNoMove is returned by [Servers.AbortMove] when the tenant has no
// unfinished move. Test with errors.Is.
var ErrNoMove = errors.New("migrate: tenant has no unfinished move")

// ErrPastCutover is returned by [Servers.AbortMove] when the move has
// renamed the source schema: the target's copy is then the tenant's, and
// the move can only be finished (run it again). Test with errors.Is.
var ErrPastCutover = errors.New("migrate: the move is past its cutover")

// AbortMove undoes tenant id's unfinished move, one that stopped before
// its cutover (a crash, a server down, or a refusal such as
// [ErrNotMovable] after the move began): the target's subscription and
// copy of the tenant, the source's publication and replication slot, and
// the move's row go, and the tenant stays where the registry places it,
// untouched. Once the cutover has renamed the source schema it refuses
// with [ErrPastCutover]: finish that move with [Servers.MoveTenant]. A
// tenant without a move row is [ErrNoMove]; one being moved by another
// process is [ErrMoveInProgress].
func (s Servers) AbortMove(ctx context.Context, cfg *config.Config, id string, opts ...MoveOption) error {
	m, unlock, err := s.newMover(ctx, cfg, id, opts)
	if err != nil {
		return fmt.Errorf("abort the move of tenant %q: %w", id, err)
	}
	defer unlock()
	if err := m.abort(ctx, id); err != nil {
		return fmt.Errorf("abort the move of tenant %q: %w", id, err)
	}
	return nil
}

// abort is AbortMove under the tenant's move lock.
func (m *mover) abort(ctx context.Context, id string) error {
	ok, err := exists(ctx, m.control.DB, m.cfg.SharedSchema, MovesTable)
	if err != nil {
		return fmt.Errorf("control server: %w", err)
	}
	r := &m.row
	if ok {
		err = m.readRow(ctx, id)
	}
	switch {
	case !ok || errors.Is(err, pgx.ErrNoRows):
		return ErrNoMove
	case err != nil:
		return fmt.Errorf("control server: read move: %w", err)
	}
	if err := m.servers(r.from, r.to); err != nil {
		return err
	}
	if i := slices.Index(moveSteps, r.step); i > slices.Index(moveSteps, MoveCutover) {
		return fmt.Errorf("its move to %q is at step %s (run tenantc tenant move %s --to %s to finish it): %w", r.to, r.step, id, r.to, ErrPastCutover)
	}
	live, err := m.sourceLive(ctx)
	if err != nil {
		return err
	}
	if !live {
		return fmt.Errorf("its move to %q renamed the source schema (run tenantc tenant move %s --to %s to finish it): %w", r.to, id, r.to, ErrPastCutover)
	}
	if err := m.restart(ctx); err != nil {
		return err
	}
	if _, err := m.control.DB.Exec(ctx, "DELETE FROM "+m.moves+" WHERE tenant_id = $1", id); err != nil {
		return fmt.Errorf("control server: delete the move's row: %w", err)
	}
	m.o.log.Debug("move aborted", "tenant", id, "from", r.from, "to", r.to, "step", r.step)
	return nil
}
