// Package scenarios plays scenarios: timelines of Tartan HyperSync
// behaviour on a virtual clock, for one or several corporates, with the
// faults a webhook consumer must survive.
//
// # The clock
//
// A scenario's clock starts on day 1 at 00:00 India Standard Time (IST,
// UTC+05:30, no daylight saving time): Tartan is an Indian provider, and
// the end of day when it re-sends the day's failed webhooks is IST too.
// A Moment is a point on that clock; ParseAt reads the times steps are
// written with: "day 2 09:30", "14:00" (the previous step's day), "+15m"
// (after the previous step) or nothing (one minute after it).
//
// # The format
//
// Scenarios are YAML files (or Scenario values built in Go):
//
//	name: weekly-delta
//	description: Initial sync, then a week later a scheduled sync.
//	orgs:
//	  - id: corp
//	    employees: 60
//	steps:
//	  - at: day 1 10:00
//	    invite: {org: corp}
//	  - at: day 1 10:30
//	    initial-sync: {org: corp}
//	    faults:
//	      - {type: drop, webhooks: [2]}
//	  - at: day 1 23:59
//	    eod: {}
//	  - at: day 8 02:00
//	    delta-sync: {org: corp, joiners: 3, promotions: 2, leavers: 2}
//	    layout: python
//	    overrides:
//	      - {set: message=Success, webhooks: [first]}
//	  - at: day 8 23:59
//	    eod: {concurrency: 4}
//
// Each step does one thing: invite (connection.events.requested),
// initial-sync (sync.events.initiated, then the employees in batches of at
// most 10), delta-sync (a scheduled sync: initiated, delta adds for
// joiners, then complete-record updates for promotions, transfers, manager
// changes and leavers), realtime-sync (the same for one or a few changes),
// terminate (connection.events.terminated), eod (every delivery that failed
// since the last eod, re-sent with identical bytes) or event (one event of
// the catalogue, documented or not). Faults (drop, ack-lost, duplicate,
// duplicate-concurrent, delay, reorder, shuffle, tamper, signature,
// header-case, unknown-field) and overrides (set, add, unset, as on the
// command line) apply to the webhooks they select by position: 1 is the
// step's first webhook (its sync.events.initiated for a sync), or first,
// last, all.
//
// The built-in scenarios (Builtins, Lookup) are commented YAML files in the
// package's builtin folder, and testdata/example.yaml shows every field;
// Schema returns a JSON Schema for editors.
//
// # Reading scenarios
//
//	sc, err := scenarios.Load("eod-retry")       // a built-in
//	sc, err = scenarios.Load("./weekly.yaml")    // or a file
//	var fe *scenarios.FileError
//	if errors.As(err, &fe) {
//		// weekly.yaml:14:7: steps[2].delta-sync.leaverz: unknown field "leaverz"; did you mean "leavers"?
//	}
//
// Parse is strict and points at the line and column of every problem: an
// unknown field, a value of the wrong type, an org no step can find, a time
// going back, a webhook position the step does not have, an override path
// that matches none of the step's webhooks. A scenario that parses can be
// played.
package scenarios
