package spec

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
)

var _ = Describe("a suite whose conformance specs judged nothing", func() {
	// checkSpec is the report of one conformance spec with its verdict, as
	// play records it; a SKIP carries its reason as Ginkgo's Skip does.
	checkSpec := func(text string, v conformance.Verdict, reason string) types.SpecReport {
		s := types.SpecReport{LeafNodeText: text, State: types.SpecStatePassed,
			ReportEntries: types.ReportEntries{{Name: verdictEntry, Value: types.WrapEntryValue(string(v))}}}
		if v == conformance.Skip {
			s.State, s.Failure.Message = types.SpecStateSkipped, reason
		}
		return s
	}
	// otherSpec is a spec of the suite's own, or one a filter left out.
	otherSpec := func(state types.SpecState) types.SpecReport {
		return types.SpecReport{LeafNodeText: "stores every record", State: state}
	}
	// fromProcess2 is s as process 1 sees it in a parallel run: its entries
	// went through JSON.
	fromProcess2 := func(s types.SpecReport) types.SpecReport {
		data, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		var out types.SpecReport
		Expect(json.Unmarshal(data, &out)).To(Succeed())
		return out
	}

	DescribeTable("fails the suite only when every conformance spec that ran was SKIP",
		func(specs []types.SpecReport, why string, nothing bool) {
			got, ok := nothingJudged(types.Report{SpecReports: specs})
			Expect(ok).To(Equal(nothing))
			Expect(got).To(Equal(why))
		},
		Entry("every check SKIP", []types.SpecReport{
			checkSpec("SIG-EMPTY rejects an empty signature", conformance.Skip, "needs a state probe to judge that a forged delivery had no effect"),
			checkSpec("LIFE-SYNC applies a sync", conformance.Skip, "needs a state probe to judge the records"),
			otherSpec(types.SpecStatePassed),
		}, "all 2 checks were skipped, e.g. SIG-EMPTY: needs a state probe to judge that a forged delivery had no effect", true),
		Entry("the one check selected SKIP", []types.SpecReport{
			checkSpec("SIG-EMPTY rejects an empty signature", conformance.Skip, "needs a state probe to judge that a forged delivery had no effect"),
		}, "check SIG-EMPTY was skipped: needs a state probe to judge that a forged delivery had no effect", true),
		Entry("every check SKIP, reported by another process", []types.SpecReport{
			fromProcess2(checkSpec("DEL-STALE keeps the newest", conformance.Skip, "needs sync.events.employee.update, which the subscription leaves out")),
		}, "check DEL-STALE was skipped: needs sync.events.employee.update, which the subscription leaves out", true),
		Entry("one check PASS among SKIPs", []types.SpecReport{
			checkSpec("SIG-EMPTY rejects an empty signature", conformance.Skip, "needs a state probe"),
			fromProcess2(checkSpec("SIG-VALID accepts valid signatures", conformance.Pass, "")),
		}, "", false),
		Entry("one check FAIL among SKIPs", []types.SpecReport{
			checkSpec("SIG-EMPTY rejects an empty signature", conformance.Skip, "needs a state probe"),
			checkSpec("SIG-VALID accepts valid signatures", conformance.Fail, ""),
		}, "", false),
		Entry("no conformance spec ran: a label filter left them out", []types.SpecReport{
			otherSpec(types.SpecStatePassed), otherSpec(types.SpecStateSkipped),
		}, "", false),
	)
})
