package box

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tartansim/tartansim/scenarios"
)

// Verdict is the box's judgement of what the consumer holds about one org,
// made when the org's last queued session has been sent: its state, read
// through the probe and settled (scenarios.Await), against the truth of
// what it acknowledged.
type Verdict struct {
	OrgID string `json:"orgId"`
	// Judged is false when there is no probe, no session was sent yet, or
	// the probe failed; Reason says which. Converged is then false too:
	// a verdict not judged is never a pass.
	Judged    bool `json:"judged"`
	Converged bool `json:"converged"`
	// Differences are the state's, against the truth (none when converged).
	Differences []string `json:"differences"`
	Reason      string   `json:"reason,omitempty"`
	// Sessions counts the org's sessions the verdict covers.
	Sessions int `json:"sessions"`
	// Acknowledged counts the org's deliveries the consumer acknowledged
	// so far, of Deliveries made.
	Acknowledged int           `json:"acknowledged"`
	Deliveries   int           `json:"deliveries"`
	Lag          time.Duration `json:"lagNs"`
	Ended        string        `json:"ended,omitempty"`
	Polls        int           `json:"polls"`
}

// String is "converged", "not judged: why" or the differences joined.
func (v Verdict) String() string {
	switch {
	case !v.Judged:
		return "not judged: " + v.Reason
	case v.Converged:
		return "converged"
	}
	return fmt.Sprintf("%d difference(s): %v", len(v.Differences), v.Differences)
}

// judge starts a judgement of o when its last queued session has been
// sent. b.mu held.
func (b *Box) judge(o *org) {
	if o.ended < o.sessions || b.closed {
		return
	}
	if b.cfg.probe == nil {
		o.verdict = b.counts(o, Verdict{OrgID: o.id, Reason: "no state probe"})
		b.changed.Broadcast()
		return
	}
	if o.judging {
		o.again = true
		return
	}
	o.judging = true
	go b.judging(o)
}

// counts fills in v's counts of o's sessions and deliveries. b.mu held.
func (b *Box) counts(o *org, v Verdict) Verdict {
	if v.Differences == nil {
		v.Differences = []string{} // [] in JSON, never null
	}
	v.Sessions = o.ended
	v.Acknowledged, v.Deliveries = 0, 0
	for _, d := range b.log {
		if d.OrgID == o.id {
			v.Deliveries++
			if d.Acknowledged() {
				v.Acknowledged++
			}
		}
	}
	return v
}

// judging judges o until no newer session asks again.
func (b *Box) judging(o *org) {
	for {
		b.mu.Lock()
		o.again = false
		truth, since, err := b.truthOf(o.id)
		covers, probe := o.ended, b.cfg.probe
		ctx, cancel := context.WithCancel(b.ctx)
		o.cancelJudge = cancel
		b.mu.Unlock()

		var got scenarios.Settled
		if err == nil && probe == nil {
			err = errors.New("no state probe")
		}
		if err == nil {
			if since.IsZero() {
				since = time.Now()
			}
			got, err = scenarios.Await(ctx, probe, o.id, truth, scenarios.CompareAll, since, b.cfg.settling)
		}
		cancelled := ctx.Err() != nil
		cancel()

		b.mu.Lock()
		o.cancelJudge = nil
		if b.closed {
			o.judging = false
			b.changed.Broadcast()
			b.mu.Unlock()
			return
		}
		if !cancelled {
			v := Verdict{OrgID: o.id}
			if err != nil {
				v.Reason = "the state probe failed: " + err.Error()
			} else {
				v.Judged, v.Converged, v.Differences = true, got.Converged, got.Diffs
				v.Lag, v.Ended, v.Polls = got.Lag, got.Ended, got.Polls
			}
			if v.Differences == nil {
				v.Differences = []string{}
			}
			v = b.counts(o, v)
			v.Sessions = covers
			o.verdict = v
		}
		if (o.again || cancelled) && o.ended == o.sessions {
			b.mu.Unlock()
			continue
		}
		o.judging = false
		b.changed.Broadcast()
		b.mu.Unlock()
		return
	}
}

// Verdict returns the latest verdict about org (not judged before its
// first session has been sent).
func (b *Box) Verdict(orgID string) (Verdict, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return Verdict{}, err
	}
	return b.latest(o), nil
}

func (b *Box) latest(o *org) Verdict {
	v := o.verdict
	if v.OrgID == "" {
		v = b.counts(o, Verdict{OrgID: o.id, Reason: "nothing sent yet"})
	}
	return v
}

// Verdicts returns the latest verdict of every org, in invite order.
func (b *Box) Verdicts() []Verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Verdict, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.latest(b.orgs[id]))
	}
	return out
}

// AwaitVerdict waits until every session queued for org has been sent and
// judged, and returns that verdict; or ctx's error. It does not move a fake
// clock: sessions that wait for one are not waited for.
func (b *Box) AwaitVerdict(ctx context.Context, orgID string) (Verdict, error) {
	stop := b.wakeOn(ctx)
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return Verdict{}, err
	}
	for {
		if b.closed {
			return b.latest(o), fmt.Errorf("box: closed")
		}
		if err := ctx.Err(); err != nil {
			return b.latest(o), err
		}
		if o.ended == o.sessions && !o.judging && o.verdict.OrgID != "" && o.verdict.Sessions == o.ended {
			return o.verdict, nil
		}
		b.changed.Wait()
	}
}
