package scenarios

import (
	"context"
	"sync"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
)

// deliverylog.Kind says why an attempt was sent.
// stepSend is the sending of one step: where its answers go (the report,
// the step's counts, the truth, the log), guarded by one lock, since a
// step's deliveries may go out at once.
type stepSend struct {
	r   *Runner
	ctx context.Context
	rep *Report
	sr  *StepReport
	at  Moment
	// batch is the number of the EOD step being played, 0 in others.
	batch int64
	mu    sync.Mutex
}

// all sends ds, at most conc at once (0 or 1: in order), each with its
// duplicates, and feeds the truth.
func (s *stepSend) all(ds []*Delivery, kind deliverylog.Kind, conc int) {
	if s.r.dry {
		for _, d := range ds {
			s.r.write(s.rep, d, Attempt{Kind: deliverylog.DryRun, At: s.at})
		}
		return
	}
	if conc <= 1 {
		for _, d := range ds {
			if s.ctx.Err() != nil {
				return
			}
			s.one(d, kind, nil)
		}
		return
	}
	// The first wave, one delivery per worker, waits at one gate with its
	// connections open and goes at once: a burst that overlaps whatever
	// the scheduler does. The rest follow as workers free up.
	n := min(conc, len(ds))
	gate := s.r.send.NewGate(n)
	work := make(chan *Delivery, len(ds))
	for _, d := range ds {
		work <- d
	}
	close(work)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := gate
			defer func() { g.Skip() }() // a worker that never reached the gate
			for d := range work {
				if s.ctx.Err() != nil {
					return
				}
				s.one(d, kind, g)
				g = nil
			}
		}()
	}
	wg.Wait()
}

// one sends d as kind says, with the copies a duplicate fault asks for,
// through gate when it has one (a delivery delayed on purpose, or released
// with its own copies, does not hold the others: it skips gate).
func (s *stepSend) one(d *Delivery, kind deliverylog.Kind, gate *sender.Gate) {
	if d.delay > 0 && kind == deliverylog.First {
		gate.Skip()
		gate = nil
		_ = s.r.sleep(s.ctx, Moment(d.delay))
	}
	fault := d.senderFault
	if kind == deliverylog.EOD {
		fault = sender.FaultNone
		s.mu.Lock()
		s.sr.Resent = append(s.sr.Resent, d.Seq)
		s.mu.Unlock()
	}
	if kind == deliverylog.First && d.copies > 0 && d.concurrent {
		gate.Skip()
		s.release(d, fault)
		return
	}
	s.attempt(d, kind, fault, gate)
	if kind != deliverylog.First {
		return
	}
	for range d.copies {
		s.attempt(d, deliverylog.Duplicate, sender.FaultNone, nil)
	}
}

// release sends d and its copies at the same instant, each on its own
// connection (one sender.Gate), so that a consumer whose dedup is check-then-act sees them
// inside its race window; the original is recorded first, as the one
// Tartan meant to send.
func (s *stepSend) release(d *Delivery, fault sender.Fault) {
	results := make([]sender.Result, 1+d.copies)
	gate := s.r.send.NewGate(len(results))
	var done sync.WaitGroup
	for i := range results {
		f := sender.FaultNone
		if i == 0 {
			f = fault
		}
		done.Add(1)
		go func() {
			defer done.Done()
			results[i] = s.r.send.Send(s.ctx, sender.Delivery{Body: d.Body, Header: d.Header, Fault: f, Gate: gate})
		}()
	}
	done.Wait()
	for i, res := range results {
		kind := deliverylog.First
		if i > 0 {
			kind = deliverylog.Duplicate
		}
		s.record(d, kind, res)
	}
}

func (s *stepSend) attempt(d *Delivery, kind deliverylog.Kind, fault sender.Fault, gate *sender.Gate) {
	s.record(d, kind, s.r.send.Send(s.ctx, sender.Delivery{Body: d.Body, Header: d.Header, Fault: fault, Gate: gate}))
}

// record keeps the answer to one attempt of d: in d, in the step's counts,
// in the truth and in the log.
func (s *stepSend) record(d *Delivery, kind deliverylog.Kind, res sender.Result) {
	a := newAttempt(kind, s.at, res)
	if kind == deliverylog.EOD {
		a.EODBatch = s.batch
	}
	s.mu.Lock()
	d.Attempts = append(d.Attempts, a)
	sr := s.sr
	if res.Class != sender.ClassDropped { // a drop writes nothing
		sr.Sent++
	}
	switch {
	case d.Forged:
		sr.Forged++
		if res.Status >= 400 && res.Status < 500 {
			sr.Rejected++
		}
	case kind == deliverylog.Duplicate:
		sr.Duplicates++
		if res.OK() {
			sr.DuplicatesOK++
		}
	case res.OK():
		sr.OK++
	default:
		sr.Failed++
	}
	s.mu.Unlock()
	switch {
	case d.Forged:
		// What it carried is kept, so that a value it put in the
		// consumer's state is blamed on it; bytes that are no envelope
		// carry nothing but their requestId.
		if s.rep.truth.ForgeBody(d.Body) != nil {
			s.rep.truth.Forge(d.OrgID, d.RequestID)
		}
	case res.OK():
		// Apply fails only for bytes that are no envelope at all (an
		// override can make them so): they carry no effect to expect.
		_ = s.rep.truth.Apply(d.Body)
	}
	s.r.write(s.rep, d, a)
}
