package scenarios

import (
	"time"

	"github.com/tartansim/tartansim/fixtures"
)

// Scenario is a timeline of Tartan behaviour on a virtual clock: what Tartan
// does for one or many corporates over one or more days. It is plain data,
// read from YAML (see Parse) or built in Go.
type Scenario struct {
	// Name identifies the scenario: lower-case words joined by hyphens.
	Name string `yaml:"name" json:"name"`
	// Description says in a sentence or two what it exercises.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Seed fixes the scenario's data; 0 takes the run's seed.
	Seed uint64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// Layout is the default byte layout of its webhooks: compact (default),
	// python or indented.
	Layout string `yaml:"layout,omitempty" json:"layout,omitempty"`
	// Orgs are the corporates the scenario talks about.
	Orgs []Org `yaml:"orgs" json:"orgs"`
	// Steps happen in order; each step's At must not go back in time.
	Steps []Step `yaml:"steps" json:"steps"`

	// File and Line locate the scenario's source, when it has one.
	File string `yaml:"-" json:"-"`
}

// Org is one corporate of a scenario.
type Org struct {
	// ID names the org within the scenario, for steps to refer to.
	ID string `yaml:"id" json:"id"`
	// Employees is how many employees it has when it first syncs.
	Employees int `yaml:"employees" json:"employees"`
	// Omit lists employee record keys its data model does not deliver.
	Omit []string `yaml:"omit,omitempty" json:"omit,omitempty"`
	// Codes is how it numbers employees: numeric or alphanumeric; empty
	// lets the seed choose.
	Codes string `yaml:"codes,omitempty" json:"codes,omitempty"`
}

// Step is one thing Tartan does at a moment of the virtual clock. Exactly one
// action field is set.
type Step struct {
	// At is when the step happens: "day 1 09:30" (days count from 1, times
	// are India Standard Time), or "+15m" after the previous step. Empty
	// means one minute after the previous step.
	At string `yaml:"at,omitempty" json:"at,omitempty"`

	// Invite sends connection.events.requested.
	Invite *OrgRef `yaml:"invite,omitempty" json:"invite,omitempty"`
	// InitialSync sends sync.events.initiated and the org's employees in
	// batches of at most 10 (sync.events.initial).
	InitialSync *OrgRef `yaml:"initial-sync,omitempty" json:"initial-sync,omitempty"`
	// DeltaSync is a scheduled sync: sync.events.initiated with the counts,
	// then delta adds for joiners, then complete-record updates.
	DeltaSync *OrgDelta `yaml:"delta-sync,omitempty" json:"delta-sync,omitempty"`
	// RealtimeSync is a small sync of one or a few changes, as real-time
	// syncing sends them through the day.
	RealtimeSync *OrgDelta `yaml:"realtime-sync,omitempty" json:"realtime-sync,omitempty"`
	// Terminate sends connection.events.terminated.
	Terminate *OrgRef `yaml:"terminate,omitempty" json:"terminate,omitempty"`
	// EOD is the end of day: every delivery that failed since the last EOD
	// is re-sent with identical bytes, after everything newer.
	EOD *EOD `yaml:"eod,omitempty" json:"eod,omitempty"`
	// Event sends one event of any kind of the catalogue, documented or not.
	Event *SingleEvent `yaml:"event,omitempty" json:"event,omitempty"`

	// Faults are injected into this step's webhooks.
	Faults []FaultSpec `yaml:"faults,omitempty" json:"faults,omitempty"`
	// Concurrency is how many of the step's webhooks are in flight at once;
	// 0 or 1 sends them one after another, in order.
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// Layout overrides the scenario's layout for this step.
	Layout string `yaml:"layout,omitempty" json:"layout,omitempty"`
	// Overrides change this step's webhooks before they are signed.
	Overrides []Override `yaml:"overrides,omitempty" json:"overrides,omitempty"`

	// Line is the step's line in its file, for messages; 0 when unknown.
	Line int `yaml:"-" json:"-"`
}

// OrgRef names the org a step acts on.
type OrgRef struct {
	Org string `yaml:"org" json:"org"`
}

// OrgDelta is what a scheduled or real-time sync of one org finds changed:
// the org, and the change model's counts (fixtures.Delta), spelled inline.
type OrgDelta struct {
	Org            string `yaml:"org" json:"org"`
	fixtures.Delta `yaml:",inline"`
}

// EOD is the end-of-day retry batch.
type EOD struct {
	// Concurrency is how many redeliveries are in flight at once (a burst);
	// 0 or 1 re-sends them in order.
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
}

// SingleEvent sends one event of the catalogue.
type SingleEvent struct {
	// Kind is an ID from the catalogue, e.g. "record.employee.remark".
	Kind string `yaml:"kind" json:"kind"`
	Org  string `yaml:"org" json:"org"`
}

// FaultType names what a fault does to the webhooks it selects.
type FaultType string

// The fault types a scenario file may name.
const (
	FaultDrop                FaultType = "drop"                 // never written; the EOD batch re-sends it
	FaultAckLost             FaultType = "ack-lost"             // written, its answer never read
	FaultDuplicate           FaultType = "duplicate"            // identical copies after the original was answered
	FaultDuplicateConcurrent FaultType = "duplicate-concurrent" // identical copies together with the original
	FaultDelay               FaultType = "delay"                // sent later on the scenario clock
	FaultReorder             FaultType = "reorder"              // the selected webhooks in reverse
	FaultShuffle             FaultType = "shuffle"              // the selected webhooks in a random order
	FaultTamper              FaultType = "tamper"               // a forged copy: signed, then one value changed
	FaultSignature           FaultType = "signature"            // a forged copy with a bad signature
	FaultHeaderCase          FaultType = "header-case"          // the signature header in another spelling
	FaultUnknownField        FaultType = "unknown-field"        // unknown top-level and record fields
)

// FaultSpec is a fault injected into some of a step's webhooks, as a
// scenario file writes it.
type FaultSpec struct {
	// Type is what it does.
	Type FaultType `yaml:"type" json:"type"`
	// Webhooks selects the step's webhooks by 1-based position ("1", "3"),
	// or "first", "last", "all". Empty means all.
	Webhooks []string `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
	// Signature is the variant for type signature: missing, empty,
	// wrong-key, near-miss or truncated.
	Signature string `yaml:"signature,omitempty" json:"signature,omitempty"`
	// Case is the header spelling for type header-case: canonical or upper.
	Case string `yaml:"case,omitempty" json:"case,omitempty"`
	// Delay is how long a delay fault holds the webhooks back, on the
	// virtual clock.
	Delay Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	// Copies is how many extra copies a duplicate fault sends (default 1).
	Copies int `yaml:"copies,omitempty" json:"copies,omitempty"`
}

// Override changes a step's webhooks before signing: exactly one of Set
// ("PATH=VALUE"), Add ("PATH=VALUE") or Unset ("PATH"); see wire.Path.
type Override struct {
	Set   string `yaml:"set,omitempty" json:"set,omitempty"`
	Add   string `yaml:"add,omitempty" json:"add,omitempty"`
	Unset string `yaml:"unset,omitempty" json:"unset,omitempty"`
	// Webhooks selects which of the step's webhooks, as FaultSpec.Webhooks.
	Webhooks []string `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
}

// Duration is a time.Duration written as "90s" or "2h" in files.
type Duration time.Duration
