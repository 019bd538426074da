package console

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
)

// eodConcurrency is how many re-sends an EOD batch has in flight at once.
const eodConcurrency = 4

// EODReport is what one EOD batch did: POST /api/console/eod.
type EODReport struct {
	Time time.Time `json:"time"`
	// Batch is the batch's number (deliverylog.Attempt.EODBatch of its
	// re-sends): the console numbers its batches from 1, and the number
	// survives a restart. Deliveries it hands back (Handed) are re-sent by
	// their maker in a batch of its own, numbered by it.
	Batch int64 `json:"batch"`
	// Scheduled is true for the batch the schedule ran, false for one
	// asked for.
	Scheduled bool `json:"scheduled"`
	// Resent are the attempts the console made, one per delivery due.
	Resent []Row `json:"resent"`
	OK     int   `json:"ok"`
	Failed int   `json:"failed"`
	// Handed counts the deliveries due handed to what made them (the
	// mock Tartan API, see EODThrough), which re-sends them itself: their
	// attempts join the log as they are made, and count in its verdicts.
	Handed int `json:"handed"`
	// Skipped counts failed deliveries of events no longer subscribed to:
	// not sent, and kept for a batch after they are subscribed again.
	Skipped int `json:"skipped"`
	// Held counts failed deliveries of the run going on: its own EOD steps
	// are theirs while it goes, and a batch after its end takes what is
	// left.
	Held int `json:"held"`
	// Error says why the batch could not run, when it could not.
	Error string `json:"error,omitempty"`
}

// Redeliver re-sends, through what made them, deliveries of an EOD batch:
// deliveries are the console's delivery IDs. It returns the ones it took:
// their re-sends reach the log through Record. The console re-sends the
// others itself.
type Redeliver func(ctx context.Context, deliveries []int64) (taken []int64, err error)

// EODThrough makes the EOD batch hand the failed deliveries of source
// (deliverylog.FromAPI: the mock Tartan API's, which Record logs) to f, so
// that their maker re-sends them and counts the re-sends in its own
// verdicts.
func EODThrough(source deliverylog.Source, f Redeliver) Option {
	return func(s *Server) {
		if s.through == nil {
			s.through = map[deliverylog.Source]Redeliver{}
		}
		s.through[source] = f
	}
}

// Rehand re-sends, through what made it, delivery (the console's delivery
// ID) as a resend asked for by hand: the mock Tartan API's own resend, so
// that it counts in the API's verdicts. It reports whether it took the
// delivery; its re-send reaches the log through Record. One it did not take
// the console re-sends itself.
type Rehand func(ctx context.Context, delivery int64) (taken bool, err error)

// ResendThrough makes a Resend of a delivery of source
// (deliverylog.FromAPI) go to f, as EODThrough does for the EOD batch.
func ResendThrough(source deliverylog.Source, f Rehand) Option {
	return func(s *Server) {
		if s.rehand == nil {
			s.rehand = map[deliverylog.Source]Rehand{}
		}
		s.rehand[source] = f
	}
}

// EOD runs an EOD batch now. The rule is the one of every door,
// deliverylog.DueAtEOD, whatever made a delivery (a test send, a resend, a
// run, the mock API): a batch re-sends, identical bytes, every genuine
// delivery that no attempt acknowledged and no batch has re-sent yet, to
// the webhook URL, at most eodConcurrency at a time. So a failure is
// re-sent at EOD once: one whose re-send fails again has failed for good,
// and only a Resend by hand sends it again. A forged delivery is never
// re-sent. Deliveries of events outside the subscription are skipped, and
// those of the run going on are held for a batch after it. Deliveries of a
// source given to EODThrough go to its Redeliver.
func (s *Server) EOD(ctx context.Context) (EODReport, error) { return s.eod(ctx, false) }

func (s *Server) eod(ctx context.Context, scheduled bool) (EODReport, error) {
	s.eodMu.Lock()
	defer s.eodMu.Unlock()
	rep := EODReport{Time: s.clock.Now(), Scheduled: scheduled, Resent: []Row{}}
	var err error
	if rep.Batch, err = s.nextEODBatch(); err != nil {
		return rep, err
	}
	ids, err := s.store.pending()
	if err != nil {
		return rep, err
	}
	running := s.runningID()
	var batch []deliverylog.Attempt
	handed := map[deliverylog.Source][]int64{}
	for _, id := range ids {
		a, ok, err := s.log.Get(id) // the delivery's first attempt
		if err != nil {
			return rep, err
		}
		run, err := s.store.runOf(id)
		if err != nil {
			return rep, err
		}
		switch {
		case !ok:
		case running != "" && run == running:
			rep.Held++
		case s.subscribed(a.Event, a.EventType) != nil:
			rep.Skipped++
		case s.through[a.Source] != nil:
			handed[a.Source] = append(handed[a.Source], a.Delivery)
		default:
			batch = append(batch, a)
		}
	}
	for _, source := range slices.Sorted(maps.Keys(handed)) {
		ids := handed[source]
		taken, err := s.through[source](ctx, ids)
		if err != nil {
			s.logger.Error("an EOD batch could not hand deliveries back", "source", source, "error", err)
		}
		rep.Handed += len(taken)
		for _, id := range ids {
			if !slices.Contains(taken, id) { // its maker has it no more: the console re-sends it
				a, ok, err := s.log.Get(id)
				if err != nil {
					return rep, err
				}
				if ok {
					batch = append(batch, a)
				}
			}
		}
	}
	if len(batch) > 0 {
		tg, err := s.target()
		if err != nil {
			return rep, err
		}
		s.resend(ctx, tg, batch, &rep)
	}
	_ = s.store.putMeta(keyLastEOD, rep.Time)
	s.hub.publish("eod", rep)
	return rep, nil
}

// resend re-sends batch to tg, at most eodConcurrency at a time, and
// counts the outcomes in rep.
func (s *Server) resend(ctx context.Context, tg target, batch []deliverylog.Attempt, rep *EODReport) {
	var mu sync.Mutex
	work := make(chan deliverylog.Attempt)
	var wg sync.WaitGroup
	for range min(eodConcurrency, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				like := deliverylog.Attempt{Source: a.Source, Kind: deliverylog.EOD, EODBatch: rep.Batch, Delivery: a.Delivery, Run: a.Run}
				got, err := s.deliver(ctx, tg.url, a.Request(nil), like)
				mu.Lock()
				if err == nil {
					rep.Resent = append(rep.Resent, rowOf(got))
					if got.OK() {
						rep.OK++
					} else {
						rep.Failed++
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, a := range batch {
		if ctx.Err() != nil {
			break
		}
		work <- a
	}
	close(work)
	wg.Wait()
}

// runningID is the ID of the run going on, "" when none is.
func (s *Server) runningID() string {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	for _, r := range s.runs.list {
		if r.State == RunRunning {
			return r.ID
		}
	}
	return ""
}

// nextEODBatch takes the next EOD batch number from the store. s.eodMu
// held.
func (s *Server) nextEODBatch() (int64, error) {
	var n int64
	if _, err := s.store.getMeta(keyEODBatches, &n); err != nil {
		return 0, err
	}
	n++
	return n, s.store.putMeta(keyEODBatches, n)
}

// LastEOD is when the last batch ran (zero: never).
func (s *Server) LastEOD() time.Time {
	var t time.Time
	_, _ = s.store.getMeta(keyLastEOD, &t)
	return t
}

// schedule runs the EOD batch at the settings' time every day until ctx
// ends; a change of settings re-plans it.
func (s *Server) schedule(ctx context.Context) {
	for {
		next := s.Settings().nextEOD(s.clock.Now())
		var fire <-chan time.Time
		if !next.IsZero() {
			fire = s.clock.After(next.Sub(s.clock.Now()))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-fire:
			if rep, err := s.eod(ctx, true); err != nil {
				s.logger.Error("the scheduled EOD batch could not run", "error", err)
			} else {
				s.logger.Info("EOD batch", "resent", len(rep.Resent), "ok", rep.OK, "failed", rep.Failed)
			}
		}
	}
}
