package console

import (
	"bytes"
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
)

var _ = Describe("the deliveries filters", func() {
	var h *harness
	var sent []AttemptView // 1: forged, 2-4: genuine
	BeforeEach(func() {
		h = start()
		sent = nil
		for _, sig := range []string{"wrong-key", "valid", "valid", "valid"} {
			var v AttemptView
			Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated", Signature: sig}, &v)).To(Equal(http.StatusOK))
			sent = append(sent, v)
		}
	})

	ids := func(q string) []int64 {
		GinkgoHelper()
		var page Page
		Expect(h.call(http.MethodGet, "/api/console/deliveries?"+q, nil, &page)).To(Equal(http.StatusOK), q)
		out := []int64{}
		for _, a := range page.Attempts {
			out = append(out, a.ID)
		}
		return out
	}

	It("marks a forged attempt the consumer rejected as expected, and counts only the others as failed", func() {
		Expect(sent[0].Status).To(Equal(http.StatusUnauthorized), "the reference consumer rejects a forged signature")
		Expect(sent[0].Expect).To(Equal(deliverylog.Expect4xx))
		Expect(sent[0].AsExpected).To(BeTrue())
		Expect(sent[0].Outcome).To(Equal(OutcomeFailed), "not acknowledged")
		var st Stats
		h.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Counts).To(Equal(Counts{Total: 4, OK: 3, Met: 4, Failed: 0}))
		Expect(ids("expected=unmet")).To(BeEmpty())
		Expect(ids("expected=met")).To(Equal([]int64{4, 3, 2, 1}))
	})

	It("finds by an org prefix of 4 or more characters, never by 3", func() {
		org := sent[2].OrgID
		Expect(ids("org=" + org[:8])).To(ContainElement(int64(3)))
		Expect(ids("org=" + org[:4])).To(ContainElement(int64(3)))
		Expect(ids("org=" + org)).To(ContainElement(int64(3)))
		Expect(ids("org=" + org[:3])).To(BeEmpty())
	})

	It("finds by requestId, syncSessionId, status, class, source and time", func() {
		Expect(ids("requestId=" + url.QueryEscape(sent[1].RequestID))).To(Equal([]int64{2}))
		Expect(ids("syncSessionId=" + url.QueryEscape(sent[3].SyncSessionID))).To(ContainElement(int64(4)))
		Expect(ids("status=401")).To(Equal([]int64{1}))
		Expect(ids("status=2xx")).To(Equal([]int64{4, 3, 2}))
		Expect(ids("status=5xx")).To(BeEmpty())
		Expect(ids("source=console")).To(HaveLen(4))
		Expect(ids("source=api")).To(BeEmpty())
		at := sent[2].Time
		Expect(ids("since=" + url.QueryEscape(at.Format(time.RFC3339Nano)))).To(Equal([]int64{4, 3}))
		Expect(ids("until=" + url.QueryEscape(at.Format(time.RFC3339Nano)))).To(Equal([]int64{2, 1}))
	})

	DescribeTable("refuses what it cannot read, naming the parameter, and lists nothing",
		func(q, field string) {
			for _, path := range []string{"/api/console/deliveries?", "/api/console/export?"} {
				var e apiError
				Expect(h.call(http.MethodGet, path+q, nil, &e)).To(Equal(http.StatusBadRequest), path+q)
				Expect(e.Field).To(Equal(field))
				Expect(e.Message).To(ContainSubstring(field))
			}
		},
		Entry("an unknown parameter", "orgid=x", "orgid"),
		Entry("a status that is none", "status=4x", "status"),
		Entry("a status out of range", "status=99", "status"),
		Entry("expected", "expected=yes", "expected"),
		Entry("a source that is none", "source=test", "source"),
		Entry("a time", "since=yesterday", "since"),
		Entry("an outcome", "outcome=bad", "outcome"),
	)

	It("exports only what the filter shows", func() {
		code, data := h.send(http.MethodGet, "/api/console/export?requestId="+url.QueryEscape(sent[1].RequestID), nil, false)
		Expect(code).To(Equal(http.StatusOK))
		rd := deliverylog.NewReader(bytes.NewReader(data), "export")
		var got []deliverylog.Attempt
		for {
			a, err := rd.Next()
			if err != nil {
				break
			}
			got = append(got, a)
		}
		Expect(got).To(HaveLen(1))
		Expect(got[0].ID).To(BeEquivalentTo(2))
		Expect(got[0].Body).To(Equal(sent[1].Body))
		_, all := h.send(http.MethodGet, "/api/console/export", nil, false)
		Expect(bytes.Count(all, []byte("\n"))).To(Equal(4))
	})
})
