package console

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/wire"
)

var _ = Describe("the EOD batch", Label("eod"), func() {
	var f *flaky
	var clk *clock.Fake
	var h *harness
	// 20:00 IST on 1 December 2026.
	morning := time.Date(2026, 12, 1, 20, 0, 0, 0, wire.IST)

	BeforeEach(func() {
		f = newFlaky()
		clk = clock.NewFake(morning)
		h = start(Key([]byte("k")), WithClock(clk), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
	})

	failTwo := func() {
		f.down.Store(true)
		for _, ev := range []string{"sync.events.employee.add/delta", "sync.events.employee.update"} {
			var a AttemptView
			Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: ev}, &a)).To(Equal(http.StatusOK))
			Expect(a.Outcome).To(Equal(OutcomeFailed))
		}
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "connection.events.requested"}, nil)).To(Equal(http.StatusOK))
		f.down.Store(false)
		Expect(h.call(http.MethodPost, "/api/console/deliveries/3/resend", nil, nil)).To(Equal(http.StatusOK)) // acknowledged now
	}

	It("re-sends the day's failures once, identical bytes, when asked", func() {
		failTwo()
		var st Stats
		h.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(Equal(2))
		var rep EODReport
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Resent).To(HaveLen(2))
		Expect(rep.OK).To(Equal(2))
		for _, s := range rep.Resent {
			Expect(s.Kind).To(Equal(KindEOD))
			orig, _, _ := h.srv.Log().Get(s.Delivery)
			again, _, _ := h.srv.Log().Get(s.ID)
			Expect(again.Body).To(Equal(orig.Body))
			Expect(again.Headers).To(Equal(orig.Headers))
		}
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Resent).To(BeEmpty(), "each failure is re-sent once")
	})

	It("runs by itself at 23:59 IST, with an injected clock", func() {
		failTwo()
		Eventually(clk.Pending).Should(Equal(1))
		clk.Set(time.Date(2026, 12, 1, 23, 58, 0, 0, wire.IST))
		Consistently(h.srv.LastEOD, "100ms").Should(BeZero())
		eod := time.Date(2026, 12, 1, 23, 59, 0, 0, wire.IST)
		clk.Set(eod)
		Eventually(h.srv.LastEOD).Should(BeTemporally("==", eod))
		var page Page
		h.call(http.MethodGet, "/api/console/deliveries?limit=2", nil, &page)
		Expect(page.Attempts[0].Source).To(Equal(SourceEOD))
		Eventually(clk.Pending).Should(Equal(1), "and plans the next day's")
	})

	It("follows a change of the schedule", func() {
		failTwo()
		Expect(h.call(http.MethodPut, "/api/console/settings", Patch{EOD: ptr("21:30")}, nil)).To(Equal(http.StatusOK))
		at := time.Date(2026, 12, 1, 21, 30, 0, 0, wire.IST)
		Eventually(func() time.Time { clk.Set(at); return h.srv.LastEOD() }).Should(BeTemporally("==", at))
	})

	It("honours the subscription: an unsubscribed event is not re-sent", func() {
		failTwo()
		Expect(h.call(http.MethodPut, "/api/console/settings", Patch{Events: ptr([]string{"sync.events.employee.update"})}, nil)).To(Equal(http.StatusOK))
		var rep EODReport
		h.call(http.MethodPost, "/api/console/eod", nil, &rep)
		Expect(rep.Resent).To(HaveLen(1))
		Expect(rep.Resent[0].Event).To(Equal("sync.events.employee.update"))
		Expect(rep.Skipped).To(Equal(1))
	})
})
