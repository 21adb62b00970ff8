package tenancy

import (
	"context"
	"testing"
	"time"
)

// SetClock replaces the registry's clock, so cache expiry is tested without
// waiting.
func SetClock(r *Registry, now func() time.Time) { r.now = now }

// QuotedPrefix exposes the precomputed `"schema".` of t.
func QuotedPrefix(t Tenant) string { return t.prefix }

// PlanBytes exposes the plan memory estimate of a statement of n bytes.
var PlanBytes = planBytes

// IsPrepared reports whether an idle connection of p keeps sql prepared.
func IsPrepared(tb testing.TB, p *Pool, sql string) bool {
	tb.Helper()
	found := false
	for _, s := range p.shards {
		for _, c := range s.pool.AcquireAllIdle(context.Background()) {
			if e := cacheOf(c.Conn(), &p.o).m[sql]; e != nil {
				found = true
			}
			c.Release()
		}
	}
	return found
}

// SetLooseTenants sets the active tenant count up to which p spills at
// the first wait.
func SetLooseTenants(p *Pool, n int64) { p.looseTenants = n }

// SetRecheck makes a Pool read a backend's memory after calls calls and
// every at the least, until the test ends; with share > 0, no oftener
// than share times what the last reading took (else as often as that).
func SetRecheck(tb testing.TB, calls int, every time.Duration, share int) {
	c, e, s := recheckCalls, recheckEvery, readCostShare
	recheckCalls, recheckEvery, readCostShare = calls, every, share
	tb.Cleanup(func() { recheckCalls, recheckEvery, readCostShare = c, e, s })
}

// SetHomeWait sets how long a call of p waits for its busy home.
func SetHomeWait(p *Pool, d time.Duration) { p.homeWait = d }

// HotCallsOf returns the count of recent calls from which a tenant of p
// is hot.
func HotCallsOf(p *Pool) uint32 { return p.hotCalls }

// HotHalveCalls is how often the per-tenant call counts are halved.
const HotHalveCalls = hotHalveCalls

// SetHotCalls sets the count of recent calls from which a tenant of p is
// hot and spills at the first wait.
func SetHotCalls(p *Pool, n uint32) { p.hotCalls = n }

// ActiveEstimate feeds n distinct hashes to a fresh estimator and returns
// its estimate.
func ActiveEstimate(n int) int64 {
	var a activeTenants
	for i := range n {
		a.add(uint32(i) * 2654435761)
	}
	return a.estimate()
}

// ActiveTenants exposes the Pool's per-tenant call counts to tests.
type ActiveTenants = activeTenants

// Add counts a call for the tenant with hash h and returns its recent
// count.
func (a *activeTenants) Add(h uint32) uint32 { return a.add(h) }

// HotCalls is the default count of recent calls from which a tenant is hot.
const HotCalls = hotCalls

// PlanMemorySQL reads the memory the backend's prepared statements take,
// and the backend's in all.
const PlanMemorySQL = planMemorySQL

// ShapeOf hashes a statement without its schema qualifiers.
var ShapeOf = shapeOf

// Busy counts the calls holding or waiting for a connection of p.
func Busy(p *Pool) int32 {
	var n int32
	for _, s := range p.shards {
		n += s.busy.Load()
	}
	return n
}

// ReadingGap is the least time between two readings of a backend's memory
// for a cache with that limit and budget whose last reading took cost,
// found nonPlan bytes besides plans, and grew by growth bytes a second.
func ReadingGap(limit, budget, nonPlan int64, growth float64, cost time.Duration) time.Duration {
	c := newStmtCache(budget)
	c.limit, c.nonPlan, c.growth, c.readCost = limit, nonPlan, growth, cost
	return c.gap(time.Second)
}
