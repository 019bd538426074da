package conformance

import (
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
)

// Check is one conformance check of docs/conformance.md: a small scenario that
// exercises one behaviour (its file, checks/<id>.yaml, embedded), and the
// judgement of that behaviour alone, so that a consumer with one flaw fails
// one check.
type Check struct {
	ID    string // stable, e.g. "SIG-VALID"
	Label string // the Ginkgo label: signature, payload, delivery, lifecycle
	Title string // what a correct consumer does
	// NeedsProbe is true when the check cannot pass without a state probe.
	NeedsProbe bool
	// timing checks judge speed: they never run beside other checks, so
	// that parallelism cannot make a consumer look slow.
	timing bool
	// state is what the check judges of the consumer's state, and so what
	// the settling waits for; 0 reads no state at all.
	state judge.Aspect
	// needs lists the catalogue IDs the check is about: under a
	// subscription without one of them it is SKIP (see Needs).
	needs []string
	// concern keeps the state differences the check is about (nil: all of
	// them): a difference outside every concern but the data checks' is
	// reported there, once, not under every check that saw it.
	concern func(judge.Difference) bool
	// countsIfAny judges the applied counts when the probe gives them, and
	// the rest of the state without them (not SKIP, as for the checks
	// whose point the counts are).
	countsIfAny bool
	judge       func(*evidence)
}

// fromForgery is the signature checks' concern: what a forged delivery
// did (a forgery counted applied, a value only a forgery carried).
func fromForgery(d judge.Difference) bool { return d.FromForgery() }

// appliedOnce is DEL-DUPLICATE's concern: a delivery applied twice (or
// an employee held twice, its side effect), or not at all, and data lost.
func appliedOnce(d judge.Difference) bool {
	return d.Kind == judge.AppliedTwice || d.Kind == judge.DuplicateEmployee || dataDropped(d)
}

// dataDropped is the concern of checks whose state only adds evidence to
// an HTTP verdict: work acknowledged and then lost (an employee missing, a
// delivery never applied), or what a forgery did.
func dataDropped(d judge.Difference) bool {
	return d.Kind == judge.MissingEmployee || d.Kind == judge.NotApplied || d.FromForgery()
}

// recordsKept is LIFE-TERMINATION's concern: records lost after a
// termination (a silent purge, batches discarded), or kept after a purge
// the probe declared.
func recordsKept(d judge.Difference) bool {
	return d.Kind == judge.MissingEmployee || d.Kind == judge.KeptAfterPurge
}

// Labels, one per area.
const (
	LabelSignature = "signature"
	LabelPayload   = "payload"
	LabelDelivery  = "delivery"
	LabelLifecycle = "lifecycle"
)

// Needs returns the events (catalogue IDs) the check is about. Played for
// a consumer whose subscription (Target.Events) leaves one of them out, the
// check is SKIP: it cannot be judged on events the consumer never gets.
func (c Check) Needs() []string { return append([]string(nil), c.needs...) }

// Kind IDs the checks need.
const (
	addInitial = fixtures.EventEmployeeAdd + "/initial"
	addDelta   = fixtures.EventEmployeeAdd + "/delta"
	update     = fixtures.EventEmployeeUpdate
)

// Checks returns the checks in catalogue order.
func Checks() []Check { return append([]Check(nil), checks...) }

// Lookup finds a check by ID.
func Lookup(id string) (Check, bool) {
	for _, c := range checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// forgery is a check that forged variants of real webhooks, one per
// fault, are refused and have no effect: copies of the invite (a
// connection event) and of a delta sync's webhooks.
func forgery(id, title string) Check {
	return Check{
		ID: id, Label: LabelSignature, Title: title, NeedsProbe: true, state: judge.Records | judge.Connection | judge.NoForgery, needs: []string{addDelta}, concern: fromForgery,
		judge: func(j *evidence) {
			j.forgedRejected()
			j.genuineAcked()
			j.state("that a forged delivery had no effect")
		},
	}
}

var checks = []Check{
	{
		ID: "SIG-VALID", Label: LabelSignature, Title: "accepts valid signatures over the raw bytes in every layout (compact, Python-style, indented)", state: judge.Records, concern: dataDropped, needs: []string{addInitial, addDelta},
		judge: func(j *evidence) { j.genuineAcked(); j.stateIfProbed() },
	},
	forgery("SIG-MISSING", "rejects a delivery without tartan-signature with 4xx, and it has no effect"),
	forgery("SIG-EMPTY", "rejects an empty signature with 4xx, and it has no effect"),
	forgery("SIG-WRONG-KEY", "rejects a signature made with another key with 4xx, and it has no effect"),
	forgery("SIG-TAMPERED", "rejects a body changed after signing with 4xx, and it has no effect"),
	forgery("SIG-NEAR-MISS", "rejects a signature one hex digit off, or truncated, with 4xx, and it has no effect"),
	{
		ID: "SIG-HEADER-CASE", Label: LabelSignature, Title: "accepts the signature header as Tartan-Signature and TARTAN-SIGNATURE", state: judge.Records, concern: dataDropped, needs: []string{addInitial},
		judge: func(j *evidence) { j.genuineAcked(); j.stateIfProbed() },
	},
	{
		ID: "PAY-QUIRKS", Label: LabelPayload, Title: "accepts the documented quirks: recordCount null, statusCode string, timeStamp \"\", dotted vendor.orgId, non-UUID requestId, NOT AVAILABLE, Success", state: judge.Records, needs: []string{fixtures.EventSyncInitiated, addInitial},
		judge: func(j *evidence) { j.genuineAcked(); j.stateIfProbed() },
	},
	{
		ID: "PAY-UNKNOWN", Label: LabelPayload, Title: "ignores politely (2xx) an undocumented event and unknown top-level and record fields", state: judge.Records, needs: []string{fixtures.EventSyncCompleted, fixtures.EventEmployeeRemark},
		judge: func(j *evidence) { j.genuineAcked(); j.stateIfProbed() },
	},
	{
		ID: "PAY-TEXT", Label: LabelPayload, Title: "stores hard text exactly: non-ASCII names, &, <, quotes, alphanumeric and zero-padded codes, mixed-case emails, text not in NFC or NFKC", NeedsProbe: true, state: judge.Records, needs: []string{addInitial},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.state("that values were stored exactly")
		},
	},
	{
		ID: "DEL-ACK-TIME", Label: LabelDelivery, Title: "acknowledges every delivery within the timeout", timing: true,
		judge: func(j *evidence) {
			j.withinBudget(func(*scenarios.Delivery, scenarios.Attempt) bool { return true })
		},
	},
	{
		ID: "DEL-DUPLICATE", Label: LabelDelivery, Title: "acknowledges identical bytes delivered twice, in sequence and at once, and applies them once", NeedsProbe: true, state: judge.Records | judge.AppliedOnce, concern: appliedOnce, needs: []string{addInitial, addDelta},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.state("that duplicates were applied once")
		},
	},
	{
		ID: "DEL-EOD-RETRY", Label: LabelDelivery, Title: "acknowledges the EOD batch of failed deliveries hours later, after a newer session, and applies each once", NeedsProbe: true, state: judge.Records | judge.Connection | judge.AppliedOnce, countsIfAny: true, needs: []string{addInitial},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.eodAcked()
			j.state("that the state converged")
		},
	},
	{
		ID: "DEL-STALE", Label: LabelDelivery, Title: "keeps the newer values when an older update arrives later (EOD)", NeedsProbe: true, state: judge.Records, needs: []string{update},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.eodAcked()
			j.state("that the newer values survived")
		},
	},
	{
		ID: "DEL-RACE", Label: LabelDelivery, Title: "keeps the newer values when an older and a newer update of one employee arrive at the same instant", NeedsProbe: true, state: judge.Records, needs: []string{update},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.eodAcked()
			j.state("that the newer values survived")
		},
	},
	{
		ID: "DEL-ORDER", Label: LabelDelivery, Title: "converges when a session arrives shuffled: batches before sync.events.initiated, counters out of order", NeedsProbe: true, state: judge.Records | judge.Connection, needs: []string{fixtures.EventSyncInitiated, addInitial, addDelta},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.state("that the state converged")
		},
	},
	{
		ID: "DEL-EARLY", Label: LabelDelivery, Title: "converges when a delivery arrives before what it depends on: updates before their employees' add, batches before the org's invite", NeedsProbe: true, state: judge.Records | judge.Connection, needs: []string{fixtures.EventConnectionRequested, addInitial, update},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.eodAcked()
			j.state("that the state converged")
		},
	},
	{
		ID: "DEL-BURST", Label: LabelDelivery, Title: "acknowledges an EOD burst of many deliveries at once, each within the timeout, and applies them all", timing: true, state: judge.Records | judge.AppliedOnce, needs: []string{addInitial}, concern: dataDropped,
		judge: func(j *evidence) {
			j.eodAcked()
			j.withinBudget(func(_ *scenarios.Delivery, a scenarios.Attempt) bool { return a.Kind == deliverylog.EOD })
			// A 2xx that dropped the work (a full queue) is data lost.
			j.stateIfProbed()
		},
	},
	{
		ID: "LIFE-SYNC", Label: LabelLifecycle, Title: "holds the truth after an invite, an initial sync of 105 employees, delta adds, updates and leavers", NeedsProbe: true, state: judge.Records | judge.Connection, needs: []string{addInitial, addDelta, update},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.state("that the state equals the truth")
		},
	},
	{
		ID: "LIFE-CONNECTION", Label: LabelLifecycle, Title: "follows the connection: invited, then terminated, and a late invite does not undo it", NeedsProbe: true, state: judge.Connection, needs: []string{fixtures.EventConnectionRequested, fixtures.EventConnectionTerminated},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.eodAcked()
			j.state("connectionStatus")
		},
	},
	{
		ID: "LIFE-TERMINATION", Label: LabelLifecycle, Title: "keeps an org's records after its termination, those re-sent after it too (none, if its probe declares a purge)", NeedsProbe: true, state: judge.Records, concern: recordsKept, needs: []string{addInitial, fixtures.EventConnectionTerminated},
		judge: func(j *evidence) {
			j.genuineAcked()
			j.eodAcked()
			j.state("what was kept after the termination")
			if len(j.fails) > 0 && !j.keyMismatch {
				j.notes = append(j.notes, `records stay after connection.events.terminated, unless the probe declares "retention": "purge-on-termination", and then none may remain`)
			}
		},
	},
}
