package console

import (
	"context"
	"sync"
	"time"
)

// eodConcurrency is how many re-sends an EOD batch has in flight at once.
const eodConcurrency = 4

// EODReport is what one EOD batch did: POST /api/console/eod.
type EODReport struct {
	Time time.Time `json:"time"`
	// Scheduled is true for the batch the schedule ran, false for
	// "Re-trigger failed now".
	Scheduled bool `json:"scheduled"`
	// Resent are the attempts it made, one per failed delivery.
	Resent []Summary `json:"resent"`
	OK     int       `json:"ok"`
	Failed int       `json:"failed"`
	// Skipped counts failed deliveries of events no longer subscribed to:
	// not sent, and kept for a batch after they are subscribed again.
	Skipped int `json:"skipped"`
	// Error says why the batch could not run, when it could not.
	Error string `json:"error,omitempty"`
}

// EOD runs an EOD batch now: every console delivery (test send or resend)
// that failed since the last batch is re-sent once, identical bytes, to
// the webhook URL, at most eodConcurrency at a time. Tartan re-sends a
// failure once, at the end of its day: a re-send that fails again is
// failed for good. Events outside the subscription are not sent.
func (s *Server) EOD(ctx context.Context) (EODReport, error) { return s.eod(ctx, false) }

func (s *Server) eod(ctx context.Context, scheduled bool) (EODReport, error) {
	s.eodMu.Lock()
	defer s.eodMu.Unlock()
	rep := EODReport{Time: s.clock.Now(), Scheduled: scheduled, Resent: []Summary{}}
	ids, err := s.store.pending()
	if err != nil {
		return rep, err
	}
	tg, err := s.target()
	if err != nil && len(ids) > 0 {
		return rep, err
	}
	var batch []Attempt
	for _, id := range ids {
		a, ok, err := s.log.Get(id)
		if err != nil {
			return rep, err
		}
		if !ok {
			continue
		}
		if s.subscribed(envelope{Event: a.Event, EventType: a.EventType}) != nil {
			rep.Skipped++
			continue
		}
		batch = append(batch, a)
	}
	var mu sync.Mutex
	work := make(chan Attempt)
	var wg sync.WaitGroup
	for range min(eodConcurrency, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				like := Attempt{Summary: Summary{Source: SourceEOD, Kind: KindEOD, Delivery: a.Delivery, Run: a.Run}}
				got, err := s.deliver(ctx, tg.url, a.Request(), like)
				mu.Lock()
				if err == nil {
					rep.Resent = append(rep.Resent, got.Summary)
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
	_ = s.store.putMeta(keyLastEOD, rep.Time)
	s.hub.publish("eod", rep)
	return rep, nil
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
