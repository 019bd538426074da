package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// hangGuard bounds a wait that a bug could make endless; a correct server
// ends it in microseconds, and nothing is judged by it.
const hangGuard = time.Minute

// waitFor returns once n timers wait on c: the server has planned what it
// will do next.
func waitFor(c *clock.Fake, n int) {
	GinkgoHelper()
	select {
	case <-c.Waiting(n):
	case <-time.After(hangGuard):
		Fail(fmt.Sprintf("%d timers wait on the clock, not %d: the server planned nothing", c.Pending(), n))
	}
}

// awaitEvent returns the next event named name that the server publishes
// on ch (from hub.subscribe), skipping others.
func awaitEvent(ch <-chan message, name string) []byte {
	GinkgoHelper()
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	for {
		select {
		case m, ok := <-ch:
			Expect(ok).To(BeTrue(), "the server closed its events")
			if m.name == name {
				return m.data
			}
		case <-guard.C:
			Fail("the server published no " + name + " event")
		}
	}
}

// events subscribes to what h's server publishes, until the spec ends.
func events(h *harness) <-chan message {
	GinkgoHelper()
	ch, ok := h.srv.hub.subscribe()
	Expect(ok).To(BeTrue())
	DeferCleanup(func() { h.srv.hub.unsubscribe(ch) })
	return ch
}

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
			Expect(s.Kind).To(Equal(deliverylog.EOD))
			orig, _, _ := h.srv.Log().Get(s.Delivery)
			again, _, _ := h.srv.Log().Get(s.ID)
			Expect(again.Body).To(Equal(orig.Body))
			Expect(again.Headers).To(Equal(orig.Headers))
		}
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Resent).To(BeEmpty(), "each failure is re-sent once")
	})

	It("numbers its batches from 1 in its store, so that a restart goes on counting, and each re-send carries its batch's number", func() {
		failTwo()
		var rep EODReport
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Batch).To(Equal(int64(1)))
		Expect(rep.Resent).To(HaveLen(2))
		for _, r := range rep.Resent {
			Expect(r.EODBatch).To(Equal(int64(1)))
			logged, ok, err := h.srv.Log().Get(r.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			Expect(logged.EODBatch).To(Equal(int64(1)), "the log keeps it")
		}

		By("a failure, then a restart on the same store")
		f.down.Store(true)
		var a AttemptView
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, &a)).To(Equal(http.StatusOK))
		Expect(a.EODBatch).To(BeZero(), "a first send belongs to no batch")
		f.down.Store(false)
		store := h.store
		h.close()
		h = start(Key([]byte("k")), WithClock(clk), Override(Patch{WebhookURL: ptr(f.srv.URL)}), StorePath(store))
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Batch).To(Equal(int64(2)), "the count survived the restart")
		Expect(rep.Resent).To(HaveLen(1))
		Expect(rep.Resent[0].EODBatch).To(Equal(int64(2)))
		Expect(rep.Resent[0].Delivery).To(Equal(a.ID))
	})

	It("logs the batch number the maker of a re-send gave it (the mock API's own batches)", func() {
		d := sender.Delivery{Body: []byte(`{"event":"sync.events.initiated","requestId":"r-1"}`), Header: http.Header{}}
		id, err := h.srv.Record(deliverylog.FromAPI, deliverylog.EOD, 7, f.srv.URL, d, sender.Result{Start: clk.Now(), Status: http.StatusOK}, 0)
		Expect(err).NotTo(HaveOccurred())
		logged, ok, err := h.srv.Log().Get(id)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(logged.Kind).To(Equal(deliverylog.EOD))
		Expect(logged.EODBatch).To(Equal(int64(7)))
	})

	It("re-sends a failure once: one whose re-send fails again has failed for good, until a resend by hand", func() {
		f.down.Store(true)
		var a AttemptView
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.employee.add/delta"}, &a)).To(Equal(http.StatusOK))
		Expect(h.call(http.MethodPost, "/api/console/deliveries/1/resend", nil, nil)).To(Equal(http.StatusOK))
		var st Stats
		h.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(Equal(1), "a failed resend by hand before any EOD leaves it due")
		var rep EODReport
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Resent).To(HaveLen(1))
		Expect(rep.Failed).To(Equal(1), "still down")
		f.down.Store(false)
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Resent).To(BeEmpty(), "failed for good")
		h.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(BeZero())
		var again AttemptView
		Expect(h.call(http.MethodPost, "/api/console/deliveries/1/resend", nil, &again)).To(Equal(http.StatusOK))
		Expect(again.Outcome).To(Equal(OutcomeOK), "a resend by hand still sends it")
		Expect(again.Delivery).To(Equal(a.ID))
	})

	It("covers every failed genuine delivery of the log not re-sent at EOD yet, whatever made it, and never a forged one", func() {
		f.down.Store(true)
		By("a test send, a forged one, runs' deliveries and the mock API's, all failed")
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, nil)).To(Equal(http.StatusOK))
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated", Signature: "near-miss"}, nil)).To(Equal(http.StatusOK))
		run := runToEnd(h, RunRequest{Scenario: "onboarding"})
		Expect(run.Verdict).To(Equal(VerdictFail))
		check := runToEnd(h, RunRequest{Conformance: true, Checks: []string{"SIG-VALID"}})
		Expect(check.State).To(Equal(RunDone))
		p, err := h.srv.Payload("connection.events.requested")
		Expect(err).NotTo(HaveOccurred())
		d := sender.Prepare([]byte("k"), []byte(p.Body), sender.SignatureValid, sender.HeaderLower)
		_, err = h.srv.Record(deliverylog.FromAPI, deliverylog.First, 0, f.srv.URL, d, sender.Result{Start: clk.Now(), Status: http.StatusServiceUnavailable}, 0)
		Expect(err).NotTo(HaveOccurred())

		var page Page
		h.call(http.MethodGet, "/api/console/deliveries?limit=500", nil, &page)
		Expect(page.Next).To(BeZero())
		want := map[int64]deliverylog.Source{} // genuine deliveries, failed, never re-sent at EOD: the source of each
		settled := map[int64]bool{}
		for _, a := range page.Attempts {
			switch {
			case a.Forged, a.OK(), a.Kind == deliverylog.EOD: // a run's own EOD re-sent some: failed for good
				settled[a.Delivery] = true
			default:
				want[a.Delivery] = a.Source
			}
		}
		for d := range settled {
			delete(want, d)
		}
		Expect(want).To(ContainElements(deliverylog.FromConsole, deliverylog.FromConformance, deliverylog.FromAPI))
		Expect(want).NotTo(ContainElement(deliverylog.FromRun), "the scenario's own EOD step re-sent its failures, which failed again: for good")
		Expect(settled).NotTo(BeEmpty())
		var st Stats
		h.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(Equal(len(want)))

		f.down.Store(false)
		var rep EODReport
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		got := map[int64]deliverylog.Source{}
		for _, a := range rep.Resent {
			Expect(a.Kind).To(Equal(deliverylog.EOD))
			Expect(a.Forged).To(BeFalse())
			got[a.Delivery] = want[a.Delivery]
		}
		Expect(got).To(Equal(want), "each failed genuine delivery once")
		Expect(rep.OK).To(Equal(len(want)))
		h.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(BeZero())
	})

	It("hands a Resend of the mock API's delivery to it, and re-sends itself one it does not take", func() {
		var asked []int64
		hook := start(Key([]byte("k")), WithClock(clk), Override(Patch{WebhookURL: ptr(f.srv.URL)}),
			ResendThrough(deliverylog.FromAPI, func(_ context.Context, delivery int64) (bool, error) {
				asked = append(asked, delivery)
				return len(asked) == 1, nil // its own first; then one it made before a restart
			}))
		p, err := hook.srv.Payload("sync.events.initiated")
		Expect(err).NotTo(HaveOccurred())
		d := sender.Prepare([]byte("k"), []byte(p.Body), sender.SignatureValid, sender.HeaderLower)
		id, err := hook.srv.Record(deliverylog.FromAPI, deliverylog.First, 0, f.srv.URL, d, sender.Result{Start: clk.Now(), Status: http.StatusServiceUnavailable}, 0)
		Expect(err).NotTo(HaveOccurred())

		var handed Handed
		Expect(hook.call(http.MethodPost, fmt.Sprintf("/api/console/deliveries/%d/resend", id), nil, &handed)).To(Equal(http.StatusAccepted))
		Expect(handed).To(Equal(Handed{Handed: true, Delivery: id, Source: deliverylog.FromAPI}))
		Expect(hook.srv.Log().Counts().Total).To(BeEquivalentTo(1), "the console sent nothing itself: the API's re-send joins the log through Record")

		var again AttemptView
		Expect(hook.call(http.MethodPost, fmt.Sprintf("/api/console/deliveries/%d/resend", id), nil, &again)).To(Equal(http.StatusOK))
		Expect(again.Kind).To(Equal(deliverylog.Resend))
		Expect(again.Source).To(Equal(deliverylog.FromAPI), "a resend keeps its delivery's source")
		Expect(again.Delivery).To(Equal(id))
		Expect(asked).To(Equal([]int64{id, id}))
	})

	It("hands the mock API's deliveries to it, and re-sends itself those it no longer has", func() {
		var asked []int64
		hook := start(Key([]byte("k")), WithClock(clk), Override(Patch{WebhookURL: ptr(f.srv.URL)}),
			EODThrough(deliverylog.FromAPI, func(_ context.Context, ids []int64) ([]int64, error) {
				asked = ids
				return ids[:1], nil // the first is its own; the other it made before a restart
			}))
		var ids []int64
		for _, ev := range []string{"connection.events.requested", "sync.events.initiated"} {
			p, err := hook.srv.Payload(ev)
			Expect(err).NotTo(HaveOccurred())
			d := sender.Prepare([]byte("k"), []byte(p.Body), sender.SignatureValid, sender.HeaderLower)
			id, err := hook.srv.Record(deliverylog.FromAPI, deliverylog.First, 0, f.srv.URL, d, sender.Result{Start: clk.Now(), Status: http.StatusServiceUnavailable}, 0)
			Expect(err).NotTo(HaveOccurred())
			ids = append(ids, id)
		}
		var rep EODReport
		Expect(hook.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(asked).To(Equal(ids))
		Expect(rep.Handed).To(Equal(1))
		Expect(rep.Resent).To(HaveLen(1))
		Expect(rep.Resent[0].Delivery).To(Equal(ids[1]))
		var st Stats
		hook.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(Equal(1), "the handed one awaits its maker's re-send")
	})

	It("holds the failed deliveries of the run going on for a batch after it", func() {
		r := &Run{ID: "9", State: RunRunning}
		h.srv.runs.mu.Lock()
		h.srv.runs.list = append(h.srv.runs.list, r)
		h.srv.runs.mu.Unlock()
		p, err := h.srv.Payload("sync.events.initiated")
		Expect(err).NotTo(HaveOccurred())
		a := newAttempt(deliverylog.FromRun, "onboarding", deliverylog.First, f.srv.URL, sender.Prepare([]byte("k"), []byte(p.Body), sender.SignatureValid, sender.HeaderLower), false, sender.Result{Start: clk.Now(), Status: 503})
		Expect(h.srv.record("9", &a)).To(Succeed())
		var rep EODReport
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Held).To(Equal(1))
		Expect(rep.Resent).To(BeEmpty())
		h.srv.runs.mu.Lock()
		r.State = RunDone
		h.srv.runs.mu.Unlock()
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Held).To(BeZero())
		Expect(rep.Resent).To(HaveLen(1))
		Expect(rep.OK).To(Equal(1))
	})

	It("runs by itself at 23:59 IST, with an injected clock", func() {
		failTwo()
		done := events(h)
		waitFor(clk, 1)
		clk.Set(time.Date(2026, 12, 1, 23, 58, 0, 0, wire.IST))
		Expect(clk.Pending()).To(Equal(1), "a minute early: the batch still waits")
		Expect(h.srv.LastEOD()).To(BeZero())
		eod := time.Date(2026, 12, 1, 23, 59, 0, 0, wire.IST)
		clk.Set(eod)
		var rep EODReport
		Expect(json.Unmarshal(awaitEvent(done, "eod"), &rep)).To(Succeed())
		Expect(rep.Scheduled).To(BeTrue())
		Expect(rep.Resent).To(HaveLen(2))
		Expect(h.srv.LastEOD()).To(BeTemporally("==", eod))
		var page Page
		h.call(http.MethodGet, "/api/console/deliveries?limit=2", nil, &page)
		Expect(page.Attempts[0].Kind).To(Equal(deliverylog.EOD))
		waitFor(clk, 1) // and plans the next day's
		next, _ := clk.Next()
		Expect(next).To(BeTemporally("==", eod.AddDate(0, 0, 1)))
	})

	It("follows a change of the schedule", func() {
		failTwo()
		done := events(h)
		waitFor(clk, 1) // 23:59
		Expect(h.call(http.MethodPut, "/api/console/settings", Patch{EOD: ptr("21:30")}, nil)).To(Equal(http.StatusOK))
		waitFor(clk, 2) // and 21:30, planned again
		at := time.Date(2026, 12, 1, 21, 30, 0, 0, wire.IST)
		clk.Set(at)
		var rep EODReport
		Expect(json.Unmarshal(awaitEvent(done, "eod"), &rep)).To(Succeed())
		Expect(rep.Time).To(BeTemporally("==", at))
		Expect(h.srv.LastEOD()).To(BeTemporally("==", at))
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
