package load

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// ReplayOptions shape a Replay.
type ReplayOptions struct {
	// Rate re-sends at this many deliveries per second; 0 keeps the
	// recorded pacing (each delivery at its offset from the first).
	Rate float64
	// Limit re-sends at most this many deliveries (0: the whole log).
	Limit int64
	// Concurrency caps the deliveries in flight (default: the Sender's
	// MaxConns, which it must not exceed).
	Concurrency int
	// Resign, when set, signs every genuine delivery again with this key;
	// forged ones keep their forged signatures. Nil keeps the recorded ones.
	Resign []byte
	// Events re-sends only the deliveries of these events (default: all).
	Events fixtures.Subscription
}

// Replayed is the outcome of a Replay: a Report of the sends, and what the
// log held besides.
type Replayed struct {
	*Report
	// NotAcked counts the genuine deliveries not acknowledged.
	NotAcked int64 `json:"notAcknowledged"`
	// Unsubscribed counts the deliveries left out by Events.
	Unsubscribed int64 `json:"unsubscribed,omitempty"`
}

// Replay re-sends the log rd reads to s, byte for byte, paced as o says,
// until the log ends, o.Limit is reached or ctx ends (Interrupted). The
// error is the log's (a bad line; a torn last line is not an error, see
// deliverylog.Reader.Torn), returned with the report so far.
func Replay(ctx context.Context, s *sender.Sender, rd *deliverylog.Reader, o ReplayOptions) (*Replayed, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Concurrency <= 0 {
		o.Concurrency = s.MaxConns()
	}
	if o.Concurrency > s.MaxConns() {
		return nil, ErrConcurrency
	}
	out := &Replayed{Report: NewReport()}
	out.Target = show.URL(s.Target())
	p := &replayer{s: s, out: out}
	work := make(chan replayItem)
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				p.send(ctx, it)
			}
		}()
	}
	start := time.Now()
	first, last, n, err := p.feed(ctx, rd, o, start, work)
	close(work)
	wg.Wait()
	rep := out.Report
	rep.Elapsed = time.Since(start)
	rep.Planned = n
	rep.Interrupted = ctx.Err() != nil
	rep.Profile, rep.Rate = "the recorded pacing", 0
	switch recorded := last.Sub(first); {
	case o.Rate > 0:
		rep.Profile, rep.Rate = Constant(o.Rate).String(), o.Rate
	case n > 1 && recorded > 0:
		rep.Rate = float64(n-1) / recorded.Seconds() // n sends, the last due after n-1 gaps
	}
	return out, err
}

// replayer is one Replay's sending side.
type replayer struct {
	s        *sender.Sender
	out      *Replayed
	mu       sync.Mutex
	inFlight atomic.Int64
}

type replayItem struct {
	d      sender.Delivery
	due    time.Time
	forged bool
}

// feed reads the log and hands each delivery to the workers when it falls
// due. It returns the first and last recorded times and how many it handed
// on.
func (p *replayer) feed(ctx context.Context, rd *deliverylog.Reader, o ReplayOptions, start time.Time, work chan<- replayItem) (first, last time.Time, n int64, err error) {
	for o.Limit <= 0 || n < o.Limit {
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return first, last, n, nil
		}
		if err != nil {
			return first, last, n, err
		}
		if !Subscribed(o.Events, e) {
			p.out.Unsubscribed++
			continue
		}
		if n == 0 {
			first = e.Time
		}
		last = e.Time
		due := start.Add(ReplayDue(o.Rate, n, e.Time.Sub(first)))
		if wait := time.Until(due); wait > 0 && !sleep(ctx, wait) {
			return first, last, n, nil
		}
		select {
		case work <- replayItem{d: e.Request(o.Resign), due: due, forged: e.Forged}:
		case <-ctx.Done():
			return first, last, n, nil
		}
		n++
	}
	return first, last, n, nil
}

func (p *replayer) send(ctx context.Context, it replayItem) {
	began := time.Now()
	n := p.inFlight.Add(1)
	res := p.s.Send(ctx, it.d)
	p.inFlight.Add(-1)
	p.mu.Lock()
	defer p.mu.Unlock()
	rep := p.out.Report
	rep.MaxInFlight = max(rep.MaxInFlight, n)
	rep.Record(res, time.Since(it.due), began.Sub(it.due))
	if !it.forged && !res.OK() {
		p.out.NotAcked++
	}
}

// Subscribed reports whether sub takes the delivery e logged: by its event
// and eventType as its body says (the log's own event field has no type).
// A body that names none is taken only by fixtures.All.
func Subscribed(sub fixtures.Subscription, e deliverylog.Attempt) bool {
	if sub.IsAll() {
		return true
	}
	eff, err := wire.ParseEffect([]byte(e.Body))
	return err == nil && sub.Sends(eff.Event, eff.EventType)
}

// ReplayDue is when the n-th delivery of a replay is due, from its start:
// at the fixed rate, or at its recorded offset from the first.
func ReplayDue(rate float64, n int64, recorded time.Duration) time.Duration {
	if rate > 0 {
		return Constant(rate).Due(n)
	}
	return max(0, recorded)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
