package load

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// Options bound and shape a load run. A run stops by itself: after Events
// sends, after Duration, or when ctx ends, whichever comes first; at least
// one of Events and Duration must be set. Validate says what makes no sense.
type Options struct {
	// Profile, Duration and Events are the whole run's, even when this
	// copy sends one Segment of it: a copy sends each delivery of its
	// corporates when the whole run's schedule has it due, so the copies
	// together send the whole run's deliveries at the whole run's times.
	Profile  Profile
	Duration time.Duration
	Events   int64
	// Concurrency is the hard cap on requests in flight and on
	// connections, for the whole run: a Segment gets its Share of it
	// (Workers), so the copies together never exceed it. Each worker sends
	// on a Lane of its own; Workers must not exceed the Sender's MaxConns.
	// 0: the Sender's MaxConns, for this copy alone. When every worker is
	// busy, due sends wait, and their latency counts the wait.
	Concurrency int
	// Segment is the part of the run this copy sends (see Segment and
	// Stream.Part): whole corporates, each with all its sessions. The zero
	// Segment is the whole run.
	Segment Segment
	// StartAt, when set, is the instant the run begins: Run waits for it,
	// so that copies on several machines start together. The schedule
	// counts from it, and the report says how late the copy began.
	StartAt time.Time
	// Key signs every delivery when it is sent.
	Key []byte
	// Log, when set, gets one entry per send (exact bytes, never the key).
	// The run stops at the first failed write to it (a full disk), and Run
	// returns the report of what was sent with ErrLog. The caller closes it.
	Log *deliverylog.Writer
	// Progress, when set, is called about once a second with the report so
	// far (read-only, from the run's own goroutine).
	Progress func(*Report)
}

// Workers is how many requests this copy keeps in flight at most: its
// Segment's Share of Concurrency, or max when Concurrency is 0.
func (o Options) Workers(max int) int {
	if o.Concurrency <= 0 {
		return max
	}
	return o.Segment.Share(o.Concurrency)
}

// ErrUnbounded is returned for a run with neither Events nor Duration.
var ErrUnbounded = error(&show.Refusal{Pkg: "load", Why: "a run needs a count of sends or a duration, so that it stops by itself"})

// ErrConcurrency is wrapped when Concurrency exceeds the Sender's MaxConns:
// the workers beyond it would wait for a connection that never frees.
var ErrConcurrency = error(&show.Refusal{Pkg: "load", Why: "concurrency above the sender's connection cap"})

// ErrLog is wrapped when the delivery log (Options.Log) could not be
// written; the run stopped there.
var ErrLog = error(&show.Refusal{Pkg: "load", Why: "writing the delivery log"})

// Run sends the stream at the profile's rate and measures it: the whole
// stream, or the part of it o.Segment holds. Memory stays bounded whatever
// the number of sends: histograms are fixed in size, and each worker builds
// its deliveries one at a time in a buffer it reuses. Options that make no
// sense are refused (see Options.Validate) before anything is sent.
func Run(ctx context.Context, s *sender.Sender, st *Stream, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	part, err := st.Part(o.Segment)
	if err != nil {
		return nil, err
	}
	workers := o.Workers(s.MaxConns())
	if workers > s.MaxConns() {
		return nil, fmt.Errorf("%w: Concurrency %d, MaxConns %d", ErrConcurrency, workers, s.MaxConns())
	}
	rep := NewReport()
	rep.Target, rep.Profile = show.URL(s.Target()), o.Profile.String() // reports are written and shown: no password, no query token
	rep.Seed, rep.Stream, rep.Duration, rep.Count = st.seed, st.Shape(), o.Duration, o.Events
	if !o.Segment.IsWhole() {
		rep.Segment, rep.Corporates = o.Segment.String(), len(part.Orgs)
		if i, n, ok := o.Segment.ShardOf(); ok {
			rep.Shard = fmt.Sprintf("%d/%d", i, n)
		}
	}
	if n := st.Len(); n >= 0 && (o.Events <= 0 || o.Events > n) {
		o.Events = n // a subscription left fewer: the run ends with them
	}
	r := &runner{o: o, s: s, st: st, part: part, rep: rep, tl: newTimeline()}

	if !o.StartAt.IsZero() && !sleepUntil(ctx, o.StartAt) {
		rep.Interrupted = true // before the start: nothing was sent
		return rep, nil
	}
	now := time.Now()
	rep.Started = now.UTC()
	start := now // the schedule counts from here: StartAt, when given
	if !o.StartAt.IsZero() {
		rep.StartAt, rep.StartedLate = o.StartAt.UTC(), now.Sub(o.StartAt)
		start = now.Add(-rep.StartedLate) // StartAt, with the monotonic clock's reading
	}
	r.start = start
	r.end = start.Add(o.Duration)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, r.newWorker())
		}()
	}
	stopProgress := r.progress(ctx)
	wg.Wait()
	stopProgress()

	r.mu.Lock()
	defer r.mu.Unlock()
	rep.Elapsed = time.Since(start)
	rep.Interrupted = ctx.Err() != nil
	var logErr error
	if o.Log != nil {
		logErr = o.Log.Flush()
	}
	// Planned: every send of this part that fell due while the run
	// lasted, whether or not a worker was free to start it.
	window := rep.Elapsed
	switch {
	case rep.Interrupted, logErr != nil:
	case o.Duration > 0 && (o.Events <= 0 || o.Profile.Due(o.Events) > o.Duration):
		window = o.Duration
	default:
		window = o.Profile.Due(o.Events) // when the whole run's last send fell due
	}
	if _, closed := o.Profile.(Max); closed {
		rep.Planned, rep.Rate = rep.Sent, 0 // no schedule: nothing is due but what was sent
	} else {
		rep.Planned = part.Count(CountDue(o.Profile, window, o.Events))
		rep.Rate = float64(rep.Planned) / max(window.Seconds(), 1e-9)
	}
	rep.Dropped = rep.Planned - rep.Sent
	rep.Timeline = r.tl.finish()
	if logErr != nil {
		return rep, fmt.Errorf("%w: %w", ErrLog, logErr)
	}
	return rep, nil
}

// sleepUntil waits until t, or until ctx ends (false).
func sleepUntil(ctx context.Context, t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// CountDue is how many sends profile p plans in [0, d), at most events
// when events is positive. Max plans none ahead: it gives events, or 0.
func CountDue(p Profile, d time.Duration, events int64) int64 {
	if _, closed := p.(Max); closed {
		return max(events, 0)
	}
	lo, hi := int64(0), int64(1)
	for p.Due(hi) < d && (events <= 0 || hi < events) {
		hi *= 2
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if p.Due(mid) < d {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if events > 0 {
		return min(lo, events)
	}
	return lo
}

type runner struct {
	o        Options
	s        *sender.Sender
	st       *Stream
	part     *Part
	start    time.Time
	end      time.Time // start + Duration, when Duration is set
	next     atomic.Int64
	mu       sync.Mutex
	rep      *Report
	tl       *timeline
	inFlight atomic.Int64
}

// worker is what one of Concurrency goroutines keeps between sends: its
// own connection, HMAC state, body buffer and header, so that a send
// allocates next to nothing and shares nothing but the report.
type worker struct {
	lane   *sender.Lane
	signer *sender.Signer
	buf    []byte
	header http.Header
	timer  *time.Timer
}

func (r *runner) newWorker() *worker {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &worker{
		lane:   r.s.Lane(), // one connection per worker: connections <= Concurrency
		signer: sender.NewSigner(r.o.Key),
		header: http.Header{sender.HeaderContentType: {sender.ContentType}},
		timer:  t,
	}
}

// work is one worker's loop: it takes the next send of the schedule, waits
// until it falls due and sends it, until the run is over. Taking sends in
// schedule order from a shared counter keeps the model open: when every
// worker is busy, due sends wait, and their latency counts the wait.
func (r *runner) work(ctx context.Context, w *worker) {
	defer w.lane.Close()
	o := r.o
	_, closed := o.Profile.(Max)
	for {
		pos := r.part.Pos(r.next.Add(1) - 1) // this part's next delivery, where it stands in the whole run
		if pos < 0 || (o.Events > 0 && pos >= o.Events) {
			return // the whole run's count reached, or all a subscription leaves of the stream
		}
		var due time.Time // a closed model's send is due when it begins (see send)
		if !closed {
			due = r.start.Add(o.Profile.Due(pos))     // when the whole run sends it
			if o.Duration > 0 && !due.Before(r.end) { // the window is [0, Duration)
				return
			}
			if wait := time.Until(due); wait > 0 {
				w.timer.Reset(wait)
				select {
				case <-w.timer.C:
				case <-ctx.Done():
					w.timer.Stop()
					return
				}
			}
		}
		if ctx.Err() != nil || (o.Log != nil && o.Log.Err() != nil) {
			return // interrupted, or the log cannot be written: stop at its first failed write
		}
		if o.Duration > 0 && !time.Now().Before(r.end) {
			return // due, but the run ended before this worker was free
		}
		r.send(ctx, w, pos, due)
	}
}

func (r *runner) send(ctx context.Context, w *worker, pos int64, due time.Time) {
	i := r.st.Index(pos)
	began := time.Now()
	scheduled := !due.IsZero()
	if !scheduled {
		due = began // a closed model has no schedule to fall behind
	}
	w.buf = r.st.AppendBody(w.buf[:0], i, began)
	body := w.buf
	w.header[sender.HeaderSignature] = []string{w.signer.Sign(body)}
	d := sender.Delivery{Body: body, Header: w.header}
	n := r.inFlight.Add(1)
	res := w.lane.Send(ctx, d)
	r.inFlight.Add(-1)
	done := time.Now()
	latency, lag := done.Sub(due), Unscheduled
	if scheduled {
		lag = began.Sub(due)
	}

	r.mu.Lock()
	r.rep.Record(res, latency, lag)
	r.rep.MaxInFlight = max(r.rep.MaxInFlight, n)
	r.tl.add(int(done.Sub(r.start)/time.Second), latency, !res.OK())
	r.mu.Unlock()

	if r.o.Log != nil {
		a := deliverylog.New(deliverylog.FromLoad, deliverylog.Load, sender.Delivery{Body: body, Header: d.Header}, false, res)
		a.Delivery, a.Time = i, began
		r.o.Log.Write(a)
	}
}

func (r *runner) progress(ctx context.Context) (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.mu.Lock()
				snap := r.rep.snapshot()
				r.mu.Unlock()
				snap.Elapsed = time.Since(r.start)
				r.o.Progress(snap)
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// timeline keeps one point per second with a small histogram for the
// current second only, so memory does not grow with the number of sends.
type timeline struct {
	cur    int
	hist   *hdr.Histogram
	sent   int64
	errors int64
	out    []Second
}

func newTimeline() *timeline { return &timeline{hist: hdr.New(histMin, histMax, 2)} }

func (t *timeline) add(sec int, latency time.Duration, failed bool) {
	for sec > t.cur {
		t.roll()
	}
	if sec < t.cur { // a straggler of a second already closed: out[i] is second i
		t.out[sec].Sent++
		if failed {
			t.out[sec].Errors++
		}
		return
	}
	t.sent++
	if failed {
		t.errors++
	}
	_ = t.hist.RecordValue(clampUS(latency))
}

func (t *timeline) roll() {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	s := Second{At: t.cur, Sent: t.sent, Errors: t.errors}
	if t.sent > 0 {
		s.P50, s.P99, s.Max = ms(t.hist.ValueAtPercentile(50)), ms(t.hist.ValueAtPercentile(99)), ms(t.hist.Max())
	}
	t.out = append(t.out, s)
	t.cur++
	t.sent, t.errors = 0, 0
	t.hist.Reset()
}

func (t *timeline) finish() []Second {
	if t.sent > 0 {
		t.roll()
	}
	return t.out
}
