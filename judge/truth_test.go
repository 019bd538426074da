package judge_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
)

// body is an employee update of one record in session session.
func body(rid, session string, counter any, stamp, id, name string) []byte {
	return fmt.Appendf(nil, `{"syncSessionId":%q,"webhookCounter":%v,"requestId":%q,"orgId":%q,"event":"sync.events.employee.update",`+
		`"eventType":"sync.events.delta","body":[{"employeeId":%q,"name":%q}],"timeStamp":%q}`, session, counter, rid, org, id, name, stamp)
}

func held(applied map[string]int, recs ...string) probe.State {
	st := probe.State{OrgID: org, Applied: applied, Employees: []map[string]any{}}
	for i := 0; i < len(recs); i += 2 {
		st.Employees = append(st.Employees, map[string]any{"employeeId": recs[i], "name": recs[i+1]})
	}
	return st
}

func mustApply(t *testing.T, tr *judge.Truth, bodies ...[]byte) {
	t.Helper()
	for _, b := range bodies {
		if err := tr.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTruthOrdersWritesByStampThenCounter(t *testing.T) {
	tr := judge.NewTruth()
	// A counter that is text reads as 0; "3" reads as 3; within one session
	// and second the higher counter wins.
	mustApply(t, tr, body("r1", "s1", `"abc"`, "2026-11-27 09:00:00", "E1", "Asha"),
		body("r2", "s1", `"3"`, "2026-11-27 09:00:00", "E1", "Asha Rao"),
		body("r3", "s1", 2, "2026-11-27 09:00:00", "E1", "A. Rao"))
	if got := tr.Org(org).Employees["E1"]["name"]; got != "Asha Rao" {
		t.Fatalf("name %v", got)
	}
	// An older redelivery never overwrites newer data.
	mustApply(t, tr, body("r4", "s2", 5, "2026-11-27 10:00:00", "E1", "new"), body("r5", "s0", 9, "2026-11-27 08:00:00", "E1", "old"))
	if got := tr.Org(org).Employees["E1"]["name"]; got != "new" {
		t.Fatalf("name %v", got)
	}
}

func TestTruthAcceptsEitherOfTwoWritesWhoseStampsTieAcrossSessions(t *testing.T) {
	tr := judge.NewTruth()
	mustApply(t, tr, body("r1", "s1", 4, "2026-11-27 09:00:00", "E1", "from s1"), body("r2", "s2", 1, "2026-11-27 09:00:00", "E1", "from s2"))
	o := tr.Org(org)
	for _, name := range []string{"from s1", "from s2"} {
		if d := o.Compare(held(map[string]int{"r1": 1, "r2": 1}, "E1", name), judge.CompareAll); len(d) != 0 {
			t.Errorf("holding %q: %v", name, d)
		}
	}
	// Either write may be the one a consumer applied last; the other may be
	// recorded as applied or not, as a stale write.
	if d := o.Compare(held(map[string]int{"r1": 1}, "E1", "from s1"), judge.CompareAll); len(d) != 0 {
		t.Errorf("applied only r1: %v", d)
	}
	d := o.Compare(held(map[string]int{"r1": 1, "r2": 1}, "E1", "from s3"), judge.CompareAll)
	if len(d) != 1 || d[0].Kind != judge.FieldDiffers || d[0].Delivery.RequestID == "" {
		t.Fatalf("a third value: %v", d)
	}
}

func TestAppliedOnceIsDemandedOnlyOfDeliveriesWhoseValuesTheTruthKeeps(t *testing.T) {
	tr := judge.NewTruth()
	start := []byte(`{"syncSessionId":"s1","webhookCounter":1,"requestId":"start","orgId":"` + org + `","event":"sync.events.initiated","eventType":"sync.events.initial","body":[],"timeStamp":"2026-11-27 09:00:00"}`)
	mustApply(t, tr, start, body("new", "s2", 1, "2026-11-27 10:00:00", "E1", "new"), body("stale", "s1", 2, "2026-11-27 09:00:00", "E1", "old"))
	o := tr.Org(org)
	// A consumer that counts only what changed something: no start, no stale.
	if d := o.Compare(held(map[string]int{"new": 1}, "E1", "new"), judge.CompareAll); len(d) != 0 {
		t.Fatalf("a consumer counting effects only: %v", d)
	}
	// One that counts everything once.
	if d := o.Compare(held(map[string]int{"new": 1, "stale": 1, "start": 1}, "E1", "new"), judge.CompareAll); len(d) != 0 {
		t.Fatalf("a consumer counting every delivery: %v", d)
	}
	d := o.Compare(held(map[string]int{"stale": 1, "start": 2}, "E1", "new"), judge.CompareAll)
	want := []string{
		"applied delivery new (sync.events.employee.update #1) 0 times, want once",
		"applied delivery start (sync.events.initiated #1) 2 times, want once",
	}
	if len(d) != 2 {
		t.Fatalf("differences %v", d)
	}
	got := []string{d[0].String(), d[1].String()}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDifferencesNameTheDeliveryAndEscapeWhatReadsAlike(t *testing.T) {
	tr := judge.NewTruth()
	nfc := "\u095b\u093e\u0915\u093f\u0930"       // composed: U+095B is one letter
	nfd := "\u091c\u093c\u093e\u0915\u093f\u0930" // the same, decomposed
	mustApply(t, tr, body("r1", "s1", 3, "2026-11-27 09:00:00", "E1", nfc), body("r2", "s1", 4, "2026-11-27 09:00:00", "E2", "Asha"))
	d := tr.Org(org).Compare(held(nil, "E1", nfd, "E2", "Ａsha"), judge.CompareAll)
	if len(d) != 2 {
		t.Fatalf("differences %v", d)
	}
	if s := d[0].String(); !strings.Contains(s, `\u091c\u093c`) || !strings.Contains(s, `\u095b`) || !strings.Contains(s, "carried by r1 (sync.events.employee.update #3)") {
		t.Fatalf("%s", s)
	}
	if s := d[1].String(); !strings.Contains(s, `\uff21sha`) {
		t.Fatalf("a full-width letter is not shown: %s", s)
	}
	b, _ := json.Marshal(d[1])
	if !strings.Contains(string(b), `"employee":"E2","field":"name"`) || !strings.Contains(string(b), `"requestId":"r2"`) {
		t.Fatalf("JSON %s", b)
	}
	if !strings.Contains(string(b), `"heldShown":"\"\\uff21sha\""`) || !strings.Contains(string(b), `"expectedShown":"\"Asha\""`) {
		t.Fatalf("JSON without the escaped values a diff shows: %s", b)
	}
}

func TestCompareFindsEveryKindOfDifference(t *testing.T) {
	tr := judge.NewTruth()
	mustApply(t, tr, body("r1", "s1", 1, "2026-11-27 09:00:00", "E1", "Asha"), body("r2", "s1", 2, "2026-11-27 09:00:00", "E2", "Ravi"))
	tr.Forge(org, "f1")
	st := held(map[string]int{"r1": 1, "r2": 1, "f1": 1}, "E1", "Asha", "E1", "Asha", "E9", "Who")
	st.Employees = append(st.Employees, map[string]any{"name": "no id"}, map[string]any{"employeeId": "E1", "x": 1})
	st.ConnectionStatus = "CONNECTION_TERMINATED"
	var kinds []string
	for _, d := range tr.Org(org).Compare(st, judge.CompareAll) {
		kinds = append(kinds, string(d.Kind))
	}
	want := "connection duplicate extra no-employee-id missing forgery-applied"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("kinds %v, want %s", kinds, want)
	}
	if d := tr.Org(org).Compare(st, judge.Connection); len(d) != 1 || d[0].Kind.Aspect() != judge.Connection {
		t.Fatalf("only the connection: %v", d)
	}
}

func TestUncertainDeliveriesAreNotJudgedUntilAcknowledged(t *testing.T) {
	tr := judge.NewTruth()
	b := body("r1", "s1", 1, "2026-11-27 09:00:00", "E1", "Asha")
	if err := tr.Uncertain(b); err != nil {
		t.Fatal(err)
	}
	if d := tr.Org(org).Compare(held(map[string]int{}), judge.CompareAll); len(d) != 0 {
		t.Fatalf("an uncertain delivery judged: %v", d)
	}
	mustApply(t, tr, b)
	if d := tr.Org(org).Compare(held(map[string]int{}), judge.CompareAll); len(d) == 0 {
		t.Fatal("an acknowledged redelivery of it is not judged")
	}
}

func TestSummarizeLag(t *testing.T) {
	vs := []judge.Verdict{
		{Judged: true, Converged: true, Lag: 100e6}, {Judged: true, Converged: true, Lag: 300e6, LagAtMost: true},
		{Judged: true}, {}, {Judged: true, Converged: true, Lag: 200e6},
	}
	if got := judge.SummarizeLag(vs).String(); got != "median 200ms, max 300ms over 3 org(s); 1 at most (converged by the first read)" {
		t.Fatal(got)
	}
	b, _ := json.Marshal(judge.SummarizeLag(nil))
	if string(b) != `{"orgs":0,"medianNs":0,"maxNs":0}` {
		t.Fatalf("%s", b)
	}
}

func TestForgeBodyNamesTheForgeryThatCarriedAHeldValue(t *testing.T) {
	tr := judge.NewTruth()
	mustApply(t, tr, body("r1", "s1", 1, "2026-11-27 09:00:00", "E1", "Asha"))
	if err := tr.ForgeBody(body("f1", "s1", 2, "2026-11-27 09:05:00", "E1", "FORGED")); err != nil {
		t.Fatal(err)
	}
	if err := tr.ForgeBody(body("f2", "s1", 3, "2026-11-27 09:05:00", "E9", "Nobody")); err != nil {
		t.Fatal(err)
	}
	if err := tr.ForgeBody([]byte("not json")); err == nil {
		t.Fatal("ForgeBody took bytes that are no envelope")
	}
	o := tr.Org(org)
	if !o.Forged["f1"] || !o.Forged["f2"] {
		t.Fatalf("forged %v", o.Forged)
	}
	diffs := o.Compare(held(nil, "E1", "FORGED", "E9", "Nobody"), judge.Records)
	if len(diffs) != 2 {
		t.Fatalf("diffs %v", diffs)
	}
	for _, d := range diffs {
		if !d.FromForgery() || !strings.Contains(d.String(), "the held value came from forged delivery") {
			t.Errorf("%s: not blamed on the forgery (%+v)", d, d.Forged)
		}
	}
	// A wrong value no forgery carried is the consumer's own.
	for _, d := range o.Compare(held(nil, "E1", "asha"), judge.Records) {
		if d.FromForgery() {
			t.Errorf("%s blamed on a forgery", d)
		}
	}
}

// connection is a connection event about org with status, stamped at.
func connection(rid, event, status, at string) []byte {
	return fmt.Appendf(nil, `{"syncSessionId":%q,"webhookCounter":1,"requestId":%q,"orgId":%q,"event":%q,"eventType":"connection.events",`+
		`"body":[{"orgId":%q,"status":%q}],"timeStamp":%q}`, "c-"+rid, rid, org, event, org, status, at)
}

func TestRecordsStayAfterATerminationUnlessTheProbeDeclaresAPurge(t *testing.T) {
	tr := judge.NewTruth()
	mustApply(t, tr, connection("inv", "connection.events.requested", "CONNECTION_INVITED", "2026-11-27 08:00:00"),
		body("r1", "s1", 2, "2026-11-27 09:00:00", "E1", "Asha"))
	purging := held(nil)
	purging.Retention = probe.PurgeOnTermination
	// Before the termination a purging consumer keeps its records like any other.
	if d := tr.Org(org).Compare(purging, judge.Records); len(d) != 1 || d[0].Kind != judge.MissingEmployee {
		t.Fatalf("before the termination: %v", d)
	}
	mustApply(t, tr, connection("end", "connection.events.terminated", "CONNECTION_TERMINATED", "2026-11-27 10:00:00"))
	o := tr.Org(org)
	// A consumer that keeps records (the default) must hold them all.
	if d := o.Compare(held(nil), judge.Records); len(d) != 1 || d[0].Kind != judge.MissingEmployee {
		t.Fatalf("a silent purge: %v", d)
	}
	if d := o.Compare(held(nil, "E1", "Asha"), judge.Records); len(d) != 0 {
		t.Fatalf("records kept: %v", d)
	}
	// One that declares a purge must hold none.
	if d := o.Compare(purging, judge.Records); len(d) != 0 {
		t.Fatalf("a declared purge: %v", d)
	}
	kept := held(nil, "E1", "Asha")
	kept.Retention = probe.PurgeOnTermination
	d := o.Compare(kept, judge.Records)
	if len(d) != 1 || d[0].Kind != judge.KeptAfterPurge || !strings.Contains(d[0].String(), `none may remain; carried by end (connection.events.terminated #1)`) {
		t.Fatalf("a purge declared and not done: %v", d)
	}
	// An invite re-sent after the termination (older stamp) does not undo it.
	mustApply(t, tr, connection("inv2", "connection.events.requested", "CONNECTION_INVITED", "2026-11-27 08:30:00"))
	if d := tr.Org(org).Compare(purging, judge.Records|judge.Connection); len(d) != 1 || d[0].Kind != judge.ConnectionDiffers {
		t.Fatalf("after a late invite: %v", d)
	}
}
