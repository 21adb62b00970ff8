package harness

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

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
}
