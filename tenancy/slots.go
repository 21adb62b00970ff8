package tenancy

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// slots hands out a shard's connections in the order calls asked for them.
// A call takes a slot before it acquires a connection from the shard's
// pgxpool, so that it never waits inside pgxpool; a call that finds every
// slot taken queues, and the call that gives its slot back hands it
// straight to the first in the queue, with its connection when that is a
// call that can run in a pipeline (see pipeline.go), which then takes the
// other such calls from the head of the queue with it.
//
// Invariant: the queue is empty whenever fewer than size slots are taken.
type slots struct {
	// size is the number of connections; it never changes, and is read
	// without mu. taken is the slots held.
	size  int32
	mu    sync.Mutex
	taken int32
	queue []*slotWaiter // FIFO; queue[head:] are waiting
	head  int
	// handed counts the connections handed over; every handBackEvery-th
	// goes back through pgxpool instead, which checks its lifetime.
	handed int
}

// handBackEvery is how often a connection that could be handed over goes
// back to pgxpool instead (see slots.handed).
const handBackEvery = 64

// slotWaiter is a call queued for a slot.
type slotWaiter struct {
	// ready receives the grant: a slot, a connection, or a turn in a
	// pipeline another call sent.
	ready chan grant
	// call is the call's statement, when it can run in a pipeline.
	call *pipeCall
}

// grant is what a queued call receives: a slot (zero grant), a
// connection with its slot (conn), or its turn in a pipeline (turn).
type grant struct {
	conn *pgxpool.Conn
	turn *pipeline
}

var waiterPool = sync.Pool{New: func() any { return &slotWaiter{ready: make(chan grant, 1)} }}

// take takes a slot, waiting for one at most bound (0: no bound) and until
// ctx is done. It reports false, with a nil error, when bound passed first.
// A call that can run in a pipeline (a.ok) may be granted a connection or
// a turn instead of a bare slot.
func (s *slots) take(ctx context.Context, bound time.Duration, a pipeArgs) (grant, bool, error) {
	s.mu.Lock()
	if s.taken < s.size {
		s.taken++
		s.mu.Unlock()
		return grant{}, true, nil
	}
	w := waiterPool.Get().(*slotWaiter)
	if a.ok {
		w.call = &pipeCall{pipeArgs: a}
	}
	s.queue = append(s.queue, w)
	s.mu.Unlock()

	var expired <-chan time.Time
	if bound > 0 {
		t := time.NewTimer(bound)
		defer t.Stop()
		expired = t.C
	}
	var err error
	select {
	case g := <-w.ready:
		s.recycle(w)
		return g, true, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-expired:
	}
	if s.leave(w) {
		s.recycle(w)
		return grant{}, false, err
	}
	// The grant was made as the wait ended: it is this call's. A turn
	// in a pipeline is taken whatever ctx says: the statement is sent.
	g := <-w.ready
	s.recycle(w)
	if err != nil && g.turn == nil {
		if g.conn != nil {
			g.conn.Release()
		}
		s.put()
		return grant{}, false, err
	}
	return g, true, nil
}

func (s *slots) recycle(w *slotWaiter) {
	w.call = nil
	waiterPool.Put(w)
}

// leave removes w from the queue, reporting whether it was still there.
func (s *slots) leave(w *slotWaiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := s.head; i < len(s.queue); i++ {
		if s.queue[i] == w {
			copy(s.queue[i:], s.queue[i+1:])
			s.queue[len(s.queue)-1] = nil
			s.queue = s.queue[:len(s.queue)-1]
			s.compact()
			return true
		}
	}
	return false
}

// put gives a slot back: to the first queued call, or to the free ones.
func (s *slots) put() {
	s.mu.Lock()
	if w := s.pop(); w != nil {
		s.mu.Unlock()
		w.ready <- grant{}
		return
	}
	s.taken--
	s.mu.Unlock()
}

// handOff gives c, with its slot, to the first queued call if that call
// can run in a pipeline, and reports whether it did.
func (s *slots) handOff(c *pgxpool.Conn) bool {
	s.mu.Lock()
	if s.head == len(s.queue) || s.queue[s.head].call == nil {
		s.mu.Unlock()
		return false
	}
	if s.handed++; s.handed%handBackEvery == 0 {
		s.mu.Unlock()
		return false
	}
	w := s.pop()
	s.mu.Unlock()
	w.ready <- grant{conn: c}
	return true
}

// takePiped removes from the head of the queue, up to max, the calls
// that can run in a pipeline and that ok accepts, stopping at the first
// that cannot; they are granted their turns later.
func (s *slots) takePiped(max int, ok func(*pipeCall) bool) []*slotWaiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ws []*slotWaiter
	for len(ws) < max && s.head < len(s.queue) {
		w := s.queue[s.head]
		if w.call == nil || !ok(w.call) {
			break
		}
		ws = append(ws, s.pop())
	}
	return ws
}

// pop removes the first queued call; s.mu is held.
func (s *slots) pop() *slotWaiter {
	if s.head == len(s.queue) {
		return nil
	}
	w := s.queue[s.head]
	s.queue[s.head] = nil
	s.head++
	s.compact()
	return w
}

// compact resets an empty queue, and moves a long-drained one down.
func (s *slots) compact() {
	switch {
	case s.head == len(s.queue):
		s.queue, s.head = s.queue[:0], 0
	case s.head > 64 && s.head*2 > len(s.queue):
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
}
