package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantc/tenantc/tenancy"
)

// cutoverAttempts is how many times the cutover tries to lock the
// tenant's tables, each waiting at most cutoverLockTimeout: a queued
// EXCLUSIVE lock blocks the writes that arrive after it, so the wait for a
// long transaction to end must be short; the next attempt starts afresh.
const (
	cutoverAttempts    = 5
	cutoverLockTimeout = "1s"
	// cutoverCatchUp bounds the wait, under the lock, for the target to
	// confirm the source's last changes.
	cutoverCatchUp = 30 * time.Second
)

// restart undoes the steps before the cutover — the target's
// subscription and copy, the source's publication — so that the move
// starts over at MoveSchema. The registry must still place the tenant on
// the source: the target's copy is then nobody's.
func (m *mover) restart(ctx context.Context) error {
	ps, err := readPlacement(ctx, m.control.DB, m.cfg, m.control.Name, []string{m.row.id})
	if err != nil {
		return fmt.Errorf("control server: %w", err)
	}
	live, err := m.sourceLive(ctx)
	if err != nil {
		return err
	}
	if ps[0].server != m.src.Name || !live {
		return fmt.Errorf("restart the move: tenant %q is not on the source %q, under schema %q, any more", m.row.id, m.src.Name, m.row.schema)
	}
	there, err := m.hasSubscription(ctx)
	if err != nil {
		return err
	}
	if there {
		if _, err := m.dst.DB.Exec(ctx, "DROP SUBSCRIPTION "+pgx.Identifier{m.row.name}.Sanitize()); err != nil {
			return fmt.Errorf("server %q: drop subscription %s: %w", m.dst.Name, m.row.name, err)
		}
	}
	if err := m.dropSlot(ctx); err != nil {
		return err
	}
	if _, err := m.src.DB.Exec(ctx, "DROP PUBLICATION IF EXISTS "+pgx.Identifier{m.row.name}.Sanitize()); err != nil {
		return fmt.Errorf("server %q: drop publication %s: %w", m.src.Name, m.row.name, err)
	}
	err = pgx.BeginFunc(ctx, m.dst.DB, func(tx pgx.Tx) error {
		if err := lockProvision(ctx, tx, m.cfg.SharedSchema, []string{m.row.id}, []string{m.row.schema}); err != nil {
			return err
		}
		return m.p.dropSchema(ctx, tx, m.row.id, m.row.schema)
	})
	if err != nil {
		return fmt.Errorf("server %q: drop the copy of tenant %q: %w", m.dst.Name, m.row.id, err)
	}
	return m.record(ctx, m.control.DB, MoveSchema)
}

// sourceLive reports whether the source still has the tenant's schema
// under its name: the cutover has not renamed it.
func (m *mover) sourceLive(ctx context.Context) (bool, error) {
	var live bool
	if err := m.src.DB.QueryRow(ctx, "SELECT to_regnamespace($1) IS NOT NULL", pgx.Identifier{m.row.schema}.Sanitize()).Scan(&live); err != nil {
		return false, fmt.Errorf("server %q: look up schema %q: %w", m.src.Name, m.row.schema, err)
	}
	return live, nil
}

// schema is step MoveSchema: the tenant's schema on the target, built
// from the baseline at the tenant's version with its revision rows, in
// one transaction, without a registry change; then the columns of every
// table are compared with the source's.
func (m *mover) schema(ctx context.Context) (string, error) {
	id, schemaName := m.row.id, m.row.schema
	remote := *m.p
	// The tenant's own version was checked by the preflight; the
	// target's revisions table does not list the fleet's other tenants.
	remote.remote, remote.fleet = true, true
	if err := remote.checkShared(ctx, m.dst.DB); err != nil {
		return "", fmt.Errorf("server %q: %w", m.dst.Name, err)
	}
	ddl, err := remote.baseline(ctx, m.dst.DB)
	if err != nil {
		return "", fmt.Errorf("server %q: %w", m.dst.Name, err)
	}
	detail := "built at version " + m.p.head()
	err = pgx.BeginFunc(ctx, m.dst.DB, func(tx pgx.Tx) error {
		if err := lockProvision(ctx, tx, m.cfg.SharedSchema, []string{id}, []string{schemaName}); err != nil {
			return err
		}
		var there, recorded bool
		err := tx.QueryRow(ctx, `SELECT to_regnamespace($1) IS NOT NULL, EXISTS (SELECT 1 FROM `+m.p.revs+` WHERE tenant_id = $2)`,
			pgx.Identifier{schemaName}.Sanitize(), id).Scan(&there, &recorded)
		if err != nil {
			return fmt.Errorf("look up schema %q: %w", schemaName, err)
		}
		if there {
			// An earlier run built it, with the revision rows in the same
			// transaction; a schema without them is not the move's.
			if !recorded {
				return fmt.Errorf("schema %q already exists: %w", schemaName, ErrTenantExists)
			}
			detail = "built by an earlier run"
			return nil
		}
		if err := remote.build(ctx, tx, id, schemaName, ddl); err != nil {
			return err
		}
		return remote.recordVersions(ctx, tx, id, m.p.head())
	})
	if err != nil {
		return "", fmt.Errorf("server %q: %w", m.dst.Name, err)
	}
	if err := m.compareColumns(ctx); err != nil {
		return "", err
	}
	if err := m.record(ctx, m.control.DB, MovePublish); err != nil {
		return "", err
	}
	reached(MoveSchema)
	return detail, nil
}

// columnsSQL lists "table.column type" of every table of a schema.
const columnsSQL = `SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1`

// compareColumns refuses, with ErrNotMovable, when the tables of the
// source's schema and of the target's differ in a column: replication
// would stop on it.
func (m *mover) compareColumns(ctx context.Context) error {
	read := func(srv Server) ([]string, error) {
		rows, err := srv.DB.Query(ctx, columnsSQL, m.row.schema)
		if err != nil {
			return nil, fmt.Errorf("server %q: read columns of schema %q: %w", srv.Name, m.row.schema, err)
		}
		return pgx.CollectRows(rows, pgx.RowTo[string])
	}
	src, err := read(m.src)
	if err != nil {
		return err
	}
	dst, err := read(m.dst)
	if err != nil {
		return err
	}
	for _, c := range src {
		if !slices.Contains(dst, c) {
			return fmt.Errorf("column %s.%s of server %q is not in the schema the migrations build on server %q (run tenantc migrate drift): %w",
				m.row.schema, c, m.src.Name, m.dst.Name, ErrNotMovable)
		}
	}
	for _, c := range dst {
		if !slices.Contains(src, c) {
			return fmt.Errorf("column %s.%s, which the migrations build, is missing on server %q (run tenantc migrate drift): %w",
				m.row.schema, c, m.src.Name, ErrNotMovable)
		}
	}
	return nil
}

// tables returns the quoted tables of the tenant's schema on srv.
func (m *mover) tables(ctx context.Context, srv Server, schemaName string) ([]string, error) {
	rows, err := srv.DB.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`, schemaName)
	if err != nil {
		return nil, fmt.Errorf("server %q: list tables of schema %q: %w", srv.Name, schemaName, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("server %q: list tables of schema %q: %w", srv.Name, schemaName, err)
	}
	for i, n := range names {
		names[i] = pgx.Identifier{schemaName, n}.Sanitize()
	}
	return names, nil
}

// lockOrder returns the quoted tables of the tenant's schema on the
// source, each before the tables it references: an app's insert locks the
// referencing table, then the referenced one for its foreign key check,
// and the cutover's LOCK taking them the other way round would deadlock
// with it. Tables in a cycle of references come last, by name.
func (m *mover) lockOrder(ctx context.Context) ([]string, error) {
	rows, err := m.src.DB.Query(ctx, `SELECT c.relname, coalesce(array_agg(DISTINCT r.relname) FILTER (WHERE r.oid <> c.oid), '{}')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
LEFT JOIN pg_class r ON r.oid = k.confrelid AND r.relnamespace = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') GROUP BY c.relname ORDER BY 1`, m.row.schema)
	if err != nil {
		return nil, fmt.Errorf("server %q: list tables of schema %q: %w", m.src.Name, m.row.schema, err)
	}
	refs := map[string][]string{}
	var names []string
	var name string
	var to []string
	_, err = pgx.ForEachRow(rows, []any{&name, &to}, func() error {
		names = append(names, name)
		refs[name] = slices.Clone(to)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server %q: list tables of schema %q: %w", m.src.Name, m.row.schema, err)
	}
	return lockOrder(names, refs, m.row.schema), nil
}

// lockOrder orders names (sorted) so that a table comes after every table
// that references it (refs: table → the tables it references).
func lockOrder(names []string, refs map[string][]string, schema string) []string {
	var out []string
	done := map[string]bool{}
	for len(out) < len(names) {
		progress := false
		for _, n := range names {
			if done[n] {
				continue
			}
			ready := true
			for _, other := range names {
				if !done[other] && other != n && slices.Contains(refs[other], n) {
					ready = false
					break
				}
			}
			if ready {
				done[n] = true
				out = append(out, pgx.Identifier{schema, n}.Sanitize())
				progress = true
			}
		}
		if !progress {
			for _, n := range names {
				if !done[n] {
					done[n] = true
					out = append(out, pgx.Identifier{schema, n}.Sanitize())
				}
			}
		}
	}
	return out
}

// publish is step MovePublish: the source publishes the tenant's schema.
func (m *mover) publish(ctx context.Context) (string, error) {
	tables, err := m.tables(ctx, m.src, m.row.schema)
	if err != nil {
		return "", err
	}
	// The source's copy is dropped after the move: the identity does
	// not outlive it, and the target keeps the migrations' tables.
	if err := replicaIdentityFull(ctx, m.src.DB, tables); err != nil {
		return "", fmt.Errorf("server %q: %w", m.src.Name, err)
	}
	var there bool
	if err := m.src.DB.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", m.row.name).Scan(&there); err != nil {
		return "", fmt.Errorf("server %q: read publication: %w", m.src.Name, err)
	}
	if !there {
		_, err := m.src.DB.Exec(ctx, "CREATE PUBLICATION "+pgx.Identifier{m.row.name}.Sanitize()+
			" FOR TABLES IN SCHEMA "+pgx.Identifier{m.row.schema}.Sanitize())
		if err != nil {
			return "", fmt.Errorf("server %q: publish schema %q: %w", m.src.Name, m.row.schema, err)
		}
	}
	if err := m.record(ctx, m.control.DB, MoveSubscribe); err != nil {
		return "", err
	}
	reached(MovePublish)
	return fmt.Sprintf("publication %s of %d tables", m.row.name, len(tables)), nil
}

// hasSubscription reports whether the target has the move's subscription.
func (m *mover) hasSubscription(ctx context.Context) (bool, error) {
	var there bool
	if err := m.dst.DB.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = $1)", m.row.name).Scan(&there); err != nil {
		return false, fmt.Errorf("server %q: read subscription: %w", m.dst.Name, err)
	}
	return there, nil
}

// dropSlot drops the move's replication slot on the source when no
// subscription uses it: a subscription whose creation failed after the
// slot's, or one dropped while the source was down, leaves it behind,
// holding WAL.
func (m *mover) dropSlot(ctx context.Context) error {
	_, err := m.src.DB.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", m.row.name)
	if err != nil {
		return fmt.Errorf("server %q: drop replication slot %s: %w", m.src.Name, m.row.name, err)
	}
	return nil
}

// subscribe is step MoveSubscribe: the target subscribes to the source's
// publication, which copies every table, and catches up with the source.
func (m *mover) subscribe(ctx context.Context) (string, error) {
	there, err := m.hasSubscription(ctx)
	if err != nil {
		return "", err
	}
	if !there {
		if err := m.dropSlot(ctx); err != nil {
			return "", err
		}
		// Rows there come from a subscription of an earlier run that
		// is gone: the copy starts over — while the source is the
		// tenant's, which it is until the cutover.
		live, err := m.sourceLive(ctx)
		if err != nil {
			return "", err
		}
		if !live {
			return "", fmt.Errorf("server %q has no schema %q to copy", m.src.Name, m.row.schema)
		}
		tables, err := m.tables(ctx, m.dst, m.row.schema)
		if err != nil {
			return "", err
		}
		if len(tables) > 0 {
			if _, err := m.dst.DB.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")); err != nil {
				return "", fmt.Errorf("server %q: empty schema %q: %w", m.dst.Name, m.row.schema, err)
			}
		}
		name := pgx.Identifier{m.row.name}.Sanitize()
		// synchronous_commit on: the target confirms each change as soon
		// as it is applied, so that the cutover's wait is short.
		_, err = m.dst.DB.Exec(ctx, "CREATE SUBSCRIPTION "+name+" CONNECTION "+quoteLiteral(m.src.DB.Config().ConnString())+
			" PUBLICATION "+name+" WITH (copy_data = true, synchronous_commit = 'on')")
		if err != nil {
			return "", fmt.Errorf("server %q: subscribe to server %q: %w", m.dst.Name, m.src.Name, err)
		}
		reached("subscribed")
	}
	if err := m.waitReady(ctx); err != nil {
		return "", err
	}
	var lsn string
	if err := m.src.DB.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		return "", fmt.Errorf("server %q: read WAL position: %w", m.src.Name, err)
	}
	if err := m.waitFlushed(ctx, m.src.DB, lsn, syncTimeout, 20*time.Millisecond); err != nil {
		return "", err
	}
	if err := m.refreshViews(ctx); err != nil {
		return "", err
	}
	tables, err := m.tables(ctx, m.dst, m.row.schema)
	if err != nil {
		return "", err
	}
	var n int64
	if len(tables) > 0 {
		parts := make([]string, len(tables))
		for i, t := range tables {
			parts[i] = "(SELECT count(*) FROM " + t + ")"
		}
		if err := m.dst.DB.QueryRow(ctx, "SELECT "+strings.Join(parts, " + ")).Scan(&n); err != nil {
			return "", fmt.Errorf("server %q: count rows: %w", m.dst.Name, err)
		}
	}
	m.row.rows, m.rep.RowsCopied = n, n
	if err := m.record(ctx, m.control.DB, MoveCutover); err != nil {
		return "", err
	}
	reached(MoveSubscribe)
	return fmt.Sprintf("%d rows copied", n), nil
}

// waitReady waits until the subscription has copied every table and
// streams its changes (state 'r'), failing when it reports an error.
func (m *mover) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		var pending, errs int64
		err := m.dst.DB.QueryRow(ctx, `SELECT
	(SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1 AND r.srsubstate <> 'r'),
	(SELECT coalesce(sum(apply_error_count + sync_error_count), 0) FROM pg_stat_subscription_stats WHERE subname = $1)`, m.row.name).Scan(&pending, &errs)
		if err != nil {
			return fmt.Errorf("server %q: wait for subscription %s: %w", m.dst.Name, m.row.name, err)
		}
		if errs > 0 {
			return fmt.Errorf("server %q: subscription %s failed to copy or apply a change (see the server's log)", m.dst.Name, m.row.name)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server %q: wait for subscription %s to copy %d tables: %w", m.dst.Name, m.row.name, pending, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// waitFlushed waits until the target has confirmed the source's WAL up to
// lsn: its slot's confirmed_flush_lsn, read through db on the source.
func (m *mover) waitFlushed(ctx context.Context, db querier, lsn string, timeout, poll time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var ok *bool
		err := db.QueryRow(ctx, "SELECT confirmed_flush_lsn >= $2::pg_lsn FROM pg_replication_slots WHERE slot_name = $1", m.row.name, lsn).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("server %q: replication slot %s is gone", m.src.Name, m.row.name)
		}
		if err != nil {
			return fmt.Errorf("server %q: wait for the target to confirm %s: %w", m.src.Name, lsn, err)
		}
		if ok != nil && *ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server %q: wait for the target to confirm %s: %w", m.src.Name, lsn, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// refreshViews refreshes the target's materialized views of the tenant,
// which replication does not fill.
func (m *mover) refreshViews(ctx context.Context) error {
	rows, err := m.dst.DB.Query(ctx, "SELECT matviewname FROM pg_matviews WHERE schemaname = $1 ORDER BY 1", m.row.schema)
	if err != nil {
		return fmt.Errorf("server %q: list materialized views: %w", m.dst.Name, err)
	}
	views, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("server %q: list materialized views: %w", m.dst.Name, err)
	}
	for _, v := range views {
		if _, err := m.dst.DB.Exec(ctx, "REFRESH MATERIALIZED VIEW "+pgx.Identifier{m.row.schema, v}.Sanitize()); err != nil {
			return fmt.Errorf("server %q: refresh %s: %w", m.dst.Name, v, err)
		}
	}
	return nil
}

// cutover is step MoveCutover, the pause: the source's tables locked
// against writes, the last changes confirmed by the target, the sequences
// copied and the source's schema renamed, in one transaction; then the
// registry row points at the target (in that transaction when the source
// is the control server, else right after its commit).
func (m *mover) cutover(ctx context.Context) (string, error) {
	var live, renamed bool
	err := m.src.DB.QueryRow(ctx, "SELECT to_regnamespace($1) IS NOT NULL, to_regnamespace($2) IS NOT NULL",
		pgx.Identifier{m.row.schema}.Sanitize(), pgx.Identifier{m.row.moved}.Sanitize()).Scan(&live, &renamed)
	if err != nil {
		return "", fmt.Errorf("server %q: look up schema %q: %w", m.src.Name, m.row.schema, err)
	}
	inOne := m.src.Name == m.control.Name
	detail := ""
	switch {
	case live:
		var start time.Time
		var err error
		for attempt := 1; ; attempt++ {
			err = m.freeze(ctx, inOne, &start)
			if err == nil || attempt == cutoverAttempts || !retryable(err) {
				break
			}
			m.o.log.Debug("cutover retried", "tenant", m.row.id, "attempt", attempt, "error", err)
		}
		if err != nil {
			return "", err
		}
		reached("renamed")
		if !inOne {
			if err := pgx.BeginFunc(ctx, m.control.DB, func(tx pgx.Tx) error { return m.flip(ctx, tx, start) }); err != nil {
				return "", fmt.Errorf("control server: %w", err)
			}
		}
		m.row.pausedMS = ms(time.Since(start))
		detail = fmt.Sprintf("writes paused %.1f ms", m.row.pausedMS)
	case renamed:
		// An earlier run renamed the source and stopped before the
		// registry flip (or after it): finish it.
		if err := pgx.BeginFunc(ctx, m.control.DB, func(tx pgx.Tx) error { return m.flip(ctx, tx, time.Now()) }); err != nil {
			return "", fmt.Errorf("control server: %w", err)
		}
		detail = "renamed by an earlier run; registry updated"
	default:
		return "", fmt.Errorf("server %q has neither schema %q nor %q", m.src.Name, m.row.schema, m.row.moved)
	}
	m.rep.PauseMS = m.row.pausedMS
	m.afterFlip()
	if err := m.record(ctx, m.control.DB, MoveCleanup); err != nil {
		return "", err
	}
	reached(MoveCutover)
	return detail, nil
}

// retryable reports whether a cutover attempt failed on a lock it could
// not get in time or a deadlock with the app's transactions.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "55P03" || pgErr.Code == "40P01")
}

// freeze is one attempt of the cutover's transaction on the source; with
// inOne (the source is the control server) it flips the registry in it.
// The pause starts at the LOCK: freeze sets start then.
func (m *mover) freeze(ctx context.Context, inOne bool, start *time.Time) error {
	tables, err := m.lockOrder(ctx)
	if err != nil {
		return err
	}
	tx, err := m.src.DB.Begin(ctx)
	if err != nil {
		return fmt.Errorf("server %q: begin: %w", m.src.Name, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '"+cutoverLockTimeout+"'"); err != nil {
		return fmt.Errorf("server %q: %w", m.src.Name, err)
	}
	*start = time.Now()
	if len(tables) > 0 {
		if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(tables, ", ")+" IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("server %q: lock the tables of schema %q: %w", m.src.Name, m.row.schema, err)
		}
	}
	// Every committed write to the tables is before this position; the
	// lock keeps new ones out.
	var lsn string
	if err := tx.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		return fmt.Errorf("server %q: read WAL position: %w", m.src.Name, err)
	}
	if err := m.waitFlushed(ctx, m.src.DB, lsn, cutoverCatchUp, time.Millisecond); err != nil {
		return err
	}
	if err := m.copySequences(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "ALTER SCHEMA "+pgx.Identifier{m.row.schema}.Sanitize()+" RENAME TO "+pgx.Identifier{m.row.moved}.Sanitize()); err != nil {
		return fmt.Errorf("server %q: rename schema %q: %w", m.src.Name, m.row.schema, err)
	}
	if inOne {
		if err := m.flip(ctx, tx, *start); err != nil {
			return err
		}
	}
	reached("locked")
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("server %q: commit the cutover: %w", m.src.Name, err)
	}
	return nil
}

// copySequences sets every sequence of the tenant's schema on the target
// to its value on the source, read in tx: logical replication copies no
// sequence, and the target's would start over and collide.
func (m *mover) copySequences(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, "SELECT sequencename FROM pg_sequences WHERE schemaname = $1 ORDER BY 1", m.row.schema)
	if err != nil {
		return fmt.Errorf("server %q: list sequences: %w", m.src.Name, err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("server %q: list sequences: %w", m.src.Name, err)
	}
	if len(seqs) == 0 {
		return nil
	}
	read, set := &pgx.Batch{}, &pgx.Batch{}
	for _, s := range seqs {
		q := pgx.Identifier{m.row.schema, s}.Sanitize()
		read.Queue("SELECT last_value, is_called FROM " + q).QueryRow(func(r pgx.Row) error {
			var v int64
			var called bool
			if err := r.Scan(&v, &called); err != nil {
				return err
			}
			set.Queue("SELECT setval($1::regclass, $2, $3)", q, v, called)
			return nil
		})
	}
	if err := tx.SendBatch(ctx, read).Close(); err != nil {
		return fmt.Errorf("server %q: read sequences: %w", m.src.Name, err)
	}
	if err := m.dst.DB.SendBatch(ctx, set).Close(); err != nil {
		return fmt.Errorf("server %q: set sequences: %w", m.dst.Name, err)
	}
	return nil
}

// flip points the registry row at the target, in tx on the control
// server, records it and announces it on [tenancy.RegistryChannel].
func (m *mover) flip(ctx context.Context, tx pgx.Tx, start time.Time) error {
	if _, err := tx.Exec(ctx, "UPDATE "+m.p.reg+" SET server = $2 WHERE id = $1", m.row.id, m.dst.Name); err != nil {
		return fmt.Errorf("update registry row: %w", err)
	}
	drop := time.Now().Add(m.o.grace)
	m.row.dropAfter = &drop
	m.row.pausedMS = ms(time.Since(start))
	if err := m.record(ctx, tx, MoveCleanup); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", tenancy.RegistryChannel, m.row.id); err != nil {
		return fmt.Errorf("notify %s: %w", tenancy.RegistryChannel, err)
	}
	return nil
}

// cleanup is step MoveCleanup: the subscription (and with it the slot on
// the source), the publication and the source's revision rows of the
// tenant go.
func (m *mover) cleanup(ctx context.Context) (string, error) {
	there, err := m.hasSubscription(ctx)
	if err != nil {
		return "", err
	}
	if there {
		if _, err := m.dst.DB.Exec(ctx, "DROP SUBSCRIPTION "+pgx.Identifier{m.row.name}.Sanitize()); err != nil {
			return "", fmt.Errorf("server %q: drop subscription %s: %w", m.dst.Name, m.row.name, err)
		}
	}
	if err := m.dropSlot(ctx); err != nil {
		return "", err
	}
	if _, err := m.src.DB.Exec(ctx, "DROP PUBLICATION IF EXISTS "+pgx.Identifier{m.row.name}.Sanitize()); err != nil {
		return "", fmt.Errorf("server %q: drop publication %s: %w", m.src.Name, m.row.name, err)
	}
	if _, err := m.src.DB.Exec(ctx, "DELETE FROM "+m.p.revs+" WHERE tenant_id = $1", m.row.id); err != nil {
		return "", fmt.Errorf("server %q: delete revisions of tenant %q: %w", m.src.Name, m.row.id, err)
	}
	if _, err := m.control.DB.Exec(ctx, "SELECT pg_notify($1, $2)", tenancy.RegistryChannel, m.row.id); err != nil {
		return "", fmt.Errorf("control server: notify %s: %w", tenancy.RegistryChannel, err)
	}
	if err := m.record(ctx, m.control.DB, MoveDrop); err != nil {
		return "", err
	}
	reached(MoveCleanup)
	return "subscription, publication and source revisions dropped", nil
}

// drop is step MoveDrop: once the grace period is over, the renamed
// source schema goes, and the move's row.
func (m *mover) drop(ctx context.Context) (string, error) {
	reached("grace")
	detail := "source schema " + m.row.moved + " dropped"
	if m.row.dropAfter != nil {
		if wait := time.Until(*m.row.dropAfter); wait > 0 {
			m.emit(MoveEvent{Tenant: m.row.id, Step: MoveDrop, Detail: fmt.Sprintf("grace period: dropping the source schema in %s", wait.Round(time.Second))})
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("wait for the grace period: %w", ctx.Err())
			case <-time.After(wait):
			}
			detail += " after the grace period"
		}
	}
	if _, err := m.src.DB.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{m.row.moved}.Sanitize()+" CASCADE"); err != nil {
		return "", fmt.Errorf("server %q: drop schema %q: %w", m.src.Name, m.row.moved, err)
	}
	if _, err := m.control.DB.Exec(ctx, "DELETE FROM "+m.moves+" WHERE tenant_id = $1", m.row.id); err != nil {
		return "", fmt.Errorf("control server: delete move row: %w", err)
	}
	return detail, nil
}
