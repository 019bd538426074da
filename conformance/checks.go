package conformance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/scenarios"
)

// Check is one conformance check of docs/conformance.md: a small scenario that
// exercises one behaviour, and the judgement of that behaviour alone, so
// that a consumer with one flaw fails one check.
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
	state scenarios.Aspect
	// needs lists the catalogue IDs the check is about: under a
	// subscription without one of them it is SKIP (see Needs).
	needs    []string
	scenario func(seed uint64) string
	judge    func(*judge)
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

// header is the start of every check's scenario: one org, invited and synced.
func header(name string, employees int) string {
	return fmt.Sprintf(`name: %s
orgs:
  - id: corp
    employees: %d
steps:
  - at: day 1 09:00
    invite: {org: corp}
`, name, employees)
}

// forgery is a check that forged variants of real webhooks, one per
// fault, are refused and have no effect.
func forgery(id, title string, faults ...string) Check {
	return Check{
		ID: id, Label: LabelSignature, Title: title, NeedsProbe: true, state: scenarios.Records | scenarios.NoForgery, needs: []string{addDelta},
		scenario: func(uint64) string {
			s := header(strings.ToLower(id), 12) + `  - at: day 1 10:00
    initial-sync: {org: corp}
  - at: day 1 14:00
    delta-sync: {org: corp, joiners: 1, transfers: 2}
    faults:
`
			for _, f := range faults {
				s += "      - {" + f + "}\n"
			}
			return s
		},
		judge: func(j *judge) {
			j.forgedRejected()
			j.genuineAcked()
			j.state("that a forged delivery had no effect")
		},
	}
}

var checks = []Check{
	{
		ID: "SIG-VALID", Label: LabelSignature, Title: "accepts valid signatures over the raw bytes in every layout (compact, Python-style, indented)", state: scenarios.Records, needs: []string{addInitial, addDelta},
		scenario: func(uint64) string {
			return header("sig-valid", 25) + `  - at: day 1 10:00
    initial-sync: {org: corp}
    layout: python
  - at: day 1 14:00
    delta-sync: {org: corp, joiners: 3, promotions: 2}
    layout: indented
  - at: day 1 15:00
    realtime-sync: {org: corp, transfers: 1}
    layout: compact
`
		},
		judge: func(j *judge) { j.genuineAcked(); j.stateIfProbed() },
	},
	forgery("SIG-MISSING", "rejects a delivery without tartan-signature with 4xx, and it has no effect", "type: signature, signature: missing"),
	forgery("SIG-EMPTY", "rejects an empty signature with 4xx, and it has no effect", "type: signature, signature: empty"),
	forgery("SIG-WRONG-KEY", "rejects a signature made with another key with 4xx, and it has no effect", "type: signature, signature: wrong-key"),
	forgery("SIG-TAMPERED", "rejects a body changed after signing with 4xx, and it has no effect", "type: tamper"),
	forgery("SIG-NEAR-MISS", "rejects a signature one hex digit off, or truncated, with 4xx, and it has no effect",
		"type: signature, signature: near-miss", "type: signature, signature: truncated"),
	{
		ID: "SIG-HEADER-CASE", Label: LabelSignature, Title: "accepts the signature header as Tartan-Signature and TARTAN-SIGNATURE", state: scenarios.Records, needs: []string{addInitial},
		scenario: func(uint64) string {
			return header("sig-header-case", 12) + `  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: header-case, case: canonical}
  - at: day 1 14:00
    delta-sync: {org: corp, joiners: 1, promotions: 1}
    faults:
      - {type: header-case, case: upper}
`
		},
		judge: func(j *judge) { j.genuineAcked(); j.stateIfProbed() },
	},
	{
		ID: "PAY-QUIRKS", Label: LabelPayload, Title: "accepts the documented quirks: recordCount null, statusCode string, timeStamp \"\", dotted vendor.orgId, non-UUID requestId, NOT AVAILABLE, Success", state: scenarios.Records, needs: []string{fixtures.EventSyncInitiated, addInitial},
		scenario: func(seed uint64) string {
			return header("pay-quirks", 15) + fmt.Sprintf(`  - at: day 1 10:00
    initial-sync: {org: corp}
    overrides:
      - {set: 'timeStamp=""', webhooks: [2]}
      - {set: message=Success, webhooks: [3]}
      - {set: recordCount=null, webhooks: [2]}
      - {set: requestId=3ddd414-12d4-2la6-9ff7-%x, webhooks: [1]}
      - {set: 'body[0].designation=NOT AVAILABLE', webhooks: [2]}
`, seed)
		},
		judge: func(j *judge) { j.genuineAcked(); j.stateIfProbed() },
	},
	{
		ID: "PAY-UNKNOWN", Label: LabelPayload, Title: "ignores politely (2xx) an undocumented event and unknown top-level and record fields", state: scenarios.Records, needs: []string{fixtures.EventSyncCompleted, fixtures.EventEmployeeRemark},
		scenario: func(uint64) string {
			return header("pay-unknown", 12) + `  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: unknown-field}
  - at: day 1 11:00
    event: {kind: sync.events.completed, org: corp}
  - at: day 1 12:00
    event: {kind: record.employee.remark, org: corp}
`
		},
		judge: func(j *judge) { j.genuineAcked(); j.stateIfProbed() },
	},
	{
		ID: "PAY-TEXT", Label: LabelPayload, Title: "stores hard text exactly: non-ASCII names, &, <, quotes, alphanumeric employee codes", NeedsProbe: true, state: scenarios.Records, needs: []string{addInitial},
		scenario: func(uint64) string {
			return `name: pay-text
orgs:
  - id: corp
    employees: 12
    codes: alphanumeric
steps:
  - at: day 1 09:00
    invite: {org: corp}
  - at: day 1 10:00
    initial-sync: {org: corp}
    overrides:
      - {set: 'body[0].name=Zoë D''Souza & <Sons> "Jr"', webhooks: [2]}
      - {set: 'body[1].name=अमित शर्मा', webhooks: [2]}
      - {set: 'body[2].designation=R&D <Lead> \ "Ops"', webhooks: [2]}
      - {set: 'body[0].employeeId=TRT-0042/β', webhooks: [3]}
`
		},
		judge: func(j *judge) {
			j.genuineAcked()
			j.state("that values were stored exactly")
		},
	},
	{
		ID: "DEL-ACK-TIME", Label: LabelDelivery, Title: "acknowledges every delivery within the timeout", timing: true,
		scenario: func(uint64) string {
			return header("del-ack-time", 30) + `  - at: day 1 10:00
    initial-sync: {org: corp}
  - at: day 1 14:00
    delta-sync: {org: corp, joiners: 2, promotions: 2, leavers: 1}
`
		},
		judge: func(j *judge) {
			j.withinBudget(func(*scenarios.Delivery, scenarios.Attempt) bool { return true })
		},
	},
	{
		ID: "DEL-DUPLICATE", Label: LabelDelivery, Title: "acknowledges identical bytes delivered twice, in sequence and at once, and applies them once", NeedsProbe: true, state: scenarios.Records | scenarios.AppliedOnce, needs: []string{addInitial, addDelta},
		scenario: func(uint64) string {
			// Copies at once go out together with their original, each on
			// its own connection, on 9 webhooks: enough to open a
			// check-then-act race in most runs (see docs/conformance.md).
			return header("del-duplicate", 25) + `  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: duplicate, webhooks: [2]}
      - {type: duplicate-concurrent, copies: 3, webhooks: [1, 3, 4]}
  - at: day 1 14:00
    delta-sync: {org: corp, promotions: 2}
    faults:
      - {type: duplicate}
  - at: day 1 16:00
    delta-sync: {org: corp, joiners: 30, promotions: 10}
    faults:
      - {type: duplicate-concurrent, copies: 3}
`
		},
		judge: func(j *judge) {
			j.genuineAcked()
			j.state("that duplicates were applied once")
		},
	},
	{
		ID: "DEL-EOD-RETRY", Label: LabelDelivery, Title: "acknowledges the EOD batch of failed deliveries hours later, and converges", NeedsProbe: true, state: scenarios.Records | scenarios.Connection, needs: []string{addInitial},
		scenario: func(uint64) string {
			return header("del-eod-retry", 45) + `  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: drop, webhooks: [2, 4]}
      - {type: ack-lost, webhooks: [3]}
  - at: day 1 23:59
    eod: {}
`
		},
		judge: func(j *judge) {
			j.genuineAcked()
			j.eodAcked()
			j.state("that the state converged")
		},
	},
	{
		ID: "DEL-STALE", Label: LabelDelivery, Title: "keeps the newer values when an older update arrives later (EOD)", NeedsProbe: true, state: scenarios.Records, needs: []string{update},
		scenario: func(uint64) string {
			return header("del-stale", 1) + `  - at: day 1 09:30
    initial-sync: {org: corp}
  - at: day 1 10:00
    realtime-sync: {org: corp, transfers: 1}
    faults:
      - {type: drop, webhooks: [2]}
  - at: day 1 15:00
    realtime-sync: {org: corp, transfers: 1}
  - at: day 1 23:59
    eod: {}
`
		},
		judge: func(j *judge) {
			j.genuineAcked()
			j.eodAcked()
			j.state("that the newer values survived")
		},
	},
	{
		ID: "DEL-ORDER", Label: LabelDelivery, Title: "converges when a session arrives shuffled: batches before sync.events.initiated, counters out of order", NeedsProbe: true, state: scenarios.Records | scenarios.Connection, needs: []string{fixtures.EventSyncInitiated, addInitial, addDelta},
		scenario: func(uint64) string {
			return header("del-order", 45) + `  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: shuffle}
  - at: day 1 14:00
    delta-sync: {org: corp, joiners: 12, promotions: 3}
    faults:
      - {type: reorder}
`
		},
		judge: func(j *judge) {
			j.genuineAcked()
			j.state("that the state converged")
		},
	},
	{
		ID: "DEL-BURST", Label: LabelDelivery, Title: "acknowledges an EOD burst of many deliveries at once, each within the timeout, and applies them all", timing: true, state: scenarios.Records | scenarios.AppliedOnce, needs: []string{addInitial},
		scenario: func(uint64) string {
			return header("del-burst", 300) + `  - at: day 1 10:00
    initial-sync: {org: corp}
    faults:
      - {type: drop, webhooks: [` + burstSelectors() + `]}
  - at: day 1 23:59
    eod: {concurrency: 16}
`
		},
		judge: func(j *judge) {
			j.eodAcked()
			j.withinBudget(func(_ *scenarios.Delivery, a scenarios.Attempt) bool { return a.Kind == scenarios.AttemptEOD })
			// A 2xx that dropped the work (a full queue) is data lost.
			j.stateIfProbed()
		},
	},
	{
		ID: "LIFE-SYNC", Label: LabelLifecycle, Title: "holds the truth after an invite, an initial sync of 105 employees, delta adds, updates and leavers", NeedsProbe: true, state: scenarios.Records | scenarios.Connection, needs: []string{addInitial, addDelta, update},
		scenario: func(uint64) string {
			return header("life-sync", 105) + `  - at: day 1 10:00
    initial-sync: {org: corp}
  - at: day 8 10:00
    delta-sync: {org: corp, joiners: 4, promotions: 3, transfers: 2, manager-changes: 2, leavers: 3}
`
		},
		judge: func(j *judge) {
			j.genuineAcked()
			j.state("that the state equals the truth")
		},
	},
	{
		ID: "LIFE-CONNECTION", Label: LabelLifecycle, Title: "follows the connection: invited, then terminated", NeedsProbe: true, state: scenarios.Connection, needs: []string{fixtures.EventConnectionRequested, fixtures.EventConnectionTerminated},
		scenario: func(uint64) string {
			return header("life-connection", 8) + `  - at: day 1 10:00
    initial-sync: {org: corp}
  - at: day 2 10:00
    terminate: {org: corp}
`
		},
		judge: func(j *judge) {
			j.genuineAcked()
			j.state("connectionStatus")
		},
	},
}

// burstSelectors drops every employee batch of the burst's initial sync
// (webhooks 2 to 31 of 300 employees), so that the EOD re-sends 30 at once.
func burstSelectors() string {
	var sels []string
	for i := 2; i <= 31; i++ {
		sels = append(sels, strconv.Itoa(i))
	}
	return strings.Join(sels, ", ")
}
