package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
)

// flaky is a consumer that answers 503 while down is set, else 200, and
// counts what it received.
type flaky struct {
	down atomic.Bool
	got  atomic.Int64
	srv  *httptest.Server
}

func newFlaky() *flaky {
	f := &flaky{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.got.Add(1)
		if f.down.Load() {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	DeferCleanup(f.srv.Close)
	return f
}

var _ = Describe("the control API", func() {
	var h *harness
	BeforeEach(func() { h = start() })

	Describe("settings", func() {
		It("starts with every event subscribed and the built-in consumer", func() {
			var v SettingsView
			Expect(h.call(http.MethodGet, "/api/console/settings", nil, &v)).To(Equal(http.StatusOK))
			Expect(v.WebhookURL).To(BeEmpty())
			Expect(v.Builtin).To(HavePrefix("http://127.0.0.1:"))
			Expect(v.Subscribed).To(HaveLen(len(fixtures.Catalogue())))
			Expect(v.EOD).To(Equal(DefaultEOD))
			Expect(v.KeyGiven).To(BeFalse())
		})

		It("subscribes to the events ticked", func() {
			var v SettingsView
			p := Patch{Events: ptr([]string{"connection.events.requested", "sync.events.employee.add/delta"})}
			Expect(h.call(http.MethodPut, "/api/console/settings", p, &v)).To(Equal(http.StatusOK))
			Expect(v.Subscribed).To(Equal([]string{"connection.events.requested", "sync.events.employee.add/delta"}))
			Expect(v.Events).To(Equal("connection.events.requested,sync.events.employee.add/delta"))
		})

		DescribeTable("refuses a bad value in one sentence, and changes nothing",
			func(p Patch, want string) {
				code, msg := h.errorOf(http.MethodPut, "/api/console/settings", p)
				Expect(code).To(Equal(http.StatusBadRequest))
				Expect(msg).To(ContainSubstring(want))
				Expect(msg).To(HaveSuffix("."))
				Expect(strings.Count(msg, ". ")).To(BeZero(), "one sentence")
				Expect(h.srv.Settings()).To(Equal(DefaultSettings()))
			},
			Entry("a webhook URL that is not http(s)", Patch{WebhookURL: ptr("ftp://example.com/hook")}, `The webhook URL "ftp://example.com/hook" is not an http:// or https:// URL.`),
			Entry("an unknown event", Patch{Events: ptr([]string{"sync.events.exploded"})}, `Unknown event "sync.events.exploded"`),
			Entry("a bad layout", Patch{Layout: ptr("pretty")}, `The byte layout "pretty" is not one of compact, python or indented.`),
			Entry("a bad EOD time", Patch{EOD: ptr("25:00")}, `The EOD time "25:00" is not a time of day`),
		)
	})

	Describe("test a webhook", func() {
		It("builds a realistic payload of the event picked", func() {
			var p Payload
			Expect(h.call(http.MethodGet, "/api/console/payload?event=sync.events.employee.add/delta", nil, &p)).To(Equal(http.StatusOK))
			Expect(p.EventType).To(Equal(fixtures.TypeDelta))
			env := readEnvelope([]byte(p.Body))
			Expect(env.Event).To(Equal(fixtures.EventEmployeeAdd))
			Expect(env.OrgID).NotTo(BeEmpty())
		})

		It("sends an edited payload byte for byte, signed, and shows request and answer", func() {
			body := `{"requestId":"r-1","orgId":"org-7","event":"sync.events.initiated","eventType":"sync.events","body":[{"newRecords":1,"updatedRecords":0}]}`
			var a AttemptView
			Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Body: body}, &a)).To(Equal(http.StatusOK))
			Expect(a.Body).To(Equal(body))
			Expect(a.Status).To(Equal(http.StatusOK))
			Expect(a.Outcome).To(Equal(OutcomeOK))
			Expect(a.Answer).To(ContainSubstring("ok"))
			Expect(a.Headers[sender.HeaderSignature]).To(Equal([]string{sender.Sign(h.srv.builtin.key, []byte(body))}))
			Expect(a.Curl).To(ContainSubstring("tartan-signature: "))
			Expect(a.OrgID).To(Equal("org-7"))
		})

		It("refuses an event outside the subscription, and sends nothing", func() {
			f := newFlaky()
			s := start(Key([]byte("k")), Override(Patch{WebhookURL: ptr(f.srv.URL), Events: ptr([]string{"connection.events.requested"})}))
			code, msg := s.errorOf(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"})
			Expect(code).To(Equal(http.StatusUnprocessableEntity))
			Expect(msg).To(Equal("sync.events.initiated (sync.events) is not among the subscribed events, so Tartan would not send it; tick it under Endpoint first."))
			Expect(f.got.Load()).To(BeZero())
			Expect(s.call(http.MethodPost, "/api/console/send", TestSend{Event: "connection.events.requested"}, nil)).To(Equal(http.StatusOK))
			Expect(f.got.Load()).To(BeEquivalentTo(1))
		})

		DescribeTable("refuses a malformed payload in one sentence",
			func(body, want string) {
				code, msg := h.errorOf(http.MethodPost, "/api/console/send", TestSend{Body: body})
				Expect(code).To(Equal(http.StatusBadRequest))
				Expect(msg).To(ContainSubstring(want))
				Expect(h.srv.Log().Counts().Total).To(BeZero())
			},
			Entry("a syntax error", "{\n  \"event\": \"sync.events.initiated\",\n  oops\n}", "line 3, column 3"),
			Entry("cut short", `{"event": "sync.events.initiated"`, "ends too soon"),
			Entry("an array", `[1, 2]`, "is a JSON array, not an object"),
			Entry("no event", `{"orgId": "x"}`, `no "event" field`),
		)

		It("sends a forged signature when asked, marked forged and never re-sent at EOD", func() {
			var a AttemptView
			Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated", Signature: "near-miss"}, &a)).To(Equal(http.StatusOK))
			Expect(a.Forged).To(BeTrue())
			Expect(a.Status).To(Equal(http.StatusUnauthorized), "the reference consumer rejects it")
			Expect(a.Headers[sender.HeaderSignature][0]).NotTo(Equal(sender.Sign(h.srv.builtin.key, []byte(a.Body))))
			var rep EODReport
			h.call(http.MethodPost, "/api/console/eod", nil, &rep)
			Expect(rep.Resent).To(BeEmpty())
			code, msg := h.errorOf(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated", Signature: "bogus"})
			Expect(code).To(Equal(http.StatusBadRequest))
			Expect(msg).To(Equal(`The signature "bogus" is not one of valid, missing, empty, wrong-key, near-miss, truncated.`))
		})

		It("refuses an unknown event", func() {
			code, msg := h.errorOf(http.MethodPost, "/api/console/send", TestSend{Event: "nope"})
			Expect(code).To(Equal(http.StatusBadRequest))
			Expect(msg).To(Equal(`There is no event "nope" in the catalogue.`))
		})

		It("refuses a URL of the user's own when serve has no key", func() {
			f := newFlaky()
			s := start(Override(Patch{WebhookURL: ptr(f.srv.URL)}))
			code, msg := s.errorOf(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"})
			Expect(code).To(Equal(http.StatusBadRequest))
			Expect(msg).To(ContainSubstring("No app key was given to serve"))
		})
	})

	Describe("deliveries", func() {
		var f *flaky
		var s *harness
		BeforeEach(func() {
			f = newFlaky()
			s = start(Key([]byte("k")), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
		})

		It("lists every attempt newest first, and filters by event, org and outcome", func() {
			var first AttemptView
			Expect(s.call(http.MethodPost, "/api/console/send", TestSend{Event: "connection.events.requested"}, &first)).To(Equal(http.StatusOK))
			f.down.Store(true)
			Expect(s.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.employee.add/delta"}, nil)).To(Equal(http.StatusOK))
			var page Page
			Expect(s.call(http.MethodGet, "/api/console/deliveries", nil, &page)).To(Equal(http.StatusOK))
			Expect(page.Attempts).To(HaveLen(2))
			Expect(page.Attempts[0].ID).To(BeEquivalentTo(2))
			Expect(page.Attempts[0].Status).To(Equal(http.StatusServiceUnavailable))

			s.call(http.MethodGet, "/api/console/deliveries?outcome=failed", nil, &page)
			Expect(page.Attempts).To(HaveLen(1))
			Expect(page.Attempts[0].Event).To(Equal(fixtures.EventEmployeeAdd))
			s.call(http.MethodGet, "/api/console/deliveries?event=sync.events.employee.add/initial", nil, &page)
			Expect(page.Attempts).To(BeEmpty())
			s.call(http.MethodGet, "/api/console/deliveries?event=sync.events.employee.add/delta", nil, &page)
			Expect(page.Attempts).To(HaveLen(1))
			s.call(http.MethodGet, "/api/console/deliveries?org="+first.OrgID, nil, &page)
			Expect(page.Attempts).To(HaveLen(1))
			Expect(page.Attempts[0].ID).To(Equal(first.ID))
		})

		It("pages with before and limit", func() {
			for range 5 {
				s.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, nil)
			}
			var page Page
			s.call(http.MethodGet, "/api/console/deliveries?limit=2", nil, &page)
			Expect(page.Attempts).To(HaveLen(2))
			Expect(page.Next).To(BeEquivalentTo(4))
			s.call(http.MethodGet, "/api/console/deliveries?limit=2&before=4", nil, &page)
			Expect([]int64{page.Attempts[0].ID, page.Attempts[1].ID}).To(Equal([]int64{3, 2}))
		})

		It("opens one attempt and resends its identical bytes", func() {
			f.down.Store(true)
			var a AttemptView
			s.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.employee.update"}, &a)
			Expect(a.Outcome).To(Equal(OutcomeFailed))
			f.down.Store(false)
			var again AttemptView
			Expect(s.call(http.MethodPost, "/api/console/deliveries/1/resend", nil, &again)).To(Equal(http.StatusOK))
			Expect(again.ID).To(BeEquivalentTo(2))
			Expect(again.Delivery).To(BeEquivalentTo(1))
			Expect(again.Kind).To(Equal(deliverylog.Resend))
			Expect(again.Body).To(Equal(a.Body))
			Expect(again.Headers).To(Equal(a.Headers))
			Expect(again.Outcome).To(Equal(OutcomeOK))
			var opened AttemptView
			Expect(s.call(http.MethodGet, "/api/console/deliveries/2", nil, &opened)).To(Equal(http.StatusOK))
			Expect(opened.Body).To(Equal(a.Body))
			code, msg := s.errorOf(http.MethodGet, "/api/console/deliveries/99", nil)
			Expect(code).To(Equal(http.StatusNotFound))
			Expect(msg).To(Equal("There is no attempt 99 in the log."))
		})

		It("keeps only a bounded window in memory, and still lists the older ones", func() {
			w := start(Key([]byte("k")), Window(3), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
			for range 7 {
				w.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, nil)
			}
			w.srv.log.mu.Lock()
			Expect(w.srv.log.window).To(HaveLen(3))
			w.srv.log.mu.Unlock()
			var page Page
			w.call(http.MethodGet, "/api/console/deliveries?limit=100", nil, &page)
			Expect(page.Attempts).To(HaveLen(7))
			Expect(page.Attempts[6].ID).To(BeEquivalentTo(1))
			Expect(w.srv.Log().Counts()).To(Equal(Counts{Total: 7, OK: 7, Met: 7}))

			By("filtering beyond the window, through the store's index")
			first, _, _ := w.srv.Log().Get(1)
			w.call(http.MethodGet, "/api/console/deliveries?org="+first.OrgID, nil, &page)
			Expect(page.Attempts).To(HaveLen(1))
			Expect(page.Attempts[0].ID).To(BeEquivalentTo(1))
			w.call(http.MethodGet, "/api/console/deliveries?event=sync.events.initiated&limit=3", nil, &page)
			Expect(page.Attempts).To(HaveLen(3))
			Expect(page.Next).To(BeEquivalentTo(5))
			w.call(http.MethodGet, "/api/console/deliveries?event=sync.events.initiated&limit=3&before=3", nil, &page)
			Expect([]int64{page.Attempts[0].ID, page.Attempts[1].ID}).To(Equal([]int64{2, 1}))
			Expect(page.Next).To(BeZero())
			w.call(http.MethodGet, "/api/console/deliveries?outcome=failed", nil, &page)
			Expect(page.Attempts).To(BeEmpty())
		})
	})
})
