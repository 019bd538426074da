package probe_test

import (
	"encoding/json"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/probe"
)

var _ = Describe("Parse", Label("probe"), func() {
	It("reads the contract's example and tolerates extra keys", func() {
		s, err := probe.Parse([]byte(`{
			"orgId": "o1", "connectionStatus": "CONNECTION_TERMINATED",
			"employees": [{"employeeId": "TRT-0042", "name": "Zoë", "hrms": 1}],
			"applied": {"r1": 1}, "consumerVersion": "9.9"}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(s).To(Equal(probe.State{
			OrgID:            "o1",
			ConnectionStatus: "CONNECTION_TERMINATED",
			Employees:        []map[string]any{{"employeeId": "TRT-0042", "name": "Zoë", "hrms": json.Number("1")}},
			Applied:          map[string]int{"r1": 1},
		}))
	})

	It("reads absent or null lists as empty", func() {
		for _, doc := range []string{`{"orgId":"o"}`, `{"orgId":"o","employees":null,"applied":null}`} {
			s, err := probe.Parse([]byte(doc))
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Employees).NotTo(BeNil())
			Expect(s.Employees).To(BeEmpty())
			Expect(s.Applied).NotTo(BeNil())
			Expect(s.Applied).To(BeEmpty())
		}
	})

	DescribeTable("refuses what does not have the contract's types",
		func(doc string) {
			_, err := probe.Parse([]byte(doc))
			Expect(err).To(MatchError(probe.ErrInvalidState))
		},
		Entry("empty", ``),
		Entry("not JSON", `{"orgId":`),
		Entry("an array", `[]`),
		Entry("null", `null`),
		Entry("a number orgId", `{"orgId":5}`),
		Entry("a number connectionStatus", `{"orgId":"o","connectionStatus":1}`),
		Entry("employees an object", `{"orgId":"o","employees":{}}`),
		Entry("an employee a string", `{"orgId":"o","employees":["x"]}`),
		Entry("an employee null", `{"orgId":"o","employees":[null]}`),
		Entry("applied a list", `{"orgId":"o","applied":["r1"]}`),
		Entry("applied a fraction", `{"orgId":"o","applied":{"r1":1.5}}`),
		Entry("applied a string", `{"orgId":"o","applied":{"r1":"1"}}`),
		Entry("data after the object", `{"orgId":"o"} {}`),
		Entry("pending negative", `{"orgId":"o","pending":-1}`),
		Entry("pending a fraction", `{"orgId":"o","pending":1.5}`),
		Entry("pending a string", `{"orgId":"o","pending":"3"}`),
		Entry("pending a list", `{"orgId":"o","pending":[]}`),
		Entry("retention a number", `{"orgId":"o","retention":1}`),
		Entry("retention unknown", `{"orgId":"o","retention":"purge-on-a-whim"}`),
		Entry("retention in capitals", `{"orgId":"o","retention":"PURGE-ON-TERMINATION"}`),
	)

	DescribeTable("reads the optional retention: records stay after a termination unless the probe declares a purge",
		func(doc string, purges bool) {
			s, err := probe.Parse([]byte(doc))
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Purges()).To(Equal(purges))
		},
		Entry("absent: kept (a v1 probe)", `{"orgId":"o"}`, false),
		Entry("null: kept", `{"orgId":"o","retention":null}`, false),
		Entry("empty: kept", `{"orgId":"o","retention":""}`, false),
		Entry("purge-on-termination", `{"orgId":"o","retention":"purge-on-termination"}`, true),
	)

	DescribeTable("reads the optional pending (contract v1.1)",
		func(doc string, want *int) {
			s, err := probe.Parse([]byte(doc))
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Pending).To(Equal(want))
		},
		Entry("absent: not said", `{"orgId":"o"}`, nil),
		Entry("null: not said", `{"orgId":"o","pending":null}`, nil),
		Entry("zero", `{"orgId":"o","pending":0}`, probe.NoPending()),
		Entry("a queue's depth", `{"orgId":"o","pending":12}`, func() *int { n := 12; return &n }()),
	)

	It("quotes a bad pending, so the probe can be mended", func() {
		_, err := probe.Parse([]byte(`{"orgId":"o","pending":"soon"}`))
		var pe *probe.PendingError
		Expect(errors.As(err, &pe)).To(BeTrue())
		Expect(pe.Value).To(Equal(`"soon"`))
		Expect(err.Error()).To(ContainSubstring(`pending is "soon", want a non-negative integer`))
	})
})
