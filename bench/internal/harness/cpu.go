package harness

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the kernel's USER_HZ, the unit of /proc/PID/stat's times;
// 100 on every Linux platform Go supports.
const clockTick = 100

// cpuTime returns the CPU time used so far by this process and by every
// process of the harness's PostgreSQL (the postmaster's process group:
// pgserver starts it with Setpgid, and backends inherit the group).
//
// On a machine shared with other work, throughput follows the load, but
// CPU time per operation barely does: it is the stabler measure of what a
// variant costs, and on a CPU-bound server the one that decides
// throughput. Backends that exit during a measurement lose their share, so
// measure only while the pools are open.
func (h *harness) cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	total := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if h.srv == nil {
		return total
	}
	pg := postmasterPID(h.srv.Dir())
	if pg <= 0 {
		return total
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces: the
		// fields after it are what we need.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		// f[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
		if len(f) < 13 {
			continue
		}
		if pgrp, _ := strconv.Atoi(f[2]); pgrp != pg {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * time.Second / clockTick
	}
	return total
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
