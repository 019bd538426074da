package scenarios_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/tartansim/tartansim/scenarios"
)

// The scenario of the package documentation.
const weekly = `name: weekly-delta
description: Initial sync, then a week later a scheduled sync.
orgs:
  - id: corp
    employees: 60
steps:
  - at: day 1 10:00
    invite: {org: corp}
  - at: day 1 10:30
    initial-sync: {org: corp}
    faults:
      - {type: drop, webhooks: [2]}
  - at: day 1 23:59
    eod: {}
  - at: day 8 02:00
    delta-sync: {org: corp, joiners: 3, promotions: 2, leavers: 2}
    layout: python
    overrides:
      - {set: message=Success, webhooks: [first]}
  - at: day 8 23:59
    eod: {concurrency: 4}
`

func ExampleParse() {
	sc, err := scenarios.Parse("weekly.yaml", []byte(weekly))
	if err != nil {
		panic(err)
	}
	moments, _ := sc.Moments()
	for i, st := range sc.Steps {
		fmt.Printf("line %2d  %s\n", st.Line, moments[i])
	}
	// Output:
	// line  7  day 1 10:00:00
	// line  9  day 1 10:30:00
	// line 13  day 1 23:59:00
	// line 15  day 8 02:00:00
	// line 20  day 8 23:59:00
}

func ExampleFileError() {
	_, err := scenarios.Parse("weekly.yaml", []byte(`name: weekly
orgs: [{id: corp, employees: 60}]
steps:
  - at: day 8 02:00
    delta-sync:
      org: corp
      leaverz: 2
`))
	var fe *scenarios.FileError
	if errors.As(err, &fe) && errors.Is(err, scenarios.ErrInvalid) {
		fmt.Println(fe.Line, fe.Column, fe.Field)
		fmt.Println(err)
	}
	// Output:
	// 7 7 steps[0].delta-sync.leaverz
	// weekly.yaml:7:7: steps[0].delta-sync.leaverz: unknown field "leaverz"; did you mean "leavers"?
}

func ExampleParseAt() {
	first, _ := scenarios.ParseAt("day 8 02:00", 0)
	next, _ := scenarios.ParseAt("+90m", first)
	fmt.Println(first, "|", next, "|", next.Day(), "|", scenarios.EndOfDay(next.Day()))

	// Day 1 is the day of the base, 00:00 IST.
	base := scenarios.Midnight(time.Date(2026, time.January, 5, 12, 0, 0, 0, time.UTC))
	fmt.Println(next.Time(base).UTC())
	// Output:
	// day 8 02:00:00 | day 8 03:30:00 | 8 | day 8 23:59:59
	// 2026-01-11 22:00:00 +0000 UTC
}

func ExampleBuiltins() {
	for _, sc := range scenarios.Builtins() {
		fmt.Printf("%-17s %2d steps\n", sc.Name, len(sc.Steps))
	}
	// Output:
	// onboarding         3 steps
	// weekly-delta       5 steps
	// realtime-day      11 steps
	// eod-retry          4 steps
	// duplicates         4 steps
	// out-of-order       4 steps
	// termination        5 steps
	// signature-attacks  8 steps
	// payload-quirks     5 steps
	// multi-org         10 steps
}
