// Package scenariotest checks that a played scenario's books balance, for
// tests of the runner and of anything built on it (conformance, load):
//
//	rep, err := runner.Run(ctx, sc)
//	Expect(err).NotTo(HaveOccurred())
//	Expect(scenariotest.Accounts(rep)).To(Succeed())
//	Expect(scenariotest.RecordMatches(rep, record.Bytes())).To(Succeed())
//
// The checks are derived from the attempts of every delivery, independently
// of scenarios.Delivery.Outcome and of the counters the runner keeps, so
// that either going wrong shows.
package scenariotest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// Attempt kinds, by shorter names.
const (
	kindFirst     = deliverylog.First
	kindDuplicate = deliverylog.Duplicate
	kindEOD       = deliverylog.EOD
	actionEOD     = "eod" // a step's action, StepReport.Action
)

// Accounts returns nil when rep's accounting balances, or an error listing
// every way it does not:
//
//   - deliveries are numbered 1 to n, each number once (a reorder fault
//     sends them out of order), each from a step the report has;
//   - each delivery has exactly one final outcome: of the six outcomes,
//     exactly one fits its attempts, and it is what Outcome returns;
//   - Counts adds up to the number of deliveries;
//   - each delivery was first sent once, as its first attempt, and re-sent
//     at most once, by the first EOD batch after its step and only if no
//     attempt had been acknowledged before; forged deliveries never are;
//   - once the run reached an EOD batch, every genuine delivery made before
//     it that had failed was in it, and none is left Pending;
//   - every step's counters (Webhooks, Sent, OK, Failed, Duplicates,
//     DuplicatesOK, Forged, Rejected, Resent) agree with the attempts.
//
// A delivery without attempts is allowed only in an interrupted run.
func Accounts(rep *scenarios.Report) error {
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	steps := map[int]*scenarios.StepReport{}
	eodOf := map[int]*scenarios.StepReport{} // delivery Seq -> the EOD step that re-sent it
	for _, s := range rep.Steps {
		steps[s.Index] = s
		for _, seq := range s.Resent {
			if prev, dup := eodOf[seq]; dup {
				fail("delivery %d was re-sent by EOD steps %d and %d", seq, prev.Index, s.Index)
			}
			eodOf[seq] = s
		}
	}

	total := 0
	for _, n := range rep.Counts() {
		total += n
	}
	if total != len(rep.Deliveries) {
		fail("Counts adds up to %d, but the report has %d deliveries", total, len(rep.Deliveries))
	}

	seen := map[int]bool{}
	for i, d := range rep.Deliveries {
		if d.Seq < 1 || d.Seq > len(rep.Deliveries) || seen[d.Seq] {
			fail("delivery %d of %d has Seq %d, out of range or seen before", i+1, len(rep.Deliveries), d.Seq)
		}
		seen[d.Seq] = true
		if _, ok := steps[d.Step]; !ok && !rep.Interrupted {
			fail("delivery %d comes from step %d, which the report does not have", d.Seq, d.Step)
		}
		problems = append(problems, attempts(rep, d, eodOf[d.Seq])...)
		fits := fitting(d)
		switch {
		case len(fits) != 1:
			fail("delivery %d (%s) fits %d outcomes %v, want exactly one; attempts: %s", d.Seq, d.Event, len(fits), fits, describe(d))
		case fits[0] != d.Outcome():
			fail("delivery %d (%s) is %s by its attempts, but Outcome says %s; attempts: %s", d.Seq, d.Event, fits[0], d.Outcome(), describe(d))
		}
		if d.Outcome() == scenarios.Pending && !rep.Interrupted && laterEOD(rep, d.Step) != nil {
			fail("delivery %d is Pending although EOD step %d came after it", d.Seq, laterEOD(rep, d.Step).Index)
		}
	}

	for _, s := range rep.Steps {
		problems = append(problems, counters(rep, s)...)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("scenariotest: the accounts of %s (seed %d) do not balance:\n  %s", rep.Scenario, rep.Seed, strings.Join(problems, "\n  "))
}

// attempts checks the shape of d's attempts.
func attempts(rep *scenarios.Report, d *scenarios.Delivery, eod *scenarios.StepReport) []string {
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if len(d.Attempts) == 0 {
		if !rep.Interrupted {
			fail("delivery %d was never sent, in a run that was not interrupted", d.Seq)
		}
		if eod != nil {
			fail("delivery %d was never sent, yet EOD step %d lists it as re-sent", d.Seq, eod.Index)
		}
		return problems
	}
	if d.Attempts[0].Kind != kindFirst {
		fail("delivery %d's first attempt is %q, want %q", d.Seq, d.Attempts[0].Kind, kindFirst)
	}
	firsts, eods := 0, 0
	ackedBeforeEOD := false
	for i, a := range d.Attempts {
		switch a.Kind {
		case kindFirst:
			firsts++
		case kindDuplicate:
		case kindEOD:
			eods++
			if i > 0 && d.Attempts[i-1].Kind == kindEOD {
				fail("delivery %d was re-sent twice in a row", d.Seq)
			}
		default:
			fail("delivery %d has an attempt of unknown kind %q", d.Seq, a.Kind)
		}
		if a.Kind != kindEOD && a.Result.OK() {
			ackedBeforeEOD = true
		}
		if a.Class != a.Result.Class || a.Status != a.Result.Status {
			fail("delivery %d attempt %d says %s/%d, its Result %s/%d", d.Seq, i+1, a.Class, a.Status, a.Result.Class, a.Result.Status)
		}
		if a.Result.Failed() != (a.Error != "") {
			fail("delivery %d attempt %d: failed=%t but Error=%q", d.Seq, i+1, a.Result.Failed(), a.Error)
		}
	}
	if firsts != 1 {
		fail("delivery %d was first sent %d times", d.Seq, firsts)
	}
	switch {
	case eods > 1:
		fail("delivery %d was re-sent at EOD %d times", d.Seq, eods)
	case eods == 1 && eod == nil:
		fail("delivery %d has an EOD attempt, but no EOD step lists it", d.Seq)
	case eods == 0 && eod != nil && !rep.Interrupted:
		fail("EOD step %d lists delivery %d as re-sent, but it has no EOD attempt", eod.Index, d.Seq)
	}
	if eod != nil {
		if d.Forged {
			fail("forged delivery %d was re-sent at EOD", d.Seq)
		}
		if ackedBeforeEOD {
			fail("delivery %d was re-sent at EOD after it had been acknowledged", d.Seq)
		}
		if d.Attempts[0].Result.OK() {
			fail("delivery %d was re-sent at EOD although its first send was acknowledged", d.Seq)
		}
		if want := laterEOD(rep, d.Step); want != eod {
			fail("delivery %d of step %d was re-sent by EOD step %d, not by the first EOD after it", d.Seq, d.Step, eod.Index)
		}
	}
	// The first EOD batch after a failed genuine delivery takes it.
	if !d.Forged && !d.Attempts[0].Result.OK() && !ackedBeforeEOD && eod == nil && !rep.Interrupted {
		if later := laterEOD(rep, d.Step); later != nil {
			fail("delivery %d failed (%s) but EOD step %d did not re-send it", d.Seq, d.Attempts[0].Result.Summary(), later.Index)
		}
	}
	return problems
}

// fitting returns every outcome whose definition d's attempts meet,
// derived afresh from the attempts.
func fitting(d *scenarios.Delivery) []scenarios.Outcome {
	var (
		fits                      []scenarios.Outcome
		okFirst, okLater, okByEOD bool
		allRejected               = len(d.Attempts) > 0
		reachedEOD                bool
	)
	judged := 0 // forged attempts with an answer to judge
	for i, a := range d.Attempts {
		if a.Status != 0 || !errors.Is(a.Result.Err, context.Canceled) {
			judged++
			if a.Status < 400 || a.Status >= 500 {
				allRejected = false
			}
		}
		if a.Kind == kindEOD {
			reachedEOD = true
		}
		if !a.Result.OK() || okFirst || okLater || okByEOD {
			continue
		}
		switch {
		case i == 0:
			okFirst = true
		case a.Kind == kindEOD:
			okByEOD = true
		default:
			okLater = true // a duplicate acknowledged: acknowledged, by Tartan's count
		}
	}
	acked := okFirst || okLater || okByEOD
	add := func(o scenarios.Outcome, holds bool) {
		if holds {
			fits = append(fits, o)
		}
	}
	if d.Forged {
		// An interrupted run may leave a forgery unsent, or cut its send
		// off: no answer to judge, so Pending.
		add(scenarios.Rejected, judged > 0 && allRejected)
		add(scenarios.Accepted, judged > 0 && !allRejected)
		add(scenarios.Pending, judged == 0)
		return fits
	}
	add(scenarios.Acknowledged, okFirst || okLater)
	add(scenarios.Redelivered, okByEOD)
	add(scenarios.FailedForGood, !acked && reachedEOD)
	add(scenarios.Pending, !acked && !reachedEOD)
	return fits
}

// counters checks one step's counters against the attempts it made.
func counters(rep *scenarios.Report, s *scenarios.StepReport) []string {
	type tally struct{ webhooks, sent, ok, failed, dups, dupsOK, forged, rejected int }
	var got tally
	var resent []int
	count := func(d *scenarios.Delivery, a scenarios.Attempt) {
		if a.Result.Class != sender.ClassDropped {
			got.sent++
		}
		switch {
		case d.Forged:
			got.forged++
			if a.Status >= 400 && a.Status < 500 {
				got.rejected++
			}
		case a.Kind == kindDuplicate:
			got.dups++
			if a.Result.OK() {
				got.dupsOK++
			}
		case a.Result.OK():
			got.ok++
		default:
			got.failed++
		}
	}
	for _, d := range rep.Deliveries {
		if s.Action == actionEOD {
			if !slices.Contains(s.Resent, d.Seq) {
				continue
			}
			got.webhooks++
			resent = append(resent, d.Seq)
			for _, a := range d.Attempts {
				if a.Kind == kindEOD {
					count(d, a)
				}
			}
			continue
		}
		if d.Step != s.Index {
			continue
		}
		got.webhooks++
		for _, a := range d.Attempts {
			if a.Kind != kindEOD {
				count(d, a)
			}
		}
	}
	want := tally{s.Webhooks, s.Sent, s.OK, s.Failed, s.Duplicates, s.DuplicatesOK, s.Forged, s.Rejected}
	var problems []string
	if got != want {
		problems = append(problems, fmt.Sprintf("step %d (%s): counters say %+v, its attempts %+v", s.Index, s.Action, want, got))
	}
	if s.Action == actionEOD && len(resent) != len(s.Resent) {
		problems = append(problems, fmt.Sprintf("EOD step %d lists %v as re-sent, but only %v are deliveries", s.Index, s.Resent, resent))
	}
	return problems
}

// laterEOD returns the first EOD step after step index, or nil.
func laterEOD(rep *scenarios.Report, index int) *scenarios.StepReport {
	for _, s := range rep.Steps {
		if s.Index > index && s.Action == actionEOD {
			return s
		}
	}
	return nil
}

func describe(d *scenarios.Delivery) string {
	var b bytes.Buffer
	for i, a := range d.Attempts {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", a.Kind, a.Result.Summary())
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// RecordMatches returns nil when record, the NDJSON that scenarios.Record
// wrote for rep (and for nothing else), holds exactly one line per attempt
// of every delivery, with the delivery's exact body and the attempt's kind,
// status and class, and no line for anything else.
func RecordMatches(rep *scenarios.Report, record []byte) error {
	type key struct {
		seq         int
		kind, class string
		status      int
		exactBody   bool
	}
	want := map[key]int{}
	bySeq := map[int]*scenarios.Delivery{}
	for _, d := range rep.Deliveries {
		bySeq[d.Seq] = d
		for _, a := range d.Attempts {
			want[key{d.Seq, string(a.Kind), a.Class.String(), a.Status, true}]++
		}
	}
	got := map[key]int{}
	sc := bufio.NewScanner(bytes.NewReader(record))
	sc.Buffer(nil, 64<<20)
	n := 0
	for sc.Scan() {
		n++
		var l deliverylog.Attempt
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("scenariotest: record line %d: %w", n, err)
		}
		if l.Run != rep.Scenario {
			return fmt.Errorf("scenariotest: record line %d is for scenario %q, not %q", n, l.Run, rep.Scenario)
		}
		d, ok := bySeq[int(l.Delivery)]
		matches := ok && l.Body == string(d.Body)
		got[key{int(l.Delivery), string(l.Kind), l.Class, l.Status, matches}]++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("scenariotest: record: %w", err)
	}
	var errs []error
	for k, w := range want {
		if got[k] != w {
			errs = append(errs, fmt.Errorf("delivery %d: %d %s attempt(s) answered %d/%s, the record has %d", k.seq, w, k.kind, k.status, k.class, got[k]))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			errs = append(errs, fmt.Errorf("the record has %d line(s) for delivery %d %s %d/%s (body matches: %t) that the report does not", g, k.seq, k.kind, k.status, k.class, k.exactBody))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("scenariotest: the record of %s does not match its report: %w", rep.Scenario, errors.Join(errs...))
	}
	return nil
}
