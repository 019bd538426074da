package sender

import (
	"context"
	"sync"
)

// Gate holds deliveries until all of them are ready to write, then lets
// them go at once: each waits with its own connection open (dialled, TLS
// done), so that the requests reach the consumer within microseconds of
// each other, whatever the scheduler does. It is how a burst or identical
// copies of one delivery arrive together.
//
// Every Send given the gate counts once, whether it reached its connection
// or failed before (a drop, a refused dial): a failure never leaves the
// others waiting. Waiting also ends when the Send's context does.
type Gate struct {
	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

// NewGate returns a gate for the next n Sends given it; n above s's
// MaxConns is lowered to it, since more deliveries than connections could
// never all be ready at once. The Sends beyond n pass without waiting.
func (s *Sender) NewGate(n int) *Gate {
	g := &Gate{waiting: min(n, s.maxConns), open: make(chan struct{})}
	if g.waiting <= 0 {
		close(g.open)
	}
	return g
}

// arrive counts one Send as ready (or as failed before it could be) and
// opens the gate when it was the last.
func (g *Gate) arrive() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waiting <= 0 {
		return
	}
	g.waiting--
	if g.waiting == 0 {
		close(g.open)
	}
}

// Skip counts one Send that will not come after all (its sender gave up
// before, or sends it another way), so that the others do not wait for it.
// Skip on a nil gate does nothing.
func (g *Gate) Skip() {
	if g != nil {
		g.arrive()
	}
}

// wait blocks until the gate opens or ctx ends.
func (g *Gate) wait(ctx context.Context) {
	select {
	case <-g.open:
	case <-ctx.Done():
	}
}

// passage is one Send's use of a gate: it arrives once, at its connection
// or at its end, whichever comes first.
type passage struct {
	g    *Gate
	once sync.Once
}

// ready arrives and waits for the others; a nil passage does nothing.
func (p *passage) ready(ctx context.Context) {
	if p == nil {
		return
	}
	p.once.Do(p.g.arrive)
	p.g.wait(ctx)
}

// done arrives if the Send never reached its connection.
func (p *passage) done() {
	if p != nil {
		p.once.Do(p.g.arrive)
	}
}

func newPassage(g *Gate) *passage {
	if g == nil {
		return nil
	}
	return &passage{g: g}
}
