package tenancy

import "sync/atomic"

// warmth is the set of tenants a shard's backends have served, by the
// hash of their ids, as a Bloom filter of one hash function: it may hold a
// tenant it was never given (about one in 26 with the 2,500 tenants of a
// shard of eight over 10,000), never lose one it was, until reset. It
// takes 8 KiB, and a tenant already in it costs one atomic load to add.
type warmth struct {
	bits [warmBits / 64]atomic.Uint64
}

const warmBits = 1 << 16

// slot returns the word and bit of h.
func (w *warmth) slot(h uint32) (*atomic.Uint64, uint64) {
	i := (h * 0x9e3779b1) >> (32 - 16)
	return &w.bits[i/64], 1 << (i % 64)
}

// has says whether h is in the set.
func (w *warmth) has(h uint32) bool {
	word, bit := w.slot(h)
	return word.Load()&bit != 0
}

// add puts h in the set.
func (w *warmth) add(h uint32) {
	if word, bit := w.slot(h); word.Load()&bit == 0 {
		word.Or(bit)
	}
}

// reset empties the set, when a backend it describes is replaced.
func (w *warmth) reset() {
	for i := range w.bits {
		w.bits[i].Store(0)
	}
}
