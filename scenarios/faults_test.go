package scenarios_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

var _ = Describe("faults that meet on one webhook", Label("scenarios", "faults"), func() {
	It("names every fault, and a drop with another fault is still a drop", func() {
		t := newTarget(refHandler)
		rep, err := runner(t).Run(context.Background(), parse(`
name: combined
orgs: [{id: a, employees: 25}]
steps:
  - initial-sync: {org: a}
    faults:
      - {type: drop, webhooks: [2]}
      - {type: header-case, case: upper, webhooks: [2]}
      - {type: ack-lost, webhooks: [3]}
      - {type: duplicate, webhooks: [3]}
      - {type: drop, webhooks: [4]}
      - {type: ack-lost, webhooks: [4]}
  - eod: {}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Problems).To(BeEmpty(), "seed %d", rep.Seed)
		ds := rep.Deliveries
		Expect(ds).To(HaveLen(4))

		Expect(ds[1].Fault).To(Equal("drop+header-case:upper"))
		Expect(ds[1].FailsOnPurpose()).To(BeTrue())
		Expect(ds[1].Header).To(HaveKey("TARTAN-SIGNATURE"))
		Expect(ds[1].Attempts[0].Result.Class).To(Equal(sender.ClassDropped))
		Expect(ds[1].Outcome()).To(Equal(scenarios.Redelivered))

		Expect(ds[2].Fault).To(Equal("ack-lost+duplicate"))
		Expect(ds[2].FailsOnPurpose()).To(BeTrue())

		Expect(ds[3].Fault).To(Equal("ack-lost"), "the later of two faults with one effect, as it is the one applied")
		Expect(ds[3].Attempts[0].Result.Class).To(Equal(sender.ClassAckLost))

		Expect(ds[0].Fault).To(BeEmpty())
		Expect(ds[0].FailsOnPurpose()).To(BeFalse())
		Expect(rep.Steps[0].Faults).To(Equal([]string{"drop", "header-case:upper", "ack-lost", "duplicate"}))
	})

	It("adds the unknown field once when two unknown-field faults select a webhook", func() {
		t := newTarget(refHandler)
		rep, err := runner(t).Run(context.Background(), parse(`
name: unknown-twice
orgs: [{id: a, employees: 4}]
steps:
  - initial-sync: {org: a}
    faults:
      - {type: unknown-field}
      - {type: unknown-field, webhooks: [2]}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Problems).To(BeEmpty(), "seed %d", rep.Seed)
		d := rep.Deliveries[1]
		Expect(d.Fault).To(Equal("unknown-field"))
		Expect(json.Valid(d.Body)).To(BeTrue())
		Expect(topLevelKeys(d.Body)["tartansimUnknownField"]).To(Equal(1))
		Expect(bytes.Count(d.Body, []byte(`"tartansimUnknownField"`))).To(Equal(1+d.Records), "once at the top, once in each record")
	})

	It("refuses, before sending anything, a scenario built in Go that Validate refuses", func() {
		t := newTarget(refHandler)
		sc := &scenarios.Scenario{
			Name: "go-built",
			Orgs: []scenarios.Org{{ID: "a", Employees: 3}},
			Steps: []scenarios.Step{{
				InitialSync: &scenarios.OrgRef{Org: "a"},
				Faults:      []scenarios.FaultSpec{{Type: "signature", Signature: "valid"}},
			}},
		}
		rep, err := runner(t).Run(context.Background(), sc)
		var fe *scenarios.FileError
		Expect(errors.As(err, &fe)).To(BeTrue(), "%v", err)
		Expect(fe.Field).To(Equal("steps[0].faults[0].signature"))
		Expect(rep).To(BeNil())
		Expect(t.requests()).To(BeEmpty())
	})
})

// topLevelKeys counts the keys of a JSON object, as written: a key written
// twice counts 2.
func topLevelKeys(body []byte) map[string]int {
	GinkgoHelper()
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	Expect(err).NotTo(HaveOccurred())
	Expect(tok).To(Equal(json.Delim('{')))
	keys := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		Expect(err).NotTo(HaveOccurred())
		keys[tok.(string)]++
		var skip json.RawMessage
		Expect(dec.Decode(&skip)).To(Succeed())
	}
	return keys
}
