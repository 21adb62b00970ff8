package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what a timed run measured.
type loadResult struct {
	opsPerSec float64
	ops       int64
	// leaks counts calls that returned another tenant's row
	// (errWrongTenant), and calls all calls, over the warm-up and the
	// measured time.
	leaks, calls int64
	// cpu is the CPU time the client and the server spent per measured
	// operation (see cpuMark); zero when not measured.
	cpu opCPU
}

// counter is one worker's count, padded to its own cache line.
type counter struct {
	n atomic.Int64
	_ [56]byte
}

// opFunc is one operation of a load; r is its goroutine's random source.
type opFunc func(ctx context.Context, r *rand.Rand) error

// load runs op from clients goroutines: warm first, uncounted, then d
// counted. Each goroutine has its own random source. An error other than
// errWrongTenant stops the run.
func (h *harness) load(ctx context.Context, clients int, warm, d time.Duration, op opFunc) (loadResult, error) {
	return h.loadEach(ctx, clients, warm, d, func(int) opFunc { return op })
}

// loadEach is load with an operation of its own for each goroutine w,
// newOp(w), for workloads that keep per-client state.
func (h *harness) loadEach(ctx context.Context, clients int, warm, d time.Duration, newOp func(w int) opFunc) (loadResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	counts := make([]counter, clients)
	var leaks atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		op := newOp(w)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for !stop.Load() {
				err := op(ctx, r)
				if errors.Is(err, errWrongTenant) {
					leaks.Add(1)
				} else if err != nil {
					if ctx.Err() == nil {
						cancel(err)
					}
					return
				}
				counts[w].n.Add(1)
			}
		}()
	}
	sum := func() int64 {
		var s int64
		for i := range counts {
			s += counts[i].n.Load()
		}
		return s
	}
	sleep := func(t time.Duration) {
		select {
		case <-ctx.Done():
		case <-time.After(t):
		}
	}
	sleep(warm)
	before, start, cpu0 := sum(), time.Now(), h.cpuStart()
	sleep(d)
	after, elapsed := sum(), time.Since(start)
	cpu1 := h.cpuEnd()
	stop.Store(true)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return loadResult{}, fmt.Errorf("load: %w", err)
	}
	n := after - before
	res := loadResult{opsPerSec: float64(n) / elapsed.Seconds(), ops: n, leaks: leaks.Load(), calls: sum()}
	if n > 0 {
		client := cpu1.client - cpu0.client
		res.cpu = opCPU{all: (client + cpu1.server - cpu0.server) / time.Duration(n), client: client / time.Duration(n)}
	}
	return res, nil
}
