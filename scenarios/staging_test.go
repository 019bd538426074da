package scenarios_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/scenarios"
)

// connectionRecords returns the records of a delivery's body that are
// connection records (connection.events), and whether the body parsed.
func connectionRecords(d *scenarios.Delivery) ([]map[string]any, bool) {
	var env struct {
		EventType string           `json:"eventType"`
		Body      []map[string]any `json:"body"`
	}
	if err := json.Unmarshal(d.Body, &env); err != nil {
		return nil, false
	}
	if env.EventType != "connection.events" {
		return nil, true
	}
	return env.Body, true
}

// expectSynthetic checks every connection record of rep: each carries a
// remote_org_id that starts with fixtures.SyntheticMarker, so integrators
// can find and delete what tartansim wrote to staging. It returns how many
// it checked.
func expectSynthetic(rep *scenarios.Report) int {
	GinkgoHelper()
	n := 0
	for _, d := range rep.Deliveries {
		records, ok := connectionRecords(d)
		if !ok {
			Expect(d.Forged || d.Fault != "").To(BeTrue(), "delivery %d of %s is not JSON", d.Seq, rep.Scenario)
			continue
		}
		for _, rec := range records {
			id, has := rec["remote_org_id"]
			Expect(has).To(BeTrue(), "%s delivery %d (%s): a connection record without remote_org_id", rep.Scenario, d.Seq, d.Event)
			Expect(id).To(BeAssignableToTypeOf(""), "%s delivery %d", rep.Scenario, d.Seq)
			Expect(id.(string)).To(HavePrefix(fixtures.SyntheticMarker+fixtures.RunIDFor(rep.Seed)+"-"), "%s delivery %d (%s)", rep.Scenario, d.Seq, d.Event)
			n++
		}
	}
	return n
}

// expectMarkedEmployees checks that every employee record rep sent carries
// the marker and the run id in its personal email (when the record has
// one), and returns how many it checked.
func expectMarkedEmployees(rep *scenarios.Report) int {
	GinkgoHelper()
	n := 0
	for _, d := range rep.Deliveries {
		var env struct {
			Event string           `json:"event"`
			Body  []map[string]any `json:"body"`
		}
		if json.Unmarshal(d.Body, &env) != nil || (env.Event != fixtures.EventEmployeeAdd && env.Event != fixtures.EventEmployeeUpdate) {
			continue
		}
		for _, rec := range env.Body {
			email, ok := rec["personalEmail"].(string)
			if !ok {
				continue // the org's data model leaves it out, or an override changed it
			}
			Expect(email).To(ContainSubstring("+"+fixtures.SyntheticMarker+fixtures.RunIDFor(rep.Seed)+"@"), "%s delivery %d", rep.Scenario, d.Seq)
			n++
		}
	}
	return n
}

var _ = Describe("data tartansim writes to a staging consumer", Label("scenarios", "staging"), func() {
	It("marks every generated corporate's remote_org_id as synthetic, whatever the seed", func() {
		for seed := uint64(1); seed <= 500; seed++ {
			g := fixtures.New(fixtures.NewFaker(seed + uint64(GinkgoRandomSeed())))
			for range 3 {
				c := g.Corporate()
				Expect(c.RemoteOrgID).To(HavePrefix(fixtures.SyntheticMarker), "seed %d", seed)
				Expect(len(c.RemoteOrgID)).To(BeNumerically(">", len(fixtures.SyntheticMarker)+8), "unique enough to find one org")
				rec, _ := fixtures.Invited(g.Vendor()).Record(c).Get("remote_org_id")
				Expect(rec).To(Equal(c.RemoteOrgID))
			}
		}
	})

	It("carries the marker in every connection record of every built-in scenario", func(ctx SpecContext) {
		total := 0
		for _, sc := range scenarios.Builtins() {
			t := newTarget(refHandler)
			rep, err := runner(t).Run(ctx, sc)
			Expect(err).NotTo(HaveOccurred())
			total += expectSynthetic(rep)
			Expect(expectMarkedEmployees(rep)).To(BeNumerically(">", 0), "%s sends employees", sc.Name)
		}
		Expect(total).To(BeNumerically(">=", len(scenarios.Builtins())), "each scenario invites at least one org")
	})

	It("carries the marker in every connection record the conformance checks send", func(ctx SpecContext) {
		t := newTarget(refHandler)
		results, err := conformance.Run(ctx, conformance.Target{URL: t.srv.URL, Key: suiteKey, Probe: goProbe(t.ref), Seed: uint64(GinkgoRandomSeed())}, conformance.Options{})
		Expect(err).NotTo(HaveOccurred())
		total := 0
		for _, r := range results {
			total += expectSynthetic(r.Report)
		}
		Expect(total).To(BeNumerically(">=", len(results)))
	})
})
