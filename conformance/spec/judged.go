//lint:file-ignore ST1001 the file adds a Ginkgo node and report entries; it reads as the DSL it writes

package spec

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/judge"
)

// verdictEntry names the report entry in which each conformance spec
// records its check's verdict (PASS, FAIL or SKIP), hidden from the
// output: the suite's report says from it whether anything was judged.
const verdictEntry = "tartansim conformance verdict"

// recordVerdict adds the verdict of the running check to its spec's report.
func recordVerdict(v conformance.Verdict) {
	AddReportEntry(verdictEntry, string(v), ReportEntryVisibilityNever)
}

// judgedOnce registers the suite's "nothing judged" node once, however
// many times Declare is called.
var judgedOnce sync.Once

// declareJudged adds, once, the ReportAfterSuite that fails the suite when
// the conformance specs that ran judged nothing (see nothingJudged). It
// runs after every spec, on process 1 with the report of every process.
func declareJudged() {
	judgedOnce.Do(func() {
		ReportAfterSuite("a conformance run that judged nothing is not a pass", func(r Report) {
			t, ran := tally(r)
			switch {
			case !ran:
			case t.Outcome() == judge.NothingJudged:
				Fail("nothing was judged: " + t.Why)
			case t.Skipped > 0:
				AddReportEntry(fmt.Sprintf("conformance: %d of %d checks judged (%d passed, %d failed), %d skipped", t.Passed+t.Failed, t.Total(), t.Passed, t.Failed, t.Skipped), ReportEntryVisibilityAlways)
			}
		})
	})
}

// nothingJudged reports whether the conformance specs of r judged nothing
// (at least one ran, and every one that ran was SKIP), and why, in the
// words of conformance.Tally, the first check skipped in catalogue order.
// A suite in which no conformance spec ran (a label filter left them all
// out) is not its business.
func nothingJudged(r types.Report) (string, bool) {
	t, ran := tally(r)
	if !ran || t.Outcome() != judge.NothingJudged {
		return "", false
	}
	return t.Why, true
}

// tally counts the verdicts of the conformance specs of r (see
// nothingJudged); ran is false when none ran.
func tally(r types.Report) (_ judge.Tally, ran bool) {
	var results []conformance.Result
	for _, s := range r.SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name != verdictEntry {
				continue
			}
			id, _, _ := strings.Cut(s.LeafNodeText, " ")
			results = append(results, conformance.Result{ID: id, Verdict: conformance.Verdict(e.StringRepresentation()), Reason: s.Failure.Message})
		}
	}
	if len(results) == 0 {
		return judge.Tally{}, false
	}
	// In catalogue order, as tartansim conformance gives them, not in the
	// order of this run's random seed.
	order := map[string]int{}
	for i, c := range conformance.Checks() {
		order[c.ID] = i
	}
	slices.SortStableFunc(results, func(a, b conformance.Result) int { return order[a.ID] - order[b.ID] })
	return conformance.Tally(results), true
}
