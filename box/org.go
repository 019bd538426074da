package box

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/wire"
)

// org is one simulated corporate and its connection.
type org struct {
	id       string
	num      int // org_details' numeric id
	corp     fixtures.Corporate
	email    string // the corporate's HR the token was minted for
	fullname string
	refData  any // corporate_reference_data as given, echoed back
	flags    *wire.Object
	fs       fixtures.FieldSet

	status     string // fixtures.StatusInvited, StatusAccepted or StatusTerminated
	created    time.Time
	modified   time.Time
	lastSync   time.Time
	initial    bool // the initial sync was made
	stopAccept func() bool

	syncs    int // sync sessions queued and not yet sent
	sessions int // sessions queued (all kinds)
	ended    int // sessions sent

	// source is the simulated HRMS now; changedAt says when each employee
	// (by employeeId) last changed there.
	source    []fixtures.Employee
	changedAt map[string]time.Time
	// db is what the syncs sent, by employeeId, in the order first sent.
	db      map[string]*stored
	dbOrder []*stored // db's records, in the order first sent

	verdict     judge.Verdict
	judging     bool
	again       bool
	cancelJudge func() // ends a judgement a newer session made stale
}

// stored is a record as a sync sent it.
type stored struct {
	rec  *wire.Object
	body []byte // rec, compact: to tell whether the HRMS changed it since
	at   time.Time
}

// Invitation is what Generate SDK token carries.
type Invitation struct {
	Email, OrgName, FullName string
	// RemoteOrgID is the integrator's own id for the corporate ("" for none).
	RemoteOrgID string
	// ReferenceData is corporate_reference_data, echoed back (a wire value).
	ReferenceData any
	// Flags is data_model_flags: groups of field: -1|0|1 (nil: defaults).
	Flags map[string]map[string]int
	// Employees is how many employees a new corporate has, 1 to
	// MaxEmployees (0: the box's Employees). An invite that finds an
	// existing corporate keeps its employees.
	Employees int
}

// Session says what one sync sent.
type Session struct {
	OrgID         string `json:"orgId"`
	SyncSessionID string `json:"syncSessionId"`
	EventType     string `json:"eventType"` // sync.events.initial or sync.events.delta
	New           int    `json:"newRecords"`
	Updated       int    `json:"updatedRecords"`
	Webhooks      int    `json:"webhooks"` // the ones the subscription sends
}

// Invite does what Generate SDK token does: it finds the corporate (the
// same RemoteOrgID, or without one the same private email domain, is the
// same org) or makes a new one, fires connection.events.requested for a new
// invite, and arranges for the corporate to accept (AcceptAfter). It
// returns the org_id and whether the invite was new.
func (b *Box) Invite(inv Invitation) (string, bool, error) {
	fs, flags, err := fieldSet(inv.Flags)
	if err != nil {
		return "", false, err
	}
	if inv.Employees < 0 || inv.Employees > MaxEmployees {
		return "", false, &fieldError{Field: "corporate_reference_data.employees", Why: fmt.Sprintf("is %d, but a corporate has 1 to %d employees", inv.Employees, MaxEmployees)}
	}
	size := b.cfg.employees
	if inv.Employees > 0 {
		size = inv.Employees
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return "", false, ErrClosed
	}
	now := b.cfg.clock.Now()
	o := b.find(inv)
	if o != nil && o.status != fixtures.StatusTerminated && o.status != statusRejected {
		return o.id, false, nil // re-minted: nothing fires
	}
	mark := len(b.log)
	b.g.SetNow(now)
	if o == nil {
		c := b.g.Corporate()
		c.Name, c.RemoteOrgID, c.Admin = inv.OrgName, inv.RemoteOrgID, inv.Email
		if d := domainOf(inv.Email); d != "" && !publicDomains[d] {
			c.Domain = d
		}
		o = &org{
			id: c.OrgID, num: len(b.order) + 1, corp: c, created: now,
			source: b.g.Employees(c, size), changedAt: map[string]time.Time{}, db: map[string]*stored{},
		}
		for _, e := range o.source {
			o.changedAt[e.EmployeeID] = now
		}
		b.orgs[o.id] = o
		b.order = append(b.order, o.id)
	}
	o.email, o.fullname, o.refData, o.flags, o.fs = inv.Email, inv.FullName, inv.ReferenceData, flags, fs
	o.status, o.modified, o.initial = fixtures.StatusInvited, now, false
	conn := fixtures.Invited(b.vendor) // invitedBy: the vendor's user who invites, as Tartan's example shows
	ev := b.g.ConnectionEvent(kind(fixtures.EventConnectionRequested), o.corp, b.vendor, conn, now)
	b.enqueue(o.id, deliverylog.First, 0, b.make([]fixtures.Event{ev}), false)
	saved := saveInvite(inv)
	saved.Employees = size // what it was made with, whatever --employees says at a restart
	b.note(entry{Op: opInvite, Invitation: saved}, mark)
	switch {
	case b.replaying: // the journal says when it accepted
	case b.cfg.acceptAfter == 0:
		if err := b.accept(o); err != nil {
			return "", false, err
		}
	case b.cfg.acceptAfter > 0:
		id := o.id
		o.stopAccept = b.cfg.clock.AfterFunc(b.cfg.acceptAfter, func() { _ = b.Accept(id) })
	}
	return o.id, true, nil
}

// cancelAccept stops the accept the invite arranged, if it is pending.
func (o *org) cancelAccept() {
	if o.stopAccept != nil {
		o.stopAccept()
		o.stopAccept = nil
	}
}

// find returns the corporate an invitation names, or nil. b.mu held.
func (b *Box) find(inv Invitation) *org {
	for _, id := range b.order {
		o := b.orgs[id]
		switch {
		case inv.RemoteOrgID != "":
			if o.corp.RemoteOrgID == inv.RemoteOrgID {
				return o
			}
		case o.corp.RemoteOrgID == "":
			if d := domainOf(inv.Email); d != "" && !publicDomains[d] && domainOf(o.email) == d {
				return o
			}
		}
	}
	return nil
}

func domainOf(email string) string {
	_, d, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(d))
}

// lookup finds an org by its org_id or its remote_org_id. b.mu held.
func (b *Box) lookup(id string) *org {
	if o, ok := b.orgs[id]; ok {
		return o
	}
	for _, oid := range b.order {
		if o := b.orgs[oid]; id != "" && o.corp.RemoteOrgID == id {
			return o
		}
	}
	return nil
}

// known is lookup, or an error wrapping ErrUnknownOrg. b.mu held.
func (b *Box) known(id string) (*org, error) {
	if o := b.lookup(id); o != nil {
		return o, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownOrg, id)
}

// Orgs returns the org_ids of every corporate, in invite order.
func (b *Box) Orgs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.order)
}

// Accept makes the corporate accept its invite now, and starts the
// initial sync. Accepting twice does nothing more.
func (b *Box) Accept(orgID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err == nil {
		err = o.over()
	}
	if err != nil || o.status == fixtures.StatusAccepted {
		return err
	}
	return b.accept(o)
}

// accept is Accept with b.mu held.
func (b *Box) accept(o *org) error {
	o.cancelAccept()
	mark := len(b.log)
	o.status, o.modified = fixtures.StatusAccepted, b.cfg.clock.Now()
	_, err := b.sync(o)
	b.note(entry{Op: opAccept, Org: o.id}, mark)
	return err
}

// Change makes d's changes in the corporate's HRMS (joiners, promotions,
// transfers, manager changes, leavers; each change to a different
// employee), to be sent by the next sync; until then employee_list's
// source=hrms is ahead of source=db. A delta the corporate has too few
// employees for is a *fixtures.DeltaError, and changes nothing.
func (b *Box) Change(orgID string, d fixtures.Delta) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return err
	}
	if err := b.change(o, d); err != nil {
		return err
	}
	b.note(entry{Op: opChange, Org: o.id, Delta: &d}, len(b.log))
	return nil
}

// change is Change with b.mu held: all of d, or nothing.
func (b *Box) change(o *org, d fixtures.Delta) error {
	now := b.cfg.clock.Now()
	b.g.SetNow(now)
	a, err := b.g.ApplyDelta(o.corp, o.source, d)
	if err != nil {
		return err
	}
	o.source = a.Employees
	for _, e := range slices.Concat(a.Joiners, a.Updated) {
		o.changedAt[e.EmployeeID] = now
	}
	return nil
}

// Sync runs a sync session of the corporate now: the initial sync if none
// was made since it accepted, else a delta with whatever changed in its
// HRMS since the last sync (0 and 0 when nothing did).
func (b *Box) Sync(orgID string) (Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return Session{}, err
	}
	mark := len(b.log)
	s, err := b.sync(o)
	if err == nil {
		b.note(entry{Op: opSync, Org: o.id}, mark)
	}
	return s, err
}

// SyncWith makes d's changes and syncs them: a delta on demand.
func (b *Box) SyncWith(orgID string, d fixtures.Delta) (Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	if err != nil {
		return Session{}, err
	}
	if err := b.syncable(o); err != nil {
		return Session{}, err
	}
	mark := len(b.log)
	if err := b.change(o, d); err != nil {
		return Session{}, err
	}
	s, err := b.sync(o)
	b.note(entry{Op: opSyncWith, Org: o.id, Delta: &d}, mark) // the change stays, synced or not
	return s, err
}

func (b *Box) syncable(o *org) error {
	if o.status == fixtures.StatusInvited {
		return fmt.Errorf("%w: org %s", ErrNotAccepted, o.id)
	}
	return o.over()
}

// over is ErrTerminated or ErrRejected when the connection is over, else
// nil.
func (o *org) over() error {
	switch o.status {
	case fixtures.StatusTerminated:
		return fmt.Errorf("%w: org %s", ErrTerminated, o.id)
	case statusRejected:
		return fmt.Errorf("%w: org %s", ErrRejected, o.id)
	}
	return nil
}

// sync is Sync with b.mu held.
func (b *Box) sync(o *org) (Session, error) {
	if err := b.syncable(o); err != nil {
		return Session{}, err
	}
	now := b.cfg.clock.Now()
	b.g.SetNow(now)
	var adds, updates []fixtures.Employee
	for _, e := range o.source {
		s, have := o.db[e.EmployeeID]
		switch {
		case !o.initial || !have:
			adds = append(adds, e)
		case string(wire.Encode(e.Record(o.fs), wire.Compact)) != string(s.body):
			updates = append(updates, e)
		}
	}
	typ := fixtures.TypeDelta
	if !o.initial {
		typ = fixtures.TypeInitial
	}
	sess := b.g.Session(o.corp, b.vendor)
	evs := []fixtures.Event{sess.Initiated(len(adds), len(updates), now)}
	evs = append(evs, sess.Employees(fixtures.Kind{Event: fixtures.EventEmployeeAdd, Type: typ}, adds, o.fs, now)...)
	evs = append(evs, sess.Employees(fixtures.Kind{Event: fixtures.EventEmployeeUpdate, Type: fixtures.TypeDelta}, updates, o.fs, now)...)
	for _, ev := range evs[1:] {
		for _, r := range ev.Body {
			rec := r.(*wire.Object)
			id, _ := rec.Get("employeeId")
			key, _ := id.(string)
			if key == "" { // employeeId left out by the flags: key by id
				v, _ := rec.Get("id")
				key, _ = v.(string)
			}
			s, have := o.db[key]
			if !have {
				s = &stored{}
				o.db[key] = s
				o.dbOrder = append(o.dbOrder, s)
			}
			*s = stored{rec: rec, body: wire.Encode(rec, wire.Compact), at: now}
		}
	}
	o.initial, o.lastSync, o.modified = true, now, now
	ds := b.make(evs)
	o.syncs++
	b.enqueue(o.id, deliverylog.First, 0, ds, true)
	return Session{OrgID: o.id, SyncSessionID: sess.ID, EventType: typ, New: len(adds), Updated: len(updates), Webhooks: len(ds)}, nil
}

// Terminate ends the connection, as Terminate connection does, and fires
// connection.events.terminated, terminatedBy the vendor's user. clientOrg
// is the org_id or the remote_org_id. While a sync session is being sent
// it is refused with ErrSyncInProgress, and nothing is sent; a connection
// terminated or rejected already is ErrTerminated or ErrRejected.
func (b *Box) Terminate(clientOrg string) error {
	return b.terminate(clientOrg, &b.vendor.Inviter)
}

// TerminateByCorporate ends the connection from the corporate's side, as
// its HR admin does on Tartan's side: connection.events.terminated,
// terminatedBy the admin's email, refused as Terminate is.
func (b *Box) TerminateByCorporate(orgID string) error { return b.terminate(orgID, nil) }

// terminate is Terminate by the vendor's user (by), or by the corporate's
// admin (by nil).
func (b *Box) terminate(id string, by *string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(id)
	if err == nil {
		err = o.over()
	}
	switch {
	case err != nil:
		return err
	case o.syncs > 0:
		return fmt.Errorf("%w: org %s", ErrSyncInProgress, o.id)
	}
	op := opTerminate
	if by == nil {
		admin := o.corp.Admin
		by, op = &admin, opCorporateTerminate
	}
	o.cancelAccept()
	mark := len(b.log)
	now := b.cfg.clock.Now()
	b.g.SetNow(now)
	conn := fixtures.Connection{Status: fixtures.StatusTerminated, TerminatedBy: by}
	if o.initial {
		hrms := o.corp.HRMS
		conn.HRMS = &hrms
	}
	o.status, o.modified = fixtures.StatusTerminated, now
	ev := b.g.ConnectionEvent(kind(fixtures.EventConnectionTerminated), o.corp, b.vendor, conn, now)
	b.enqueue(o.id, deliverylog.First, 0, b.make([]fixtures.Event{ev}), false)
	b.note(entry{Op: op, Org: o.id}, mark)
	return nil
}

// Reject makes the corporate reject its pending invite, as its HR admin
// does on Tartan's side. Tartan documents no event for it, so none is
// sent [OURS]: vendor/connections lists it as rejected, org_details says
// "rejected", and the consumer learns it only from them. Accept, syncs and
// Terminate then refuse it (ErrRejected); a new token call for it invites
// again. Only a pending invite can be rejected (ErrNotPending).
func (b *Box) Reject(orgID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(orgID)
	switch {
	case err != nil:
		return err
	case o.status != fixtures.StatusInvited:
		return fmt.Errorf("%w: org %s", ErrNotPending, o.id)
	}
	o.cancelAccept()
	o.status, o.modified = statusRejected, b.cfg.clock.Now()
	b.note(entry{Op: opReject, Org: o.id}, len(b.log))
	b.changed.Broadcast()
	return nil
}

// ConsoleInvite invites a corporate from Tartan's console, as the vendor's
// user does there: a corporate the consumer never asked for, with no
// remote_org_id. It fires connection.events.requested (remote_org_id null)
// and the corporate accepts as any invited one does (AcceptAfter).
// employees sizes it (0: the box's Employees). It returns the org_id;
// an invite that finds a live connection (the same private email domain)
// fires nothing, as Invite.
func (b *Box) ConsoleInvite(orgName, email string, employees int) (string, error) {
	switch {
	case strings.TrimSpace(orgName) == "":
		return "", &fieldError{Field: "org_name", Why: "is required"}
	case notEmail(strings.TrimSpace(email)):
		return "", &fieldError{Field: "email", Why: "is not an email address"}
	case employees < 0 || employees > MaxEmployees:
		return "", &fieldError{Field: "employees", Why: fmt.Sprintf("must be a whole number from 1 to %d", MaxEmployees)}
	}
	id, _, err := b.Invite(Invitation{Email: strings.TrimSpace(email), OrgName: strings.TrimSpace(orgName), Employees: employees})
	return id, err
}

// scheduledSync is the delta schedule's run: a churn and a sync for every
// accepted corporate that is not syncing already.
func (b *Box) scheduledSync() {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.note(entry{Op: opScheduled}, len(b.log))
	for _, id := range b.order {
		o := b.orgs[id]
		if o.status != fixtures.StatusAccepted || o.syncs > 0 {
			continue
		}
		_ = b.change(o, b.g.Fit(b.cfg.churn, o.source)) // a corporate too small for the churn gets what fits
		_, _ = b.sync(o)
	}
}

// endSession notes that a session of org was sent. b.mu held.
func (b *Box) endSession(orgID string, wasSync bool) {
	o := b.orgs[orgID]
	if o == nil {
		return
	}
	o.ended++
	if wasSync {
		o.syncs--
	}
	b.note(entry{Op: opEnded, Org: orgID, Sync: wasSync}, len(b.log))
	b.judge(o)
}

func kind(event string) fixtures.Kind {
	k, err := fixtures.LookupKind(event)
	if err != nil {
		panic(err) // the catalogue's own names
	}
	return k
}
