package spec

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/show"
)

// Sent is a delivery with the report of the run that made it: the report
// gives a failure message the target and the seed. The delivery matchers
// take a Sent or a bare *scenarios.Delivery; a bare delivery's message
// cannot name the seed, and its curl line posts to "$TARTAN_TARGET_URL".
type Sent struct {
	*scenarios.Delivery
	Report *scenarios.Report
}

// Deliveries returns every delivery of rep in the order it was made, each
// with rep, ready for the delivery matchers:
//
//	for _, d := range spec.Deliveries(result.Report) {
//		if !d.Forged && d.Fault == "" {
//			Expect(d).To(spec.BeAcknowledged())
//		}
//	}
//
// A nil report has no deliveries.
func Deliveries(rep *scenarios.Report) []Sent {
	if rep == nil {
		return nil
	}
	out := make([]Sent, len(rep.Deliveries))
	for i, d := range rep.Deliveries {
		out[i] = Sent{Delivery: d, Report: rep}
	}
	return out
}

// deliveryOf takes a matcher's actual value apart.
func deliveryOf(actual any) (*scenarios.Delivery, *scenarios.Report, error) {
	var (
		d   *scenarios.Delivery
		rep *scenarios.Report
	)
	switch v := actual.(type) {
	case Sent:
		d, rep = v.Delivery, v.Report
	case *Sent:
		if v != nil {
			d, rep = v.Delivery, v.Report
		}
	case *scenarios.Delivery:
		d = v
	default:
		return nil, nil, fmt.Errorf("spec: want a *scenarios.Delivery or a spec.Sent, got %T", actual)
	}
	if d == nil {
		return nil, nil, errors.New("spec: the delivery is nil")
	}
	return d, rep, nil
}

// deliveryMessage is the data of a delivery matcher's failure message.
type deliveryMessage struct {
	D      deliveryView
	Why    string // why it did not match (To)
	WhyNot string // why it matched (NotTo)
}

// deliveryBlock lays out a deliveryView; every template below uses it.
const deliveryBlock = `{{define "delivery"}}    {{.Name}}
    seed:    {{.Seed}}
    target:  {{.Target}}
    headers:
{{range .Headers}}      {{.}}
{{end}}    body ({{.BodyNote}}):
{{range .Body}}      {{.}}
{{end}}    answers:
{{range .Attempts}}      {{.}}
{{end}}    reproduce it:
      {{.Curl}}{{end}}`

func mustTemplate(text string) *template.Template {
	return template.Must(gcustom.ParseTemplate(text + deliveryBlock))
}

var (
	ackTemplate = mustTemplate(`{{if .Failure}}Expected a delivery to be acknowledged (a 2xx to every send), but {{.Data.Why}}:
{{else}}Expected a delivery not to be acknowledged, but {{.Data.WhyNot}}:
{{end}}{{template "delivery" .Data.D}}`)

	rejectTemplate = mustTemplate(`{{if .Failure}}Expected a delivery to be rejected (a 4xx to every send), but {{.Data.Why}}:
{{else}}Expected a delivery not to be rejected, but {{.Data.WhyNot}}:
{{end}}{{template "delivery" .Data.D}}`)

	appliedTemplate = mustTemplate(`{{if .Failure}}Expected a delivery to be applied once, but {{.Data.Why}}:
{{else}}Expected a delivery not to be applied once, but {{.Data.WhyNot}}:
{{end}}{{template "delivery" .Data.D}}`)
)

// BeAcknowledged succeeds for a delivery (a Sent or a *scenarios.Delivery)
// that was sent at least once and answered 2xx every time, duplicates and
// EOD redeliveries included: what Tartan counts as acknowledged. A dropped
// or ack-lost send is not acknowledged, so match deliveries without such
// faults. The failure message shows the delivery's exact headers and body,
// every answer, the seed, and a curl line that sends the same bytes.
//
// Like every matcher of this package, it keeps what it found for its
// failure message: make a new one for each assertion (as Expect(…).To(
// BeAcknowledged()) does), and never share one between goroutines.
func BeAcknowledged() types.GomegaMatcher {
	return everySend(func(a scenarios.Attempt) bool { return a.Result.OK() }, "2xx", ackTemplate)
}

// everySend is a matcher for a delivery every send of which was answered
// as good says (named answered, e.g. "2xx"), failing with tmpl.
func everySend(good func(scenarios.Attempt) bool, answered string, tmpl *template.Template) types.GomegaMatcher {
	msg := &deliveryMessage{}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		d, rep, err := deliveryOf(actual)
		if err != nil {
			return false, err
		}
		msg.D = viewOf(d, rep)
		if len(d.Attempts) == 0 {
			msg.Why = "it was never sent"
			return false, nil
		}
		for i, a := range d.Attempts {
			if !good(a) {
				msg.Why = fmt.Sprintf("send %d (%s) was answered %s", i+1, orUnknown(string(a.Kind), "send"), answer(a))
				return false, nil
			}
		}
		msg.WhyNot = fmt.Sprintf("all %d send(s) were answered %s", len(d.Attempts), answered)
		return true, nil
	}).WithPrecompiledTemplate(tmpl, msg)
}

// BeRejected succeeds for a delivery (a Sent or a *scenarios.Delivery)
// that was sent at least once and answered 4xx every time: what a consumer
// owes a forged delivery. A 5xx, a timeout or a reset is not a rejection
// (Tartan would re-send it). The failure message is BeAcknowledged's.
func BeRejected() types.GomegaMatcher {
	return everySend(func(a scenarios.Attempt) bool { return a.Status >= 400 && a.Status < 500 }, "4xx", rejectTemplate)
}

// BeAppliedOnce succeeds for a delivery (a Sent or a *scenarios.Delivery)
// whose requestId state.Applied counts exactly once: the consumer applied
// its effects one time, however often it arrived. Use it on accepted
// deliveries; a forged one must be absent (NotTo(BeAppliedOnce(…)) only
// says it is not 1). It is an error, whatever the expectation, when state
// carries no applied counts (the probe's "applied" is optional, and
// without it nothing can be judged) or is the state of another org than
// the delivery's.
func BeAppliedOnce(state probe.State) types.GomegaMatcher {
	msg := &deliveryMessage{}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		d, rep, err := deliveryOf(actual)
		if err != nil {
			return false, err
		}
		if state.OrgID != "" && d.OrgID != "" && state.OrgID != d.OrgID {
			return false, fmt.Errorf("spec: BeAppliedOnce was given the state of org %s for a delivery to org %s", state.OrgID, d.OrgID)
		}
		if len(state.Applied) == 0 {
			return false, fmt.Errorf("spec: the state of org %s carries no applied counts (the probe's optional \"applied\"), so applied-once cannot be judged", orUnknown(state.OrgID, d.OrgID))
		}
		msg.D = viewOf(d, rep)
		n, ok := state.Applied[d.RequestID]
		switch {
		case !ok:
			msg.Why = fmt.Sprintf("the consumer's state (%d applied requestIds) does not count requestId %s at all", len(state.Applied), d.RequestID)
			return false, nil
		case n != 1:
			msg.Why = fmt.Sprintf("the consumer's state counts requestId %s applied %d times", d.RequestID, n)
			return false, nil
		}
		msg.WhyNot = fmt.Sprintf("the consumer's state counts requestId %s applied once", d.RequestID)
		return true, nil
	}).WithPrecompiledTemplate(appliedTemplate, msg)
}

// convergeMessage is the data of ConvergeTo's failure message.
type convergeMessage struct {
	Org   string
	Diffs []judge.Difference
	Held  string
	Want  string
}

var convergeTemplate = template.Must(gcustom.ParseTemplate(`{{if .Failure}}Expected the consumer's state of org {{.Data.Org}} to converge to the truth, but it differs:
{{range .Data.Diffs}}    - {{.}}
{{end}}{{else}}Expected the consumer's state of org {{.Data.Org}} not to converge to the truth, but it does:
{{end}}    the consumer holds: {{.Data.Held}}
    the truth holds:    {{.Data.Want}}`))

// ConvergeTo succeeds for a probe.State (or *probe.State) with no
// difference from truth, as truth.Compare(state, judge.CompareAll)
// judges: every employee once with the latest values, the connection
// status, and, when the state carries applied counts, each acknowledged
// delivery applied once and no forged one. Get truth from a played
// scenario's report: report.Truth().Org(orgID). The failure message lists
// every difference. It is an error when
// truth is nil, or is about another org than the state.
func ConvergeTo(truth *judge.OrgTruth) types.GomegaMatcher {
	msg := &convergeMessage{}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		var st probe.State
		switch v := actual.(type) {
		case probe.State:
			st = v
		case *probe.State:
			if v == nil {
				return false, errors.New("spec: the state is nil")
			}
			st = *v
		default:
			return false, fmt.Errorf("spec: want a probe.State, got %T", actual)
		}
		if truth == nil {
			return false, errors.New("spec: ConvergeTo needs the truth, got nil")
		}
		if st.OrgID != "" && truth.OrgID != "" && st.OrgID != truth.OrgID {
			return false, fmt.Errorf("spec: ConvergeTo was given the truth of org %s for the state of org %s", truth.OrgID, st.OrgID)
		}
		msg.Org = orUnknown(truth.OrgID, st.OrgID)
		msg.Diffs = truth.Compare(st, judge.CompareAll)
		msg.Held = fmt.Sprintf("%d employee(s), connectionStatus %q, %d applied requestId(s)", len(st.Employees), st.ConnectionStatus, len(st.Applied))
		msg.Want = fmt.Sprintf("%d employee(s), connectionStatus %q, %d acknowledged and %d forged requestId(s)", len(truth.Employees), truth.ConnectionStatus, len(truth.Applied), len(truth.Forged))
		return len(msg.Diffs) == 0, nil
	}).WithPrecompiledTemplate(convergeTemplate, msg)
}

// resultMessage is the data of PassConformance's failure message.
type resultMessage struct {
	R       conformance.Result
	Check   string
	State   []string // how each org's state settled
	Details []string
	Named   bool // a delivery is named by the verdict
	D       deliveryView
	Rerun   string
}

var resultTemplate = mustTemplate(`{{if .Failure}}Expected {{.Data.R.ID}} to pass, but it was {{.Data.R.Verdict}}: {{.Data.R.Reason}}
{{else}}Expected {{.Data.R.ID}} not to pass, but it passed.
{{end}}    check:   {{.Data.Check}}
    seed:    {{.Data.R.Seed}}
{{range .Data.State}}    state:   {{.}}
{{end}}{{if .Data.Details}}    evidence:
{{range .Data.Details}}      - {{.}}
{{end}}{{end}}{{if .Data.Named}}  the delivery it names:
{{template "delivery" .Data.D}}
{{end}}  rerun the check: {{.Data.Rerun}}`)

// PassConformance succeeds for a conformance.Result (or *Result) whose
// verdict is PASS. A SKIP is not a pass: a check that could not be judged
// proves nothing (spec.Declare turns a SKIP into a Ginkgo Skip before it
// asserts). The failure message gives the verdict and its reason, every
// piece of evidence, the seed, the delivery the verdict names (by its
// number or its requestId) shown as the delivery matchers show one, with
// its curl line, and the tartansim command that plays the check again.
func PassConformance() types.GomegaMatcher {
	msg := &resultMessage{}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		var r conformance.Result
		switch v := actual.(type) {
		case conformance.Result:
			r = v
		case *conformance.Result:
			if v == nil {
				return false, errors.New("spec: the result is nil")
			}
			r = *v
		default:
			return false, fmt.Errorf("spec: want a conformance.Result, got %T", actual)
		}
		msg.R = r
		msg.Check = fmt.Sprintf("%s [%s] %s", r.ID, r.Label, r.Title)
		msg.State = settled(r.Report)
		msg.Details = nil
		if len(r.Details) > 1 || (len(r.Details) == 1 && r.Details[0] != r.Reason) {
			msg.Details = r.Details
			if n := len(msg.Details) - evidenceShown; n > 0 {
				msg.Details = append(msg.Details[:evidenceShown:evidenceShown], fmt.Sprintf("and %d more", n))
			}
		}
		msg.Named = false
		if d := named(r); d != nil {
			msg.Named, msg.D = true, viewOf(d, r.Report)
		}
		msg.Rerun = rerunCommand(r)
		return r.Verdict == conformance.Pass, nil
	}).WithPrecompiledTemplate(resultTemplate, msg)
}

// settled says, for each org whose state a report judged, how it settled:
// "org 3c49… converged, processing lag 412ms (9 probe reads)".
func settled(rep *scenarios.Report) []string {
	if rep == nil {
		return nil
	}
	var out []string
	for _, o := range rep.Orgs {
		switch {
		case !o.Judged:
		case o.Converged:
			out = append(out, fmt.Sprintf("org %s converged, processing lag %s (%d probe reads)", o.OrgID, judge.LagWords(o.Lag, o.LagAtMost), o.Polls))
		case o.Budget <= 0:
			out = append(out, fmt.Sprintf("org %s differs from the truth, judged at once", o.OrgID))
		default:
			out = append(out, fmt.Sprintf("org %s differs from the truth: %s after %s of a %s settle budget (%d probe reads)", o.OrgID, o.Ended, judge.FormatLag(o.Waited), o.Budget, o.Polls))
		}
	}
	return out
}

// evidenceShown bounds the evidence a failure message lists.
const evidenceShown = 12

// seqPattern finds the delivery a judgement names: "delivery 12 (…".
var seqPattern = regexp.MustCompile(`\bdelivery (\d+) \(`)

// named returns the first delivery of r's report that its reason or
// evidence names, by number or by requestId; nil when none is named.
func named(r conformance.Result) *scenarios.Delivery {
	if r.Report == nil || len(r.Report.Deliveries) == 0 {
		return nil
	}
	texts := append([]string{r.Reason}, r.Details...)
	for _, t := range texts {
		if m := seqPattern.FindStringSubmatch(t); m != nil {
			n, _ := strconv.Atoi(m[1])
			for _, d := range r.Report.Deliveries {
				if d.Seq == n {
					return d
				}
			}
		}
	}
	for _, t := range texts {
		for _, d := range r.Report.Deliveries {
			if d.RequestID != "" && strings.Contains(t, d.RequestID) {
				return d
			}
		}
	}
	return nil
}

// rerunCommand is the tartansim command line that plays r's check again
// with the same seed against the same target.
func rerunCommand(r conformance.Result) string {
	cmd := fmt.Sprintf("tartansim conformance --seed %d --label-filter %s", r.Seed, show.Quote(r.ID))
	if r.Report != nil && r.Report.Target != "" {
		cmd += " --target " + show.Quote(show.URL(r.Report.Target)) + " (with the same key and --probe)"
	}
	return cmd
}
