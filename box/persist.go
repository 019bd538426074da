package box

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// A Journal keeps a box's history, so that a box made again on it (after
// a restart of tartansim serve) has the same corporates, records,
// deliveries and verdicts. The console's store provides one
// (console.Store.Journal).
type Journal interface {
	// Load returns every entry appended, oldest first.
	Load() ([][]byte, error)
	// Append adds entries after the others, durably, before it returns.
	Append(entries ...[]byte) error
	// Reset forgets every entry.
	Reset() error
}

// Persist keeps the box's history in j and, when j already holds one,
// makes the box from it: the corporates are invited, accept, change, sync
// and terminate again as they did, at the times they did, without sending
// anything, and every send's outcome is taken from j. The box then goes on
// from there:
//   - a send that was queued or in flight when the box stopped counts as
//     failed (ErrInterrupted), so the next EOD batch re-sends it;
//   - an invite still waiting for its corporate accepts when AcceptAfter
//     from its invite has passed (at once if it already has);
//   - the delta and EOD schedules go on from now: a run missed while the
//     box was stopped is not made up;
//   - verdicts are judged again.
//
// A box made from a journal keeps the seed it began with (whatever Seed
// says), as its data comes from that seed. History made by another
// version of tartansim, whose data differs, cannot be replayed: the box
// starts anew, forgets j's history and says why in Restored.
//
// Entries are written by a goroutine of the box's, a batch at a time, so
// that a send never waits for the disk; Close writes what is left. A crash
// can lose the last entries (a few milliseconds of history); the box made
// next counts the sends they held as interrupted.
func Persist(j Journal) Option { return func(c *config) error { c.journal = j; return nil } }

// ErrInterrupted is the error of a send that was queued or in flight when
// the box stopped: the box made after it counts the send as failed.
var ErrInterrupted = errors.New("tartansim stopped before this send was answered")

// Restored says what a box made with Persist took from its journal.
type Restored struct {
	// Corporates and Deliveries are how many came back.
	Corporates int `json:"corporates"`
	Deliveries int `json:"deliveries"`
	// Interrupted counts the sends that were queued or in flight at the
	// stop, now failed and due at the next EOD batch.
	Interrupted int `json:"interrupted"`
	// Discarded says why the history could not be replayed, when it could
	// not: the box started anew.
	Discarded string `json:"discarded,omitempty"`
}

// Restored says what the box took from its journal (zero without one).
func (b *Box) Restored() Restored {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.restored
}

// journalFormat marks the entries' format; a journal that begins with
// another is not replayed.
const journalFormat = 1

// entry is one line of the journal: an operation on the box, at a time of
// its clock. Made and Sum check a replay against the original: how many
// deliveries the operation made, and a digest of their requestIds and
// bodies.
type entry struct {
	Op string    `json:"op"`
	At time.Time `json:"at"`

	Format int    `json:"format,omitempty"` // begin
	Seed   uint64 `json:"seed,omitempty"`   // begin

	Org        string          `json:"org,omitempty"`
	Invitation *savedInvite    `json:"invitation,omitempty"`
	Delta      *fixtures.Delta `json:"delta,omitempty"`
	Kind       string          `json:"kind,omitempty"`   // test: a catalogue ID
	Events     string          `json:"events,omitempty"` // events: Subscription.String
	Layout     *wire.Layout    `json:"layout,omitempty"`
	Fault      string          `json:"fault,omitempty"` // fail
	Next       int             `json:"next,omitempty"`  // fail
	Resend     *savedResend    `json:"resend,omitempty"`
	Sync       bool            `json:"sync,omitempty"` // ended: a sync session

	Seq     int                  `json:"seq,omitempty"` // sent
	Attempt *deliverylog.Attempt `json:"attempt,omitempty"`
	AckAt   time.Time            `json:"ackAt,omitzero"`

	Made int    `json:"made,omitempty"`
	Sum  string `json:"sum,omitempty"`
}

// The operations of a journal.
const (
	opBegin              = "begin"
	opInvite             = "invite"
	opAccept             = "accept"
	opChange             = "change"
	opSync               = "sync"
	opSyncWith           = "sync-with"
	opTerminate          = "terminate"
	opCorporateTerminate = "corporate-terminate"
	opReject             = "reject"
	opScheduled          = "scheduled-sync"
	opTest               = "test"
	opFail               = "fail-next"
	opEOD                = "eod"
	opResend             = "resend"
	opEvents             = "events"
	opLayout             = "layout"
	opSent               = "sent"
	opEnded              = "ended"
)

// savedInvite is an Invitation as the journal keeps it: the reference
// data in its wire bytes, so that it is echoed back exactly.
type savedInvite struct {
	Email, OrgName, FullName, RemoteOrgID string
	ReferenceData                         json.RawMessage           `json:",omitempty"`
	Flags                                 map[string]map[string]int `json:",omitempty"`
	Employees                             int                       `json:",omitempty"`
}

func saveInvite(inv Invitation) *savedInvite {
	s := &savedInvite{Email: inv.Email, OrgName: inv.OrgName, FullName: inv.FullName, RemoteOrgID: inv.RemoteOrgID, Flags: inv.Flags, Employees: inv.Employees}
	if inv.ReferenceData != nil {
		s.ReferenceData = wire.Encode(inv.ReferenceData, wire.Compact)
	}
	return s
}

func (s *savedInvite) invitation() (Invitation, error) {
	inv := Invitation{Email: s.Email, OrgName: s.OrgName, FullName: s.FullName, RemoteOrgID: s.RemoteOrgID, Flags: s.Flags, Employees: s.Employees}
	if len(s.ReferenceData) > 0 {
		v, err := wire.Decode(s.ReferenceData)
		if err != nil {
			return inv, err
		}
		inv.ReferenceData = v
	}
	return inv, nil
}

// savedResend is a resendQuery as the journal keeps it.
type savedResend struct {
	SearchType, Session, RequestID, OrgID, Status string
	Counter                                       int
	Start, End                                    time.Time
}

// JournalError is the first error writing the journal met (nil: none, or
// no journal): the history after it may be lost at a restart.
func (b *Box) JournalError() error {
	if b.jw == nil {
		return nil
	}
	return b.jw.Err()
}

// note writes e to the journal, stamped with the box's clock and with the
// deliveries made since mark (the log's length before the operation).
// Nothing is written while the box replays its journal. b.mu held.
func (b *Box) note(e entry, mark int) {
	if b.jw == nil || b.replaying {
		return
	}
	if e.At.IsZero() {
		e.At = b.cfg.clock.Now()
	}
	e.Made, e.Sum = b.madeSince(mark)
	js, err := json.Marshal(e)
	if err != nil {
		panic(err) // the entry's own types
	}
	b.jw.Add(js)
}

// madeSince counts and digests the deliveries made since mark. b.mu held.
func (b *Box) madeSince(mark int) (int, string) {
	if mark >= len(b.log) {
		return 0, ""
	}
	h := sha256.New()
	for _, d := range b.log[mark:] {
		h.Write([]byte(d.RequestID))
		h.Write(d.Body)
	}
	return len(b.log) - mark, hex.EncodeToString(h.Sum(nil)[:8])
}

// journalSeed is the seed a journal began with, if it holds a history of
// this format.
func journalSeed(entries [][]byte) (uint64, bool) {
	if len(entries) == 0 {
		return 0, false
	}
	var e entry
	if json.Unmarshal(entries[0], &e) != nil || e.Op != opBegin || e.Format != journalFormat {
		return 0, false
	}
	return e.Seed, true
}

// replay makes the box's state again from entries, on a clock that reads
// each entry's time, sending nothing. It stops at the first entry that
// does not replay as it was made. The box's workers have not started.
func (b *Box) replay(entries [][]byte) error {
	real := b.cfg.clock
	at := &replayClock{}
	b.cfg.clock, b.replaying = at, true
	defer func() { b.cfg.clock, b.replaying = real, false }()
	for i, raw := range entries[1:] {
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("entry %d: %w", i+2, err)
		}
		at.now = e.At
		b.mu.Lock()
		mark := len(b.log)
		b.mu.Unlock()
		if err := b.redo(e); err != nil {
			return fmt.Errorf("entry %d (%s): %w", i+2, e.Op, err)
		}
		b.mu.Lock()
		n, sum := b.madeSince(mark)
		b.mu.Unlock()
		if n != e.Made || sum != e.Sum {
			return fmt.Errorf("entry %d (%s) made %d webhooks that differ from the %d it made then", i+2, e.Op, n, e.Made)
		}
	}
	return nil
}

// redo does e again.
func (b *Box) redo(e entry) error {
	var err error
	switch e.Op {
	case opInvite:
		var inv Invitation
		if inv, err = e.Invitation.invitation(); err == nil {
			_, _, err = b.Invite(inv)
		}
	case opAccept:
		err = b.Accept(e.Org)
	case opChange:
		err = b.Change(e.Org, *e.Delta)
	case opSync:
		_, err = b.Sync(e.Org)
	case opSyncWith:
		_, err = b.SyncWith(e.Org, *e.Delta)
	case opTerminate:
		err = b.Terminate(e.Org)
	case opCorporateTerminate:
		err = b.TerminateByCorporate(e.Org)
	case opReject:
		err = b.Reject(e.Org)
	case opScheduled:
		b.scheduledSync()
	case opTest:
		var k fixtures.Kind
		if k, err = fixtures.LookupKind(e.Kind); err == nil {
			b.SendTest(k)
		}
	case opFail:
		var f sender.Fault
		if f, err = sender.ParseFault(e.Fault); err == nil {
			b.FailNext(f, e.Next)
		}
	case opEOD:
		b.mu.Lock()
		b.eod()
		b.mu.Unlock()
	case opResend:
		r := e.Resend
		_, err = b.resend(resendQuery{searchType: r.SearchType, session: r.Session, requestID: r.RequestID, orgID: r.OrgID, status: r.Status, counter: r.Counter, start: r.Start, end: r.End})
	case opEvents:
		var sub fixtures.Subscription
		if sub, err = fixtures.ParseSubscription(e.Events); err == nil {
			b.SetEvents(sub)
		}
	case opLayout:
		b.SetLayout(*e.Layout)
	case opSent:
		b.mu.Lock()
		err = b.resent(e)
		b.mu.Unlock()
	case opEnded:
		b.mu.Lock()
		if o := b.orgs[e.Org]; o != nil {
			o.ended++
			if e.Sync {
				o.syncs--
			}
		}
		b.mu.Unlock()
	default:
		err = fmt.Errorf("unknown operation %q", e.Op)
	}
	return err
}

// resent takes a send's outcome from the journal. b.mu held.
func (b *Box) resent(e entry) error {
	if e.Seq < 1 || e.Seq > len(b.log) || e.Attempt == nil {
		return fmt.Errorf("a send of delivery %d, which was never made", e.Seq)
	}
	d := b.log[e.Seq-1]
	b.took(d, *e.Attempt, e.AckAt)
	return nil
}

// took records attempt a of d: its outcome, the acknowledgement, the
// fault it used up. b.mu held.
func (b *Box) took(d *Delivery, a deliverylog.Attempt, ackAt time.Time) {
	d.Attempts = append(d.Attempts, a)
	d.queued = false
	b.attempts = max(b.attempts, a.ID)
	if a.OK() && d.ackSeq == 0 {
		b.acks++
		d.ackSeq, d.ackAt = b.acks, ackAt
	}
	if b.replaying && a.Fault != "" && a.Kind == deliverylog.First && b.failN > 0 {
		b.failN--
	}
}

// restore makes the box from its journal, or begins one; seed is the one
// the box was given, for a box that starts anew. The workers have not
// started; the sends it counts as interrupted are returned, for OnSend.
func (b *Box) restore(entries [][]byte, seed uint64) []Sent {
	if _, ok := journalSeed(entries); ok {
		err := b.replay(entries)
		if err == nil {
			return b.resume()
		}
		b.restored.Discarded = "the history could not be replayed (" + err.Error() + "); it was made by another version of tartansim or is damaged, and the box started anew"
		b.cfg.seed = seed
		b.fresh()
	}
	if err := b.cfg.journal.Reset(); err != nil && b.restored.Discarded == "" {
		b.restored.Discarded = err.Error()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.note(entry{Op: opBegin, Format: journalFormat, Seed: b.cfg.seed}, len(b.log))
	b.noteSettings()
	return nil
}

// noteSettings writes the subscription and layout the box sends with.
// b.mu held.
func (b *Box) noteSettings() {
	l := b.cfg.layout
	b.note(entry{Op: opEvents, Events: b.cfg.events.String()}, len(b.log))
	b.note(entry{Op: opLayout, Layout: &l}, len(b.log))
}

// resume goes on after a replay: the sends left queued fail as
// interrupted, sessions left open end, invites wait for the rest of their
// AcceptAfter, and verdicts are judged again.
func (b *Box) resume() []Sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.clock.Now()
	var out []Sent
	for _, d := range b.log {
		if !d.queued {
			continue
		}
		p := sender.Delivery{Body: d.Body, Header: d.Header}
		r := sender.Result{Start: now, Class: sender.ClassOther, Err: ErrInterrupted, Sent: true}
		a := deliverylog.New(deliverylog.FromAPI, d.queuedKind, p, false, r)
		b.attempts++
		a.ID, a.Delivery, a.EODBatch, a.Target = b.attempts, int64(d.Seq), d.queuedBatch, b.cfg.target
		a.Headers, a.Body = nil, ""
		b.took(d, a, time.Time{})
		b.note(entry{Op: opSent, Seq: d.Seq, Attempt: &a}, len(b.log))
		out = append(out, Sent{Seq: d.Seq, Kind: d.queuedKind, EODBatch: d.queuedBatch, Target: b.cfg.target, Request: p, Result: r})
		b.restored.Interrupted++
	}
	b.noteSettings() // the settings now may differ from the last ones noted
	for _, id := range b.order {
		o := b.orgs[id]
		for o.ended < o.sessions {
			o.ended++
			b.note(entry{Op: opEnded, Org: o.id}, len(b.log))
		}
		o.syncs = 0
		if o.status == fixtures.StatusInvited && b.cfg.acceptAfter > 0 {
			left := max(0, o.modified.Add(b.cfg.acceptAfter).Sub(now))
			o.stopAccept = b.cfg.clock.AfterFunc(left, func() { _ = b.Accept(id) })
		}
		if o.sessions > 0 {
			b.judge(o)
		}
	}
	b.restored.Corporates, b.restored.Deliveries = len(b.order), len(b.log)
	return out
}

// replayClock reads the time of the entry being replayed. Nothing waits on
// it: a replay arms no timer.
type replayClock struct{ now time.Time }

func (c *replayClock) Now() time.Time                       { return c.now }
func (c *replayClock) After(time.Duration) <-chan time.Time { return nil }
func (c *replayClock) AfterFunc(time.Duration, func()) func() bool {
	return func() bool { return false }
}
