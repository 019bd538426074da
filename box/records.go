package box

import (
	"strconv"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/wire"
)

// listed is one employee record as the API lists it, and when it changed:
// when a sync sent it (db) or when the HRMS changed it (hrms).
type listed struct {
	Record *wire.Object
	At     time.Time
}

// records returns org's employee records: what the syncs sent, in the order
// first sent (source db), or the simulated HRMS now (source hrms).
func (b *Box) records(orgID string, hrms bool) ([]listed, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return nil, err
	}
	out := make([]listed, 0, max(len(o.source), len(o.dbOrder)))
	if hrms {
		for i := range o.source {
			e := &o.source[i]
			out = append(out, listed{Record: e.Record(o.fs), At: o.changedAt[e.EmployeeID]})
		}
		return out, nil
	}
	for _, s := range o.dbOrder {
		out = append(out, listed{Record: s.rec, At: s.at})
	}
	return out, nil
}

// resend queues sends of the stored webhooks q selects, identical bytes,
// as the subscription still sends; it returns how many.
func (b *Box) resend(q resendQuery) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var orgID string
	if q.searchType == "org" {
		o := b.lookup(q.orgID)
		if o == nil {
			return 0, &fieldError{Field: "org_id", Why: "is not a corporate connected to you", NotFound: true}
		}
		orgID = o.id
	}
	var ds []*Delivery
	for _, d := range b.log {
		var hit bool
		switch q.searchType {
		case "sync_session":
			hit = d.SyncSessionID == q.session
		case "sync_session_counter":
			hit = d.SyncSessionID == q.session && d.WebhookCounter == q.counter
		case "timestamp_range":
			hit = !d.Made.Before(q.start) && !d.Made.After(q.end)
		case "org":
			hit = d.OrgID == orgID
		case "request_id":
			hit = d.RequestID == q.requestID
		}
		switch q.status {
		case "failed":
			hit = hit && !d.Acknowledged()
		case "success":
			hit = hit && d.Acknowledged()
		}
		if hit && !d.queued && b.cfg.events.Sends(d.Event, d.EventType) {
			ds = append(ds, d)
		}
	}
	b.requeue(deliverylog.Resend, 0, ds)
	b.note(entry{Op: opResend, Resend: &savedResend{SearchType: q.searchType, Session: q.session, RequestID: q.requestID, OrgID: q.orgID, Status: q.status, Counter: q.counter, Start: q.start, End: q.end}}, len(b.log))
	return len(ds), nil
}

// requestID is a fresh requestId for an API answer.
func (b *Box) requestID() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ids.UUID()
}

func itoa(n int) string { return strconv.Itoa(n) }

// nullable returns *p, or nil (JSON null) when p is nil.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
