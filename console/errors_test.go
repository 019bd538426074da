package console

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// raw sends body as it is, with the page's headers, and decodes the error
// answer.
func (h *harness) raw(method, path, body string) (int, apiError, string) {
	GinkgoHelper()
	code, data := h.send(method, path, []byte(body), true)
	var e apiError
	_ = json.Unmarshal(data, &e)
	return code, e, string(data)
}

// everything is what a refused request must leave as it was: the
// settings, the log, the runs and the EOD's record.
type everything struct {
	Settings Settings
	Counts   Counts
	Pending  int
	Runs     []Run
	LastEOD  string
}

func (h *harness) everything() everything {
	GinkgoHelper()
	var st Stats
	Expect(h.call(http.MethodGet, "/api/console/stats", nil, &st)).To(Equal(http.StatusOK))
	var runs []Run
	Expect(h.call(http.MethodGet, "/api/console/runs", nil, &runs)).To(Equal(http.StatusOK))
	return everything{Settings: h.srv.Settings(), Counts: st.Counts, Pending: st.Pending, Runs: runs, LastEOD: h.srv.LastEOD().String()}
}

var _ = Describe("a refused request", Label("errors"), func() {
	var h *harness
	var f *flaky
	BeforeEach(func() {
		f = newFlaky()
		h = start(Key([]byte("k")), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
		f.down.Store(true)
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, nil)).To(Equal(http.StatusOK))
		f.down.Store(false)
		var r Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Conformance: true, Checks: []string{"SIG-VALID"}}, &r)).To(Equal(http.StatusAccepted))
		waitRun(h, r.ID)
	})

	DescribeTable("answers {message, field}, names an unknown key, and changes nothing",
		func(method, path, body string, status int, field, message string) {
			before := h.everything()
			sent := f.got.Load()
			code, e, raw := h.raw(method, path, body)
			Expect(code).To(Equal(status), raw)
			Expect(e.Field).To(Equal(field), raw)
			Expect(e.Message).To(Equal(message))
			var shape map[string]any
			Expect(json.Unmarshal([]byte(raw), &shape)).To(Succeed())
			Expect(shape).To(HaveLen(2), "message and field, nothing else")
			Expect(h.everything()).To(Equal(before))
			Expect(f.got.Load()).To(Equal(sent), "nothing was sent")
		},
		Entry("settings: an unknown key", http.MethodPut, "/api/console/settings", `{"webhookUrl": "http://127.0.0.1:1/x", "webhookURL": "x"}`, 400, "webhookURL",
			`The key "webhookURL" is not one this endpoint takes: it takes webhookUrl, probeUrl, events, layout, eodAt.`),
		Entry("settings: a value of the wrong type", http.MethodPut, "/api/console/settings", `{"events": "all"}`, 400, "events",
			`The value of "events" is a JSON string, not an array.`),
		Entry("settings: a bad value", http.MethodPut, "/api/console/settings", `{"layout": "python", "eodAt": "25:00"}`, 400, "eodAt",
			`The EOD time "25:00" is not a time of day like 23:59 (IST), or off.`),
		Entry("settings: not an object", http.MethodPut, "/api/console/settings", `["events"]`, 400, "",
			`The request body is not a JSON object.`),
		Entry("send: an unknown key", http.MethodPost, "/api/console/send", `{"event": "sync.events.initiated", "sig": "missing"}`, 400, "sig",
			`The key "sig" is not one this endpoint takes: it takes event, body, signature.`),
		Entry("send: an unknown event", http.MethodPost, "/api/console/send", `{"event": "nope"}`, 400, "event",
			`There is no event "nope" in the catalogue.`),
		Entry("resend: any key", http.MethodPost, "/api/console/deliveries/1/resend", `{"target": "http://127.0.0.1:1/"}`, 400, "target",
			`The key "target" is not one this endpoint takes: it takes none.`),
		Entry("resend: no such attempt", http.MethodPost, "/api/console/deliveries/999/resend", `{}`, 404, "id",
			`There is no attempt 999 in the log.`),
		Entry("eod: any key", http.MethodPost, "/api/console/eod", `{"all": true}`, 400, "all",
			`The key "all" is not one this endpoint takes: it takes none.`),
		Entry("runs: an unknown key", http.MethodPost, "/api/console/runs", `{"scenario": "onboarding", "seed": 7}`, 400, "seed",
			`The key "seed" is not one this endpoint takes: it takes scenario, conformance, checks.`),
		Entry("runs: an unknown check", http.MethodPost, "/api/console/runs", `{"conformance": true, "checks": ["SIG-NOPE"]}`, 400, "checks",
			`There is no conformance check "SIG-NOPE".`),
		Entry("cancel: any key", http.MethodPost, "/api/console/runs/1/cancel", `{"force": true}`, 400, "force",
			`The key "force" is not one this endpoint takes: it takes none.`),
		Entry("cancel: no such run", http.MethodPost, "/api/console/runs/99/cancel", ``, 404, "id",
			`There is no run 99.`),
		Entry("deliveries: a bad outcome", http.MethodGet, "/api/console/deliveries?outcome=maybe", ``, 400, "outcome",
			`The outcome "maybe" is not ok or failed.`),
	)
})
