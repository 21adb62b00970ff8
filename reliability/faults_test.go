package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/isolation/db"
	"github.com/tenantc/tenantc/internal/isolation/workload"
	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// Fault workload size: small enough that each fault runs in seconds.
const (
	faultTenants = 50
	faultWorkers = 16
	// faultMaxConns is the fault server's max_connections, small so that
	// one test can exhaust it.
	faultMaxConns = 40
)

// background runs l with o in a goroutine until the returned function is
// called, which stops it and waits for it.
func background(ctx context.Context, l *workload.Load, o workload.RunOptions) (stop func()) {
	ch := make(chan struct{})
	done := make(chan struct{})
	o.Stop = ch
	go func() {
		defer close(done)
		l.Run(ctx, o)
	}()
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			close(ch)
		}
		<-done
	}
}

// waitFor polls cond until it holds, failing t after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// faultServer starts a PostgreSQL of the test's own, which the faults may
// crash and exhaust without disturbing other tests. Commits are
// synchronous, so that a commit reported to the client survives a crash.
func faultServer(t *testing.T) *pgserver.Server {
	t.Helper()
	srv, err := pgserver.Start(context.Background(), pgserver.Options{
		MaxConnections: faultMaxConns,
		Settings:       map[string]string{"synchronous_commit": "on"},
	})
	if errors.Is(err, pgserver.ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// faultDB creates a database on srv with the fault tenants and returns its
// URL.
func faultDB(t *testing.T, srv *pgserver.Server, name string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	url := srv.URL(name)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := setup(ctx, pool, faultTenants); err != nil {
		t.Fatal(err)
	}
	return url
}

// TestFaults injects faults into a running workload. In each, the app
// keeps serving the tenants the fault does not touch, every failure
// surfaces as an error, and no operation returns or writes a row of
// another tenant.
func TestFaults(t *testing.T) {
	// The faults touch only their own server, so they overlap TestLoad.
	t.Parallel()
	srv := faultServer(t)
	ctx := context.Background()

	t.Run("restart", func(t *testing.T) {
		url := faultDB(t, srv, "restart")
		pool := pgtest.Connect(t, url, pgtest.WithMaxConns(faultWorkers))
		tenants, err := lookupTenants(ctx, pool, faultTenants)
		if err != nil {
			t.Fatal(err)
		}
		l := workload.New(pool, tenants)
		stop := background(ctx, l, workload.RunOptions{Workers: faultWorkers, Seed: 2})
		defer stop()
		waitFor(t, time.Minute, "1,000 operations before the crash", func() bool { return l.Done() >= 1000 })

		// A crash: every backend is gone at once, open transactions are
		// lost, and the next start runs crash recovery.
		okBefore, errorsBefore := l.Done(), l.Errors()
		srv.Kill()
		okAtKill := l.Done()
		time.Sleep(time.Second)
		outageErrors, okWhileDown := l.Errors()-errorsBefore, l.Done()-okAtKill
		if err := srv.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		okAtRestart := l.Done()
		waitFor(t, time.Minute, "1,000 operations after the restart", func() bool { return l.Done() >= okAtRestart+1000 })
		stop()
		// Operations that got their answer before the kill may count
		// just after it.
		t.Logf("crash and restart under load: %d operations before the kill, %d during it, %d in the second after it while %d failed; %s",
			okBefore, okAtKill-okBefore, okWhileDown, outageErrors, l.Summary())
		if outageErrors == 0 {
			t.Error("no operation failed while the server was down")
		}
		checkErrorKinds(t, l, "SQLSTATE 57P01", "SQLSTATE 57P02", "SQLSTATE 57P03", "connect error", "connection lost", "not sent (safe to retry)")

		// Every pooled connection died with the server; once the pool has
		// replaced them, nothing fails.
		strict := l.On(pool)
		strict.Run(ctx, workload.RunOptions{Workers: faultWorkers, Ops: 1000, Seed: 3})
		if n := strict.Errors(); n > 0 {
			t.Errorf("after the restart, %d of 1,000 operations failed: %s", n, strict.Summary())
		}
		rows := l.Verify(t, ctx)
		t.Logf("after the restart: %s; %d rows verified", strict.Summary(), rows)
	})

	t.Run("tenant dropped", func(t *testing.T) {
		url := faultDB(t, srv, "dropped")
		pool := pgtest.Connect(t, url, pgtest.WithMaxConns(faultWorkers))
		tenants, err := lookupTenants(ctx, pool, faultTenants)
		if err != nil {
			t.Fatal(err)
		}
		const victim = 7
		vt := tenants[victim]
		var unclear atomic.Int64
		var firstUnclear atomic.Value
		l := workload.New(pool, tenants)
		l.OnError = func(ti int, err error) {
			// A dropped tenant's statements fail naming its own schema.
			// One of its statements in flight while the drop takes the
			// schema's locks can instead be the server's deadlock victim:
			// the drop holds an object the statement needs next (an insert
			// holds items, then takes its id sequence) and waits for the
			// table the statement holds.
			var pgErr *pgconn.PgError
			if ti == victim && errors.As(err, &pgErr) && (((pgErr.Code == "42P01" || pgErr.Code == "3F000") &&
				strings.Contains(pgErr.Message, vt.Schema())) || pgErr.Code == "40P01") {
				return
			}
			unclear.Add(1)
			firstUnclear.CompareAndSwap(nil, fmt.Sprintf("tenant %s: %v", tenants[ti].ID(), err))
		}
		stop := background(ctx, l, workload.RunOptions{Workers: faultWorkers, Seed: 4})
		defer stop()
		waitFor(t, time.Minute, "1,000 operations before the drop", func() bool { return l.Done() >= 1000 })

		// What tenantc tenant drop does: the schema and the registry row,
		// in one transaction.
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{vt.Schema()}.Sanitize()+" CASCADE"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DELETE FROM public.tenants WHERE id = $1", vt.ID())
			return err
		})
		if err != nil {
			t.Fatalf("drop tenant %s: %v", vt.ID(), err)
		}
		okAtDrop, victimOK := l.Done(), l.OKBy(victim)
		victimErrs := l.Failed(victim)
		waitFor(t, time.Minute, "1,000 operations after the drop", func() bool { return l.Done() >= okAtDrop+1000 })
		stop()
		t.Logf("tenant %s dropped under load: %s", vt.ID(), l.Summary())

		if got := l.OKBy(victim); got != victimOK {
			t.Errorf("%d operations for the dropped tenant succeeded after the drop", got-victimOK)
		}
		if l.Failed(victim) == victimErrs {
			t.Error("no operation for the dropped tenant failed after the drop")
		}
		if n := unclear.Load(); n > 0 {
			t.Errorf("%d errors are not the dropped tenant's missing schema, first: %v", n, firstUnclear.Load())
		}
		for i := range tenants {
			if i != victim && l.Failed(i) > 0 {
				t.Errorf("tenant %s: %d operations failed", tenants[i].ID(), l.Failed(i))
			}
		}
		// The registry no longer knows the tenant.
		if _, err := tenancy.NewRegistry(pool).Lookup(ctx, vt.ID()); !errors.Is(err, tenancy.ErrUnknownTenant) {
			t.Errorf("Lookup of the dropped tenant: %v, want ErrUnknownTenant", err)
		}
		l.Verify(t, ctx, victim)
	})

	t.Run("connection limit", func(t *testing.T) {
		url := faultDB(t, srv, "connlimit")
		var err error
		// App A holds its connections from the start.
		const aConns = 8
		poolA := pgtest.Connect(t, url, pgtest.WithMaxConns(aConns), func(c *pgxpool.Config) { c.MinConns = aConns })
		held := make([]*pgxpool.Conn, aConns)
		for i := range held {
			if held[i], err = poolA.Acquire(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range held {
			c.Release()
		}
		tenants, err := lookupTenants(ctx, poolA, faultTenants)
		if got := poolA.Stat().TotalConns(); got != aConns {
			t.Fatalf("app A has %d connections, want %d", got, aConns)
		}
		if err != nil {
			t.Fatal(err)
		}
		a := workload.New(poolA, tenants)
		stopA := background(ctx, a, workload.RunOptions{Workers: aConns, Seed: 5})
		defer stopA()

		// Another program takes every connection left.
		var hog []*pgx.Conn
		defer func() {
			for _, c := range hog {
				c.Close(ctx)
			}
		}()
		var refused error
		for len(hog) < faultMaxConns {
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				refused = err
				break
			}
			hog = append(hog, c)
		}
		if !tooManyClients(refused) {
			t.Fatalf("after %d hogged connections: %v, want SQLSTATE 53300", len(hog), refused)
		}

		// App B, a pool larger than max_connections, gets no connection:
		// each request fails with a clear error within its deadline.
		poolB := pgtest.Connect(t, url, pgtest.WithMaxConns(2*faultMaxConns))
		b := a.On(poolB)
		aBefore := a.Done()
		func() {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			b.Run(ctx, workload.RunOptions{Workers: 2 * faultMaxConns, Ops: 4 * faultMaxConns, Seed: 6})
		}()
		if b.Done() != 0 || b.Errors() != 4*faultMaxConns {
			t.Errorf("app B with every connection taken: %s; want every request to fail", b.Summary())
		}
		checkErrorKinds(t, b, "SQLSTATE 53300")
		waitFor(t, time.Minute, "app A to go on serving", func() bool { return a.Done() >= aBefore+200 })

		// Half the hog goes away: B's pool grows until the server is full
		// again; its requests succeed or fail with the same clear error.
		for _, c := range hog[len(hog)/2:] {
			c.Close(ctx)
		}
		hog = hog[:len(hog)/2]
		b2 := a.On(poolB)
		b2.Run(ctx, workload.RunOptions{Workers: 2 * faultMaxConns, Ops: 1000, Seed: 7})
		stopA()
		t.Logf("app A (%d connections, held): %s", aConns, a.Summary())
		t.Logf("app B (pool of %d) with the server full: %s", 2*faultMaxConns, b.Summary())
		t.Logf("app B with %d connections free: %s", faultMaxConns-aConns-len(hog), b2.Summary())
		if b2.Done() == 0 {
			t.Error("app B served nothing once connections were free")
		}
		checkErrorKinds(t, b2, "SQLSTATE 53300")
		if n := a.Errors(); n > 0 {
			t.Errorf("app A, which held its connections, had %d errors", n)
		}
		a.Verify(t, ctx)
	})

	t.Run("statement timeout", func(t *testing.T) {
		url := faultDB(t, srv, "timeout")
		const timeout = time.Second
		pool := pgtest.Connect(t, url, pgtest.WithMaxConns(faultWorkers), func(c *pgxpool.Config) {
			c.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(timeout.Milliseconds())
		})
		tenants, err := lookupTenants(ctx, pool, faultTenants)
		if err != nil {
			t.Fatal(err)
		}
		const victim = 3
		vt := tenants[victim]
		l := workload.New(pool, tenants)
		// The other tenants' load runs meanwhile.
		stop := background(ctx, l, workload.RunOptions{Workers: faultWorkers - 2, Seed: 8, Tenant: func(rng *rand.Rand) int {
			return (victim + 1 + rng.IntN(faultTenants-1)) % faultTenants
		}})
		defer stop()

		q := db.NewTenant(tenancy.Bind(pool, vt))
		it, err := q.InsertItem(ctx, db.InsertItemParams{Tenant: vt.ID(), N: 1, Note: "locked"})
		if err != nil {
			t.Fatal(err)
		}
		l.Wrote(victim, 1, true)
		// Another session holds the row: an update of it waits, and the
		// statement timeout ends the wait.
		locker, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer locker.Close(ctx)
		tx, err := locker.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT 1 FROM "+pgx.Identifier{vt.Schema(), "items"}.Sanitize()+" WHERE id = $1 FOR UPDATE", it.ID); err != nil {
			t.Fatal(err)
		}
		var timeouts int
		for range 2 {
			start := time.Now()
			_, err := q.BumpItem(ctx, it.ID)
			elapsed := time.Since(start)
			var pgErr *pgconn.PgError
			// The server's timer may fire a little before the client's
			// clock reads the timeout (998.7 ms for 1 s was seen).
			if !errors.As(err, &pgErr) || pgErr.Code != "57014" || elapsed < timeout*9/10 {
				t.Errorf("update of a locked row: %v after %v, want SQLSTATE 57014 after %v", err, elapsed, timeout)
				continue
			}
			timeouts++
		}
		// A slow query of the app's own, through the same pool.
		if _, err := pool.Exec(ctx, "SELECT pg_sleep(10)"); !isCode(err, "57014") {
			t.Errorf("pg_sleep(10): %v, want SQLSTATE 57014", err)
		} else {
			timeouts++
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		// The pool is still usable, with the same setting.
		got, err := q.BumpItem(ctx, it.ID)
		if err != nil || got.Tenant != vt.ID() || got.N != 2 {
			t.Errorf("update after the lock is gone: %+v, %v", got, err)
		}
		var setting string
		if err := pool.QueryRow(ctx, "SHOW statement_timeout").Scan(&setting); err != nil || setting != "1s" {
			t.Errorf("statement_timeout = %q, %v; want 1s", setting, err)
		}
		stop()
		t.Logf("%d statement timeouts surfaced as SQLSTATE 57014; other tenants meanwhile: %s", timeouts, l.Summary())
		if n := l.Errors(); n > 0 {
			t.Errorf("%d operations of other tenants failed", n)
		}
		if l.Done() == 0 {
			t.Error("no operation of other tenants ran during the timeouts")
		}
		l.Verify(t, ctx)
	})
}

// isCode reports whether err carries SQLSTATE code.
func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// tooManyClients reports whether err is PostgreSQL refusing a connection
// because max_connections is reached.
func tooManyClients(err error) bool { return isCode(err, "53300") }

// checkErrorKinds fails t when l saw an error of a kind not in allowed.
func checkErrorKinds(t *testing.T, l *workload.Load, allowed ...string) {
	t.Helper()
	kinds, examples := l.ErrorKinds()
	for k, n := range kinds {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			t.Errorf("%d errors of unexpected kind %s, e.g. %s", n, k, examples[k])
		}
	}
}
