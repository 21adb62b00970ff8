package tenancy

import (
	"fmt"
	"testing"
)

// idleShards returns a pool of n idle shards of one connection each,
// which is all spillFor reads.
func idleShards(n int) *Pool {
	p := &Pool{}
	for range n {
		s := &shard{}
		s.slots.size = 1
		p.shards = append(p.shards, s)
	}
	return p
}

func (p *Pool) index(s *shard) int {
	for i, x := range p.shards {
		if x == s {
			return i
		}
	}
	return -1
}

// A tenant's spilled calls go to the first free shard of its own order, a
// crowded shard takes only the tenants it holds, and with every free shard
// crowded a call still gets one.
func TestSpillOrder(t *testing.T) {
	p := idleShards(8)
	first := map[int]int{}
	for i := range 400 {
		h := uint32(i) * 2654435761
		a := p.index(p.spillFor(h))
		first[a]++
		// Its first choice busy, it takes its second, the same each time.
		p.shards[a].busy.Store(1)
		b := p.index(p.spillFor(h))
		if b == a || b != p.index(p.spillFor(h)) {
			t.Fatalf("tenant %x: first choice %d busy, then %d and %d", h, a, b, p.index(p.spillFor(h)))
		}
		// Crowded, its first choice takes it only once it holds it.
		p.shards[a].busy.Store(0)
		p.shards[a].crowded.Store(true)
		if got := p.index(p.spillFor(h)); got != b {
			t.Fatalf("tenant %x: its first choice %d crowded, it spilled to %d, want its second %d", h, a, got, b)
		}
		p.shards[a].warm.add(h)
		if got := p.index(p.spillFor(h)); got != a {
			t.Fatalf("tenant %x: its first choice %d crowded but holding it, it spilled to %d", h, a, got)
		}
		p.shards[a].crowded.Store(false)
		p.shards[a].warm.reset()
	}
	// Every shard is some tenants' first choice, about as often.
	for i := range p.shards {
		if first[i] < 25 {
			t.Errorf("shard %d was the first choice of %d of 400 tenants (%v), want about 50", i, first[i], first)
		}
	}
	// Every free shard crowded and none holding the tenant: the first
	// free one in its order; every shard busy: the least busy.
	for _, s := range p.shards {
		s.crowded.Store(true)
	}
	h := uint32(12345)
	a := p.index(p.spillFor(h))
	p.shards[a].crowded.Store(false)
	if got := p.index(p.spillFor(h)); got != a {
		t.Errorf("all crowded: %d, then with it uncrowded %d, want the same", a, got)
	}
	for i, s := range p.shards {
		s.busy.Store(int32(2 + i%3))
	}
	p.shards[5].busy.Store(1)
	if got := p.index(p.spillFor(h)); got != 5 {
		t.Errorf("every shard busy: spilled to %d, want the least busy, 5", got)
	}
}

// The warm set holds what it was given and, with a shard's share of a
// large fleet, little else.
func TestWarmth(t *testing.T) {
	var w warmth
	hash := func(i int) uint32 {
		h := uint32(2166136261)
		for _, b := range []byte(fmt.Sprintf("tenant-%d", i)) {
			h ^= uint32(b)
			h *= 16777619
		}
		return h
	}
	for i := range 2500 {
		w.add(hash(i))
	}
	for i := range 2500 {
		if !w.has(hash(i)) {
			t.Fatalf("tenant %d added, not held", i)
		}
	}
	false1 := 0
	for i := 2500; i < 12500; i++ {
		if w.has(hash(i)) {
			false1++
		}
	}
	// One hash over 65,536 bits holding 2,500: about 3.7% of others.
	if false1 > 600 {
		t.Errorf("%d of 10,000 tenants never added are held, want about 370", false1)
	}
	w.reset()
	if w.has(hash(0)) {
		t.Error("held after reset")
	}
}
