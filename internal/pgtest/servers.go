package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/internal/pgserver"
)

// Servers starts n PostgreSQL servers of tb's own, in parallel, and stops
// them when tb ends: for tests of a fleet of several servers, which may
// kill and restart one ([pgserver.Server.Kill], [pgserver.Server.Restart]).
// Each runs with wal_level = logical (with room for 20 replication slots
// and 10 logical replication workers: shared tables and tenant moves) and
// synchronous_commit on, so that what was committed before a Kill is
// there after the Restart. Connect to srv.URL("postgres"): the
// servers are tb's alone. Like [Get], it skips tb when PostgreSQL is not
// installed, unless CI=true; TENANTC_TEST_DATABASE_URL does not help here,
// since the servers must be local to be started.
func Servers(tb testing.TB, n int) []*pgserver.Server {
	tb.Helper()
	srvs, errs := startServers(n)
	for _, s := range srvs {
		if s != nil {
			tb.Cleanup(s.Stop)
		}
	}
	err := errors.Join(errs...)
	if errors.Is(err, ErrNoPostgres) && !inCI() {
		tb.Skipf("%v (install PostgreSQL)", err)
	}
	if err != nil {
		tb.Fatal(fmt.Errorf("pgtest: start %d servers: %w", n, err))
	}
	return srvs
}

// startServers starts n fleet servers in parallel: each with wal_level =
// logical and synchronous_commit on.
func startServers(n int) ([]*pgserver.Server, []error) {
	srvs := make([]*pgserver.Server, n)
	errs := make([]error, n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*pgserver.StartTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			srvs[i], errs[i] = pgserver.Start(ctx, pgserver.Options{
				MaxConnections: 100,
				Settings: map[string]string{
					// A commit must survive Kill (a crash of the
					// postmaster): with fsync off it is then written to
					// the OS, which the process crash does not lose.
					"synchronous_commit":    "on",
					"wal_level":             "logical",
					"max_replication_slots": "20",
					"max_wal_senders":       "20",
					// A replica runs the shared subscription's apply worker
					// and, during a tenant move, the move's apply worker
					// and its table sync workers: more than the default 4.
					"max_logical_replication_workers": "10",
					"max_worker_processes":            "20",
					// Start a new subscription's workers within a
					// fraction of a second, not the default 5 s.
					"wal_retrieve_retry_interval": "200ms",
				},
			})
		})
	}
	wg.Wait()
	return srvs, errs
}

// sharedFleet are the servers of [SharedServers]: started on first use,
// grown when a test asks for more, and stopped by [Stop].
var sharedFleet struct {
	mu   sync.Mutex
	srvs []*pgserver.Server
	seq  int
}

// SharedServers is [Servers] for tests that neither kill nor restart a
// server: the servers are the test binary's, started on first use and
// stopped by [Main], and tb gets a new database on each, dropped when it
// ends, whose URLs it returns. Logical replication between the databases
// must name its subscriptions the same way in every test and the tests
// must not run in parallel: a subscription's slot on the first server is
// named after the subscription, not the database. The databases'
// subscriptions are dropped, with their slots, before the databases.
func SharedServers(tb testing.TB, n int) []string {
	tb.Helper()
	sharedFleet.mu.Lock()
	defer sharedFleet.mu.Unlock()
	if more := n - len(sharedFleet.srvs); more > 0 {
		srvs, errs := startServers(more)
		for _, s := range srvs {
			if s != nil {
				sharedFleet.srvs = append(sharedFleet.srvs, s)
			}
		}
		err := errors.Join(errs...)
		if errors.Is(err, ErrNoPostgres) && !inCI() {
			tb.Skipf("%v (install PostgreSQL)", err)
		}
		if err != nil {
			tb.Fatal(fmt.Errorf("pgtest: start %d servers: %w", more, err))
		}
	}
	sharedFleet.seq++
	name := fmt.Sprintf("fleet_%d_%d", os.Getpid(), sharedFleet.seq)
	ctx := context.Background()
	urls := make([]string, n)
	for i, srv := range sharedFleet.srvs[:n] {
		if err := execOn(ctx, srv.URL("postgres"), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			tb.Fatalf("pgtest: create database %s on server %d: %v", name, i, err)
		}
		urls[i] = srv.URL(name)
	}
	srvs := sharedFleet.srvs[:n]
	tb.Cleanup(func() {
		// Replicas first: dropping a subscription drops its slot on the
		// first server.
		for i := len(srvs) - 1; i >= 0; i-- {
			if err := dropSubscriptions(ctx, urls[i]); err != nil {
				tb.Errorf("pgtest: drop subscriptions of %s on server %d: %v", name, i, err)
			}
		}
		for i, srv := range srvs {
			if err := execOn(ctx, srv.URL("postgres"), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
				tb.Errorf("pgtest: drop database %s on server %d: %v", name, i, err)
			}
		}
	})
	return urls
}

// stopShared stops the servers of [SharedServers].
func stopShared() {
	sharedFleet.mu.Lock()
	defer sharedFleet.mu.Unlock()
	for _, s := range sharedFleet.srvs {
		s.Stop()
	}
	sharedFleet.srvs = nil
}

// dropSubscriptions drops every subscription of the database at u.
func dropSubscriptions(ctx context.Context, u string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())")
	if err != nil {
		return err
	}
	subs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if _, err := conn.Exec(ctx, "DROP SUBSCRIPTION "+pgx.Identifier{sub}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

// execOn runs one statement on the database at u.
func execOn(ctx context.Context, u, sql string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}
