package pgserver

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestKillRestart crashes the server and starts it again: the same URL
// works, committed data survives crash recovery, and a pool made before
// the crash reconnects on its own.
func TestKillRestart(t *testing.T) {
	// synchronous_commit on: a commit reported to the client is in the
	// kernel's buffers, which an immediate shutdown does not lose.
	s := start(t, Options{Settings: map[string]string{"synchronous_commit": "on"}})
	ctx := context.Background()
	url := s.URL("postgres")
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE TABLE t (n int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}

	s.Kill()
	if _, err := pool.Exec(ctx, "INSERT INTO t VALUES (2)"); err == nil {
		t.Fatal("insert succeeded while the server was down")
	}
	if _, err := pgx.Connect(ctx, url); err == nil {
		t.Fatal("connected while the server was down")
	}
	s.Kill() // already down: does nothing

	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.URL("postgres"); got != url {
		t.Errorf("URL after restart = %s, want %s", got, url)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT sum(n) FROM t").Scan(&n); err != nil {
		t.Fatalf("pool after restart: %v", err)
	}
	if n != 1 {
		t.Errorf("sum after crash recovery = %d, want 1", n)
	}

	// A restart of a running server is a fast shutdown and a start.
	if _, err := pool.Exec(ctx, "INSERT INTO t VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// An idle connection learns of the shutdown only when next used: the
	// pool drops it on that error, and the retry gets a new one.
	err = pool.QueryRow(ctx, "SELECT sum(n) FROM t").Scan(&n)
	if err != nil {
		err = pool.QueryRow(ctx, "SELECT sum(n) FROM t").Scan(&n)
	}
	if err != nil {
		t.Fatalf("pool after second restart: %v", err)
	}
	if n != 3 {
		t.Errorf("sum after restart = %d, want 3", n)
	}
}
