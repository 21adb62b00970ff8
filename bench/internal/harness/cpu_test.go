package harness

import (
	"context"
	"fmt"
	"os"
	"syscall"
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
	self := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	all, own, start := h.cpuTime(), self(), time.Now()
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM generate_series(1, 10000000)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	server := (h.cpuTime() - all) - (self() - own)
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
	if after := (h.cpuTime() - all) - (self() - own); after < server {
		t.Errorf("the server's CPU time fell from %s to %s when the backend that used it exited", server, after)
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
