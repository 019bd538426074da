package scenarios_test

import (
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/scenarios"
)

var _ = Describe("the truth", Label("truth"), func() {
	batch := func(seq int, counter, stamp, name string) *scenarios.Delivery {
		return &scenarios.Delivery{Seq: seq, Body: []byte(`{"syncSessionId":"s1","webhookCounter":` + counter +
			`,"requestId":"r` + strconv.Itoa(seq) + `","orgId":"org-1","event":"sync.events.employee.update",` +
			`"body":[{"employeeId":"E1","name":"` + name + `"}],"timeStamp":"` + stamp + `"}`)}
	}

	It("reads webhookCounter as the reference consumer does, a string or garbage included", func() {
		t := scenarios.NewTruth()
		Expect(t.Apply(batch(1, `"abc"`, "2026-11-27 09:00:00", "Asha"))).To(Succeed())
		Expect(t.Org("org-1").Employees).To(HaveKey("E1"))
		// Within one session and second, a later counter wins; "3" reads as 3.
		Expect(t.Apply(batch(2, `"3"`, "2026-11-27 09:00:00", "Asha Rao"))).To(Succeed())
		Expect(t.Apply(batch(3, `2`, "2026-11-27 09:00:00", "A. Rao"))).To(Succeed())
		Expect(t.Org("org-1").Employees["E1"]).To(HaveKeyWithValue("name", "Asha Rao"))
	})

	It("never lets an older redelivery overwrite newer data", func() {
		t := scenarios.NewTruth()
		Expect(t.Apply(batch(1, `5`, "2026-11-27 10:00:00", "new"))).To(Succeed())
		Expect(t.Apply(batch(2, `9`, "2026-11-27 09:00:00", "old"))).To(Succeed())
		Expect(t.Org("org-1").Employees["E1"]).To(HaveKeyWithValue("name", "new"))
	})
})
