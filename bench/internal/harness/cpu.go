package harness

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTick is the kernel's USER_HZ, the unit of /proc/PID/stat's times;
// 100 on every Linux platform Go supports.
const clockTick = 100

// cpuTime returns the CPU time used so far by this process and by the
// PostgreSQL server the harness measures, when it runs on this machine:
// its postmaster and every process the postmaster started (backends and
// background workers; each is a process group of its own, so the
// postmaster's group alone would miss them).
//
// On a machine shared with other work, throughput follows the load, but
// CPU time per operation barely does: it is the stabler measure of what a
// variant costs, and on a CPU-bound server the one that decides
// throughput. A backend that exits during a measurement (a connection a
// tenancy.Pool recycled over its memory bound) keeps its share: the
// postmaster reaps it, and the kernel adds its time to the postmaster's
// children's.
//
// The server's time is read by scanning /proc, which takes the harness
// itself milliseconds (tens of them beside a server of many backends), so
// a measurement reads its start with cpuStart and its end with cpuEnd:
// each reads the harness's own time on the inner side of the scan, so
// that neither scan counts as the measured work's CPU.
type cpuMark struct{ client, server time.Duration }

// cpuStart reads the CPU time used so far, at the start of a measurement.
func (h *harness) cpuStart() cpuMark {
	server := h.serverTime()
	return cpuMark{client: ownCPU(), server: server}
}

// cpuEnd reads the CPU time used so far, at the end of a measurement.
func (h *harness) cpuEnd() cpuMark {
	client := ownCPU()
	return cpuMark{client: client, server: h.serverTime()}
}

// ownCPU returns the CPU time the harness's process has used.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverTime returns the CPU time the server's processes have used, or 0
// when the server does not run on this machine.
func (h *harness) serverTime() time.Duration {
	pm := h.postmaster
	if pm == 0 && h.srv != nil {
		pm = postmasterPID(h.srv.Dir())
	}
	if pm <= 0 {
		return 0
	}
	return serverCPU(pm)
}

// serverCPU returns the CPU time used so far by the process pm and by its
// children, those running and those that exited.
func serverCPU(pm int) time.Duration {
	var total time.Duration
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range dirs {
		st, ok := readStat(p)
		switch {
		case !ok:
		case st.pid == pm:
			total += st.cpu + st.reaped
		case st.ppid == pm:
			total += st.cpu
		}
	}
	return total
}

// procStat is what the harness reads of /proc/PID/stat: a process's CPU
// time, and that of its children it has waited for (which exited).
type procStat struct {
	pid, ppid   int
	cpu, reaped time.Duration
}

// readStat reads the /proc/PID/stat file at path.
func readStat(path string) (procStat, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, false
	}
	// The command name is in parentheses and may hold spaces: the fields
	// after it are what we need.
	s := string(b)
	i, j := strings.LastIndexByte(s, ')'), strings.IndexByte(s, '(')
	if j < 0 || i < j {
		return procStat{}, false
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(s[:j]))
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15,
	// cutime 16, cstime 17.
	if len(f) < 15 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	ticks := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * time.Second / clockTick
	}
	return procStat{pid: pid, ppid: ppid, cpu: ticks(11) + ticks(12), reaped: ticks(13) + ticks(14)}, true
}

// localPostmaster returns the pid of the postmaster of the server conn
// is connected to when it runs on this machine (its backend's parent, a
// postgres process), and 0 when it does not or cannot be seen. A server
// elsewhere whose backend's pid is also a local PostgreSQL backend's would
// be mistaken for the local one: -fleet-url is for a server of one's own.
func localPostmaster(ctx context.Context, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) int {
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0
	}
	st, ok := readStat(filepath.Join("/proc", strconv.Itoa(backend), "stat"))
	if !ok {
		return 0
	}
	comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(st.ppid), "comm"))
	if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
		return 0
	}
	return st.ppid
}

// postmasterPID reads the postmaster's pid from its data directory.
func postmasterPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}
