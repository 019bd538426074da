package console

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("an EOD re-send and its answer in a real browser", Label("browser"), func() {
	It("shows the EOD batch each re-send belongs to, on the timeline and in the detail, with the answer's headers", func() {
		// A consumer down for the first sends, then up; every answer says
		// which it was in a header of its own.
		var down atomic.Bool
		down.Store(true)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.Header().Set("Retry-After", "120")
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("X-Consumer-Trace", "trace-up")
			_, _ = w.Write([]byte(`{"ok":true}`))
		}))
		DeferCleanup(hook.Close)
		h := start(Key([]byte("k")), Override(Patch{WebhookURL: ptr(hook.URL)}))

		By("two failed sends: one for batch 1, one for batch 2")
		var first, second AttemptView
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, &first)).To(Equal(http.StatusOK))
		var rep EODReport
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
		Expect(rep.Batch).To(Equal(int64(1)))
		Expect(rep.Failed).To(Equal(1), "still down: batch 1's re-send fails too")
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, &second)).To(Equal(http.StatusOK))
		down.Store(false)

		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true"`),
		)).To(Succeed())

		By("running batch 2 from the page")
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#eod-now")),
			until(`document.querySelector("#eod-msg").textContent.startsWith("EOD batch 2: re-sent 1 failed deliveries once: 1 ok")`),
		)).To(Succeed())
		page, err := h.srv.Log().List(Filter{RequestID: second.RequestID}, 0, 10)
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Attempts).To(HaveLen(2))
		resent := page.Attempts[0] // newest first
		Expect(resent.EODBatch).To(Equal(int64(2)))

		By("the first delivery's timeline names batch 1, the failed re-send's answer its headers")
		Expect(chromedp.Do(ctx, deepLink(h.base, first.ID, 2))).To(Succeed())
		Expect(evalString(ctx, `[...document.querySelectorAll("#timeline li strong")].map((s) => s.textContent).join(",")`)).To(Equal("first send,EOD batch 1"))
		Expect(text(ctx, "#detail .answer-headers")).To(And(ContainSubstring("Retry-After"), ContainSubstring("120")))

		By("the second delivery's re-send is batch 2, on the timeline and in its detail, with its answer's headers")
		Expect(chromedp.Do(ctx, deepLink(h.base, resent.ID, 2))).To(Succeed())
		Expect(text(ctx, `#timeline li.current strong`)).To(Equal("EOD batch 2"))
		Expect(text(ctx, "#detail")).To(ContainSubstring(" · EOD batch 2 · console"))
		Expect(text(ctx, "#detail .answer-headers")).To(And(ContainSubstring("X-Consumer-Trace"), ContainSubstring("trace-up")))
	})
})
