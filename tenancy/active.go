package tenancy

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// activeTenants estimates how many distinct tenants a [Pool] served
// lately: a HyperLogLog of 1,024 registers (about 3% error), started
// afresh every epochCalls tenant calls; the estimate is the larger of the
// last whole epoch's and the current one's. It is safe for concurrent use
// and allocates nothing.
type activeTenants struct {
	regs  [hllRegisters]atomic.Uint32
	calls atomic.Uint64
	// last is the estimate of the last whole epoch, cur the current one's
	// as of its last refresh.
	last, cur atomic.Int64
	// calls counts each tenant's calls in a count-min sketch of three rows,
	// halved every hotHalveCalls calls, so that a tenant's count is about
	// its share of the last hotHalveCalls to twice as many calls.
	recent [3][hotWidth]atomic.Uint32
}

const (
	hllBits      = 10
	hllRegisters = 1 << hllBits
	// refreshCalls is how often the current estimate is recomputed.
	refreshCalls = 1 << 10
	// epochCalls is how many calls an epoch counts.
	epochCalls = 1 << 18
	// hotWidth is the width of each row of the per-tenant call counts:
	// wide enough that 10,000 tenants sharing a counter add less than the
	// count of one tenant that takes 1/LooseAffinityTenants of the calls.
	hotWidth = 1 << 14
	// hotHalveCalls is how often the per-tenant call counts are halved.
	hotHalveCalls = 1 << 16
)

// hotCalls is the least count, in the per-tenant call counts, from which a
// tenant is hot: about 1/LooseAffinityTenants of the calls. At most
// LooseAffinityTenants tenants can be hot at once, so every backend can
// hold the hot ones' tables and statements as it can hold a small fleet's.
// A Pool raises it to one group's share of the calls (see Pool.route).
const hotCalls = hotHalveCalls / LooseAffinityTenants

// add counts one call for the tenant whose id hashes to h and returns the
// tenant's count of recent calls (see hotCalls).
func (a *activeTenants) add(h uint32) uint32 {
	x := mix64(uint64(h))
	c0 := a.recent[0][x&(hotWidth-1)].Add(1)
	c1 := a.recent[1][(x>>20)&(hotWidth-1)].Add(1)
	c2 := a.recent[2][(x>>40)&(hotWidth-1)].Add(1)
	r := &a.regs[x>>(64-hllBits)]
	rank := uint32(bits.LeadingZeros64(x<<hllBits|1<<(hllBits-1))) + 1
	for {
		old := r.Load()
		if rank <= old || r.CompareAndSwap(old, rank) {
			break
		}
	}
	n := a.calls.Add(1)
	if n%hotHalveCalls == 0 {
		// A count another call adds to meanwhile may lose that one call:
		// the counts are estimates.
		for i := range a.recent {
			for j := range a.recent[i] {
				if c := &a.recent[i][j]; c.Load() > 0 {
					c.Store(c.Load() / 2)
				}
			}
		}
	}
	switch {
	case n%epochCalls == 0:
		a.last.Store(a.estimate())
		a.cur.Store(0)
		for i := range a.regs {
			a.regs[i].Store(0)
		}
	case n <= refreshCalls || n%refreshCalls == 0:
		// Every call at first, so that a new pool knows its fleet.
		a.cur.Store(a.estimate())
	}
	return min(c0, c1, c2)
}

// count returns the estimate of tenants served lately.
func (a *activeTenants) count() int64 { return max(a.last.Load(), a.cur.Load()) }

// estimate computes the HyperLogLog estimate from the registers, with the
// small-range correction.
func (a *activeTenants) estimate() int64 {
	const m = float64(hllRegisters)
	var sum float64
	zeros := 0
	for i := range a.regs {
		r := a.regs[i].Load()
		if r == 0 {
			zeros++
		}
		sum += math.Ldexp(1, -int(r))
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(e + 0.5)
}

// mix64 spreads the bits of x (splitmix64's finaliser), so that a 32-bit
// FNV hash of a tenant id fills HyperLogLog's registers evenly.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
