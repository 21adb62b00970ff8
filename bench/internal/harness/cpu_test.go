package harness

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/internal/pgtest"
)

// TestCPUTimeCountsTheServersBackends runs a query that keeps its backend
// busy and checks that cpuTime counts the backend's CPU time, not only
// the harness's own: PostgreSQL makes each backend a process group of
// its own, so counting the postmaster's group would miss it.
func TestCPUTimeCountsTheServersBackends(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	conn := pgtest.Connect(t, db.URL)
	h := &harness{postmaster: localPostmaster(ctx, conn)}
	if h.postmaster == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the test server's postmaster is not visible in /proc")
		}
		t.Skip("the test server does not run on this machine")
	}
	start, began := h.cpuStart(), time.Now()
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM generate_series(1, 10000000)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(began)
	server := h.cpuEnd().server - start.server
	// Counting ten million rows takes a backend well over 200 ms of CPU
	// on any machine; the kernel counts CPU time in 10 ms ticks. The
	// postmaster's own group shows none of it.
	if server < 200*time.Millisecond {
		t.Errorf("the server's CPU time over a %s query: %s", wall.Round(time.Millisecond), server)
	}
	// A backend that exits keeps its share: a pool that recycles
	// connections made the CPU time per operation negative.
	pid := backendPID(t, conn)
	conn.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d has not exited 10 s after its connection closed", pid)
		}
	}
	if after := h.cpuEnd().server - start.server; after < server {
		t.Errorf("the server's CPU time fell from %s to %s when the backend that used it exited", server, after)
	}
}

// TestCPUReadingsLeaveOutTheirScan checks that a measurement's CPU time
// leaves out the harness's own scans of /proc for the server's: they take
// it milliseconds each, and counted once per round they added microseconds
// to every operation of a round of thousands.
func TestCPUReadingsLeaveOutTheirScan(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	h := &harness{postmaster: localPostmaster(ctx, pgtest.Connect(t, db.URL))}
	if h.postmaster == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the test server's postmaster is not visible in /proc")
		}
		t.Skip("the test server does not run on this machine")
	}
	const n = 50
	own := ownCPU()
	for range n {
		h.serverTime()
	}
	scans := ownCPU() - own
	var counted time.Duration
	for range n {
		start := h.cpuStart()
		counted += h.cpuEnd().client - start.client
	}
	if counted > scans/4 {
		t.Errorf("%d empty measurements counted %s of the harness's CPU; their %d scans of /proc alone take %s", n, counted, 2*n, scans)
	}
}

// backendPID returns the pid of conn's backend.
func backendPID(t *testing.T, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) int {
	t.Helper()
	var pid int
	if err := conn.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}
