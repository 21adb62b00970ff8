package pgtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tenantc/tenantc/internal/pgserver"
)

// Servers starts n PostgreSQL servers of tb's own, in parallel, and stops
// them when tb ends: for tests of a fleet of several servers, which may
// kill and restart one ([pgserver.Server.Kill], [pgserver.Server.Restart]).
// Each runs with wal_level = logical and synchronous_commit on, so that
// what was committed before a Kill is there after the Restart. Connect to srv.URL("postgres"): the
// servers are tb's alone. Like [Get], it skips tb when PostgreSQL is not
// installed, unless CI=true; TENANTC_TEST_DATABASE_URL does not help here,
// since the servers must be local to be started.
func Servers(tb testing.TB, n int) []*pgserver.Server {
	tb.Helper()
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
					// Start a new subscription's workers within a
					// fraction of a second, not the default 5 s.
					"wal_retrieve_retry_interval": "200ms",
				},
			})
		})
	}
	wg.Wait()
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
