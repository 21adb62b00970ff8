package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/tenancy"
)

// memory measures a Registry holding every fleet tenant: the heap it adds
// per cached tenant, and the process's resident set with it.
func (h *harness) memory(ctx context.Context) error {
	if err := h.fleet(ctx); err != nil {
		return err
	}
	cfg, err := poolConfig(h.fleetURL, 2, pgx.QueryExecModeCacheStatement, 0)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	ids := make([]string, len(h.tenants))
	for i, t := range h.tenants {
		ids[i] = t.ID()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rssBefore, err := vmRSS()
	if err != nil {
		return err
	}
	reg := tenancy.NewRegistry(pool)
	for _, id := range ids {
		if _, err := reg.Lookup(ctx, id); err != nil {
			return err
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	rssAfter, err := vmRSS()
	if err != nil {
		return err
	}
	// Every entry is still cached: a second pass must not query.
	if _, err := reg.Lookup(ctx, ids[0]); err != nil {
		return err
	}
	runtime.KeepAlive(reg)
	n := float64(len(ids))
	h.add(Row{Scenario: "MEM", Variant: fmt.Sprintf("Registry heap per cached tenant (%d cached)", len(ids)),
		Value: float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n, Unit: "B",
		Note: "runtime.MemStats HeapAlloc after GC, delta / tenants"})
	h.add(Row{Scenario: "MEM", Variant: fmt.Sprintf("process RSS with %d tenants cached", len(ids)),
		Value: float64(rssAfter) / (1 << 20), Unit: "MiB",
		Note: fmt.Sprintf("VmRSS; %+.1f MiB for the registry's lookups", float64(rssAfter-rssBefore)/(1<<20))})
	return nil
}

// vmRSS returns the process's resident set size in bytes, from
// /proc/self/status.
func vmRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read VmRSS: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			f := strings.Fields(rest)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read VmRSS: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("read VmRSS: not in /proc/self/status")
}
