package box

import (
	"context"
	"errors"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/judge"
)

// judge starts a judgement of o when its last queued session has been
// sent. b.mu held.
func (b *Box) judge(o *org) {
	if o.ended < o.sessions || b.closed || b.replaying {
		return
	}
	if b.cfg.probe == nil {
		o.verdict = b.counts(o, judge.NotJudged(o.id, "no state probe"))
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
func (b *Box) counts(o *org, v judge.Verdict) judge.Verdict {
	if v.Differences == nil {
		v.Differences = []judge.Difference{} // [] in JSON, never null
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

		var got judge.Verdict
		if err == nil && probe == nil {
			err = errors.New("no state probe")
		}
		if err == nil {
			if since.IsZero() {
				since = clock.Or(b.cfg.settling.Clock).Now() // the clock the judgement reads
			}
			got, err = judge.Await(ctx, probe, o.id, truth, judge.CompareAll, since, b.cfg.settling)
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
			v := got
			if err != nil {
				v = judge.NotJudged(o.id, "the state probe failed: "+err.Error())
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
func (b *Box) Verdict(orgID string) (judge.Verdict, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return judge.Verdict{}, err
	}
	return b.latest(o), nil
}

// latest is o's newest verdict, Judging while a judgement is under way or
// due. b.mu held.
func (b *Box) latest(o *org) judge.Verdict {
	v := o.verdict
	if v.OrgID == "" {
		v = b.counts(o, judge.NotJudged(o.id, "nothing sent yet"))
	}
	v.Judging = o.judging || o.ended < o.sessions
	return v
}

// Verdicts returns the latest verdict of every org, in invite order.
func (b *Box) Verdicts() []judge.Verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]judge.Verdict, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.latest(b.orgs[id]))
	}
	return out
}

// AwaitVerdict waits until every session queued for org has been sent and
// judged, and returns that verdict; or ctx's error. It does not move a fake
// clock: sessions that wait for one are not waited for.
func (b *Box) AwaitVerdict(ctx context.Context, orgID string) (judge.Verdict, error) {
	stop := b.wakeOn(ctx)
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return judge.Verdict{}, err
	}
	for {
		if b.closed {
			return b.latest(o), ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return b.latest(o), err
		}
		if o.ended == o.sessions && !o.judging && o.verdict.OrgID != "" && o.verdict.Sessions == o.ended {
			return b.latest(o), nil
		}
		b.changed.Wait()
	}
}
