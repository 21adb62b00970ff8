package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/config"
)

// Shared tables on every server: the control server publishes them, every
// other server (a replica) subscribes, so that a tenant query joining a
// shared table reads it on the tenant's own server.
//
// The publication lists the shared schema's tables but tenantc's own
// bookkeeping — not FOR TABLES IN SCHEMA, which would also publish
// tenantc_revisions and tenantc_baselines, whose rows are each server's
// own and would collide on the replicas, and tenantc_moves, the control
// server's record of tenant moves. Replicas run the shared migration
// files without their row-only statements (see rowOnly): the rows come
// from the control server, which runs them; run there too, they would be
// applied twice and stop the subscription on a duplicate key.

// Publication is the name of the control server's publication of the
// shared tables; each replica's subscription is named after it and the
// replica ("tenantc_shared_eu").
const Publication = "tenantc_shared"

// ErrReplicaNotEmpty is returned by [Servers.Apply] when a replica's shared
// tables hold rows before its subscription first copies the control
// server's: they would be duplicated. Empty them, or start the replica
// from a fresh database. Test with errors.Is.
var ErrReplicaNotEmpty = errors.New("migrate: a replica's shared tables hold rows of their own")

// syncTimeout bounds the wait for a new subscription's first copy.
const syncTimeout = 2 * time.Minute

// rowOnly reports whether stmt only writes rows (INSERT, UPDATE, DELETE,
// MERGE, COPY, TRUNCATE, or a WITH query), so that a replica skips it.
func rowOnly(stmt string) bool {
	s := stmt
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"):
			_, rest, ok := strings.Cut(s, "\n")
			if !ok {
				return false
			}
			s = rest
		case strings.HasPrefix(s, "/*"):
			_, rest, ok := strings.Cut(s, "*/")
			if !ok {
				return false
			}
			s = rest
		default:
			word := s
			if i := strings.IndexFunc(s, func(r rune) bool {
				return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
			}); i >= 0 {
				word = s[:i]
			}
			switch strings.ToUpper(word) {
			case "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE", "WITH":
				return true
			}
			return false
		}
	}
}

// replicaFiles returns files without their row-only statements.
func replicaFiles(files []File) []File {
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = f
		out[i].Stmts = slices.DeleteFunc(slices.Clone(f.Stmts), rowOnly)
	}
	return out
}

// sharedTables returns the quoted tables of the shared schema that the
// publication lists: all but tenantc's bookkeeping (the revisions and
// baselines of each server, and the control server's tenant moves).
func sharedTables(ctx context.Context, db querier, cfg *config.Config) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> ALL ($2)
ORDER BY 1`, cfg.SharedSchema, []string{RevisionsTable, BaselinesTable, MovesTable})
	if err != nil {
		return nil, fmt.Errorf("list shared tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list shared tables: %w", err)
	}
	for i, n := range names {
		names[i] = pgx.Identifier{cfg.SharedSchema, n}.Sanitize()
	}
	return names, nil
}

// publish creates or updates the control server's publication so that it
// lists every shared table, giving a table without a primary key REPLICA
// IDENTITY FULL, without which PostgreSQL refuses its UPDATEs and DELETEs
// once it is published.
func publish(ctx context.Context, db DB, cfg *config.Config) error {
	tables, err := sharedTables(ctx, db, cfg)
	if err != nil {
		return err
	}
	if err := replicaIdentityFull(ctx, db, tables); err != nil {
		return err
	}
	return setPublication(ctx, db, tables)
}

// replicaIdentityFull gives each of tables without a primary key and with
// the default replica identity REPLICA IDENTITY FULL.
func replicaIdentityFull(ctx context.Context, db DB, tables []string) error {
	if len(tables) > 0 {
		rows, err := db.Query(ctx, `SELECT c.oid::regclass::text FROM pg_class c
WHERE c.oid = ANY ($1::regclass[]) AND c.relreplident = 'd'
AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)`, tables)
		if err != nil {
			return fmt.Errorf("read replica identities: %w", err)
		}
		bare, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("read replica identities: %w", err)
		}
		for _, t := range bare {
			if _, err := db.Exec(ctx, "ALTER TABLE "+t+" REPLICA IDENTITY FULL"); err != nil {
				return fmt.Errorf("set replica identity of %s: %w", t, err)
			}
		}
	}
	return nil
}

// setPublication makes the publication list exactly tables.
func setPublication(ctx context.Context, db DB, tables []string) error {
	var exists bool
	if err := db.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", Publication).Scan(&exists); err != nil {
		return fmt.Errorf("read publication: %w", err)
	}
	pub := pgx.Identifier{Publication}.Sanitize()
	var sql string
	switch {
	case !exists && len(tables) == 0:
		sql = "CREATE PUBLICATION " + pub
	case !exists:
		sql = "CREATE PUBLICATION " + pub + " FOR TABLE " + strings.Join(tables, ", ")
	case len(tables) == 0:
		return nil
	default:
		sql = "ALTER PUBLICATION " + pub + " SET TABLE " + strings.Join(tables, ", ")
	}
	if _, err := db.Exec(ctx, sql); err != nil {
		return fmt.Errorf("publish shared tables: %w", err)
	}
	return nil
}

// subscriptionName is the name of replica's subscription, and of its slot
// on the control server.
func subscriptionName(replica string) string { return Publication + "_" + replica }

// subscribe makes replica (a server other than control) follow the
// control server's publication: on first use it checks that the shared
// tables are empty and creates the subscription, which copies them;
// afterwards it refreshes the subscription, which copies tables the
// publication gained. It then guards every shared table against writes
// ([guardSQL]) and waits until every table is copied.
func subscribe(ctx context.Context, control Server, replica Server, cfg *config.Config) error {
	tables, err := sharedTables(ctx, replica.DB, cfg)
	if err != nil {
		return err
	}
	name := subscriptionName(replica.Name)
	var exists bool
	if err := replica.DB.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("read subscription: %w", err)
	}
	if err := guard(ctx, replica.DB, cfg, control.Name, tables); err != nil {
		return err
	}
	sub := pgx.Identifier{name}.Sanitize()
	if exists {
		if _, err := replica.DB.Exec(ctx, "ALTER SUBSCRIPTION "+sub+" REFRESH PUBLICATION"); err != nil {
			return fmt.Errorf("refresh subscription %s: %w", name, err)
		}
	} else {
		for _, t := range tables {
			var rows bool
			if err := replica.DB.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+t+")").Scan(&rows); err != nil {
				return fmt.Errorf("read %s: %w", t, err)
			}
			if rows {
				return fmt.Errorf("table %s: %w", t, ErrReplicaNotEmpty)
			}
		}
		conninfo := control.DB.Config().ConnString()
		_, err := replica.DB.Exec(ctx, "CREATE SUBSCRIPTION "+sub+" CONNECTION "+quoteLiteral(conninfo)+
			" PUBLICATION "+pgx.Identifier{Publication}.Sanitize())
		if err != nil {
			return fmt.Errorf("subscribe to control server %q: %w", control.Name, err)
		}
	}
	return waitSynced(ctx, replica.DB, name)
}

// waitSynced waits until every table of the subscription has been copied.
func waitSynced(ctx context.Context, db DB, name string) error {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		var pending int
		err := db.QueryRow(ctx, `SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
WHERE s.subname = $1 AND r.srsubstate NOT IN ('r', 's')`, name).Scan(&pending)
		if err != nil {
			return fmt.Errorf("wait for subscription %s: %w", name, err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for subscription %s to copy %d tables: %w", name, pending, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// guard installs, on a replica, a trigger on each shared table that
// refuses writes with an error naming the control server. Logical
// replication applies the control server's changes with
// session_replication_role = replica, where the trigger does not fire.
func guard(ctx context.Context, db DB, cfg *config.Config, control string, tables []string) error {
	fn := pgx.Identifier{cfg.SharedSchema, "tenantc_replica_guard"}.Sanitize()
	_, err := db.Exec(ctx, `CREATE OR REPLACE FUNCTION `+fn+`() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
	RAISE EXCEPTION 'tenantc: shared table %.% is a replica here; write it on the control server %',
		TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0]
		USING ERRCODE = 'read_only_sql_transaction',
		HINT = 'shared writes go through the control server: db.New(fleet), not a tenant''s Conn';
END
$f$`)
	if err != nil {
		return fmt.Errorf("create replica guard: %w", err)
	}
	for _, t := range tables {
		_, err := db.Exec(ctx, "CREATE OR REPLACE TRIGGER tenantc_replica_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "+t+
			" FOR EACH STATEMENT EXECUTE FUNCTION "+fn+"("+quoteLiteral(control)+")")
		if err != nil {
			return fmt.Errorf("guard %s: %w", t, err)
		}
	}
	return nil
}

// quoteLiteral quotes s as an SQL string literal, for the statements that
// take no parameters (CREATE SUBSCRIPTION, trigger arguments).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
