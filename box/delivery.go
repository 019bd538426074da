package box

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/sender"
)

// Delivery is one webhook the box made, and every send of its bytes. Body
// and Header never change: an EOD batch or a resend sends them again, byte
// for byte.
type Delivery struct {
	// Seq numbers deliveries from 1 in the order they were made.
	Seq            int       `json:"seq"`
	OrgID          string    `json:"orgId"`
	Event          string    `json:"event"`
	EventType      string    `json:"eventType"`
	RequestID      string    `json:"requestId"`
	SyncSessionID  string    `json:"syncSessionId"`
	WebhookCounter int       `json:"webhookCounter"`
	TimeStamp      string    `json:"timeStamp"`
	Made           time.Time `json:"made"` // on the box's clock
	Records        int       `json:"records"`
	// Attempts are its sends, oldest first, as the delivery log records
	// them (Source deliverylog.FromAPI, Delivery its Seq), without the
	// headers and body: the delivery holds them.
	Attempts []deliverylog.Attempt `json:"attempts"`

	Body   []byte      `json:"-"`
	Header http.Header `json:"-"`

	ackSeq int       // the box-wide order of its first acknowledgement; 0: none
	ackAt  time.Time // when that acknowledgement came (wall clock)
	queued bool      // a send of it waits in the queue
	// the kind and EOD batch of that send
	queuedKind  deliverylog.Kind
	queuedBatch int64
}

// MarshalJSON writes d with its attempts in the delivery log's JSON
// (docs/delivery-log.md) less "headers" and "body", which d's sends share.
func (d Delivery) MarshalJSON() ([]byte, error) {
	type attempt struct {
		deliverylog.Attempt
		// these shadow the embedded fields, and are always left out
		Headers *struct{} `json:"headers,omitempty"`
		Body    *struct{} `json:"body,omitempty"`
	}
	type plain Delivery // without this method
	as := make([]attempt, len(d.Attempts))
	for i, a := range d.Attempts {
		as[i].Attempt = a
	}
	return json.Marshal(struct {
		plain
		Attempts []attempt `json:"attempts"`
	}{plain(d), as})
}

// Acknowledged reports whether any send of d was answered 2xx.
func (d *Delivery) Acknowledged() bool { return d.ackSeq > 0 }

// job is one send for the worker; a job without a delivery ends a session
// of org: its verdict is due.
type job struct {
	d     *Delivery
	kind  deliverylog.Kind
	batch int64 // the EOD batch of an EOD send
	org   string
	sync  bool // the session ended is a sync session
}

// make turns events into deliveries of the log, in order, leaving out what
// the subscription does not send, each stamped as it is built (see stamp).
// b.mu held.
func (b *Box) make(evs []fixtures.Event) []*Delivery {
	var out []*Delivery
	for _, ev := range evs {
		if !b.cfg.events.Sends(ev.Event, ev.EventType) {
			continue
		}
		ev.TimeStamp = b.stamp(ev.OrgID)
		p := sender.Prepare(b.cfg.appKey, ev.Encode(b.cfg.layout), sender.SignatureValid, sender.HeaderLower)
		d := &Delivery{
			Seq: len(b.log) + 1, OrgID: ev.OrgID, Event: ev.Event, EventType: ev.EventType,
			RequestID: ev.RequestID, SyncSessionID: ev.SyncSessionID, WebhookCounter: ev.WebhookCounter,
			TimeStamp: ev.TimeStamp, Made: b.cfg.clock.Now(), Records: len(ev.Body),
			Body: p.Body, Header: p.Header,
		}
		b.log = append(b.log, d)
		out = append(out, d)
	}
	return out
}

// stamp is the timeStamp of a webhook about org built now: the box's
// clock, to the second as Tartan writes it, never ahead of the clock and
// never before the org's last stamp (should the wall clock step back, the
// org's stamps wait for it). Webhooks of one session built in one second
// share a stamp, and their webhookCounter orders them. b.mu held.
func (b *Box) stamp(org string) string {
	t := b.cfg.clock.Now().UTC().Truncate(time.Second)
	if last := b.stamps[org]; t.Before(last) {
		t = last
	}
	b.stamps[org] = t
	return fixtures.Stamp(t)
}

// enqueue queues a send of each delivery, then the end of org's session.
// b.mu held.
func (b *Box) enqueue(org string, kind deliverylog.Kind, batch int64, ds []*Delivery, sync bool) {
	for _, d := range ds {
		d.queued, d.queuedKind, d.queuedBatch = true, kind, batch
		if !b.replaying { // a replay sends nothing: the journal says how each send went
			b.push(job{d: d, kind: kind, batch: batch, org: d.OrgID})
		}
	}
	if o := b.orgs[org]; o != nil {
		o.sessions++
		if o.cancelJudge != nil {
			o.cancelJudge() // the state is about to move on
		}
	}
	if !b.replaying {
		b.push(job{org: org, sync: sync})
	}
	b.changed.Broadcast()
}

// push queues j behind its org's jobs, and the org for a worker when none
// has it. b.mu held.
func (b *Box) push(j job) {
	q := b.queues[j.org]
	if len(q) == 0 && !b.running[j.org] {
		b.ready = append(b.ready, j.org)
	}
	b.queues[j.org] = append(q, j)
	b.pending++
}

// take hands the next job of the org whose turn it is to a worker. b.mu
// held, and b.ready not empty.
func (b *Box) take() job {
	org := b.ready[0]
	b.ready = b.ready[1:]
	q := b.queues[org]
	j := q[0]
	if len(q) == 1 {
		delete(b.queues, org)
	} else {
		b.queues[org] = q[1:]
	}
	b.pending--
	b.inflight++
	b.running[org] = true
	return j
}

// finish ends a worker's job of org: the org's next job, if any, waits for
// its turn. b.mu held.
func (b *Box) finish(org string) {
	delete(b.running, org)
	b.inflight--
	if len(b.queues[org]) > 0 {
		b.ready = append(b.ready, org)
	}
	b.changed.Broadcast()
}

// work sends queued jobs, one corporate's at a time, until the box
// closes; Connections workers run at once.
func (b *Box) work() {
	for {
		b.mu.Lock()
		for len(b.ready) == 0 && !b.closed {
			b.changed.Wait()
		}
		if b.closed {
			b.mu.Unlock()
			return
		}
		j := b.take()
		if j.d == nil {
			b.endSession(j.org, j.sync)
			b.finish(j.org)
			b.mu.Unlock()
			continue
		}
		p := sender.Delivery{Body: j.d.Body, Header: j.d.Header}
		if j.kind == deliverylog.First && b.failN > 0 {
			p.Fault = b.fail
			b.failN--
		}
		s := b.send
		b.mu.Unlock()

		r := s.Send(b.ctx, p)

		b.mu.Lock()
		a := deliverylog.New(deliverylog.FromAPI, j.kind, p, false, r)
		b.attempts++
		a.ID, a.Delivery, a.EODBatch, a.Target = b.attempts, int64(j.d.Seq), j.batch, s.Target()
		if p.Fault != sender.FaultNone {
			a.Fault = p.Fault.String()
		}
		a.Headers, a.Body = nil, "" // the delivery holds them
		ackAt := r.Start.Add(r.Latency)
		b.took(j.d, a, ackAt)
		b.note(entry{Op: opSent, Seq: j.d.Seq, Attempt: &a, AckAt: ackAt}, len(b.log))
		b.mu.Unlock()
		if b.cfg.onSend != nil {
			b.cfg.onSend(Sent{Seq: j.d.Seq, Kind: j.kind, EODBatch: j.batch, Target: s.Target(), Request: p, Result: r})
		}
		b.mu.Lock()
		b.finish(j.org)
		b.mu.Unlock()
	}
}

// SendTest queues one realistic webhook of kind k about a corporate of its
// own (not one of the box's: no verdict is about it), as the console's
// "test a webhook" does. It reports false, and sends nothing, when the
// subscription leaves k out.
func (b *Box) SendTest(k fixtures.Kind) (Delivery, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	mark := len(b.log)
	b.g.SetNow(b.cfg.clock.Now())
	ev := b.g.Sample(k, b.vendor)
	defer b.note(entry{Op: opTest, Kind: k.ID()}, mark) // the sample drew from the generator, sent or not
	ds := b.make([]fixtures.Event{ev})
	if len(ds) == 0 {
		return Delivery{OrgID: ev.OrgID, RequestID: ev.RequestID}, false
	}
	b.enqueue(ev.OrgID, deliverylog.First, 0, ds, false)
	return *ds[0], true
}

// FailNext makes the next n first sends fail on purpose: sender.FaultDrop
// never sends them, sender.FaultAckLost sends them and loses the answer.
// The EOD batch re-sends them. n of 0 cancels what is left.
func (b *Box) FailNext(f sender.Fault, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail, b.failN = f, max(0, n)
	b.note(entry{Op: opFail, Fault: f.String(), Next: b.failN}, len(b.log))
}

// EOD runs the end-of-day batch, the next in number (see
// deliverylog.Attempt.EODBatch): once everything queued before it has been
// sent, it queues every delivery due by Tartan's one EOD rule
// (deliverylog.DueAtEOD: tried, never acknowledged, not re-sent by an
// earlier EOD batch), identical bytes, in the order they were made, as the
// subscription still sends. It returns how many; 0 when the box closed
// first.
func (b *Box) EOD() int {
	if b.Idle(b.ctx) != nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	mark := len(b.log)
	n := b.eod()
	b.note(entry{Op: opEOD}, mark)
	return n
}

// eod is EOD's batch, queued now. b.mu held.
func (b *Box) eod() int {
	var batch []*Delivery
	for _, d := range b.log {
		if !d.queued && b.cfg.events.Sends(d.Event, d.EventType) && deliverylog.DueAtEOD(false, d.Attempts) {
			batch = append(batch, d)
		}
	}
	b.eodBatches++
	b.requeue(deliverylog.EOD, b.eodBatches, batch)
	return len(batch)
}

// requeue queues sends of ds of kind (of EOD batch batch, or 0), each
// org's session ended after its own. b.mu held.
func (b *Box) requeue(kind deliverylog.Kind, batch int64, ds []*Delivery) {
	var orgs []string
	byOrg := map[string][]*Delivery{}
	for _, d := range ds {
		if _, ok := byOrg[d.OrgID]; !ok {
			orgs = append(orgs, d.OrgID)
		}
		byOrg[d.OrgID] = append(byOrg[d.OrgID], d)
	}
	for _, org := range orgs {
		b.enqueue(org, kind, batch, byOrg[org], false)
	}
}

// Deliveries returns a copy of the log: every delivery made, oldest first.
func (b *Box) Deliveries() []Delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Delivery, len(b.log))
	for i, d := range b.log {
		out[i] = *d
		out[i].Attempts = slices.Clone(d.Attempts)
	}
	return out
}

// Idle waits until nothing is queued or being sent, or ctx ends.
func (b *Box) Idle(ctx context.Context) error {
	stop := b.wakeOn(ctx)
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for (b.pending > 0 || b.inflight > 0) && !b.closed {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.changed.Wait()
	}
	return ctx.Err()
}

// wakeOn broadcasts b.changed when ctx ends, so waits on it notice.
func (b *Box) wakeOn(ctx context.Context) func() {
	quit := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			b.mu.Lock()
			b.changed.Broadcast()
			b.mu.Unlock()
		case <-quit:
		}
	}()
	return func() { close(quit) }
}

// truthOf builds the truth of org from its deliveries: applied in the order
// they were acknowledged; the rest (dropped, lost or still queued) uncertain,
// since a consumer may have them from employee_list. It returns the time of
// the last acknowledgement. b.mu held.
func (b *Box) truthOf(orgID string) (*judge.OrgTruth, time.Time, error) {
	var acked, rest []*Delivery
	for _, d := range b.log {
		if d.OrgID != orgID {
			continue
		}
		if d.Acknowledged() {
			acked = append(acked, d)
		} else {
			rest = append(rest, d)
		}
	}
	slices.SortFunc(acked, func(x, y *Delivery) int { return x.ackSeq - y.ackSeq })
	t := judge.NewTruth()
	var last time.Time
	for _, d := range acked {
		if err := t.Apply(d.Body); err != nil {
			return nil, last, err
		}
		if d.ackAt.After(last) {
			last = d.ackAt
		}
	}
	for _, d := range rest {
		if err := t.Uncertain(d.Body); err != nil {
			return nil, last, err
		}
	}
	return t.Org(orgID), last, nil
}
