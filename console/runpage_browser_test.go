package console

import (
	"context"
	"net/http"
	"net/http/httptest"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// holdRequests pauses the page's requests whose URL matches one of the
// patterns (fetch.RequestPattern, "*" a wildcard), at the stage given, and
// hands them over one by one; release lets one go on.
func holdRequests(ctx context.Context, stage fetch.RequestStage, patterns ...string) <-chan *fetch.EventRequestPaused {
	GinkgoHelper()
	paused := make(chan *fetch.EventRequestPaused, 16)
	Expect(chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			default: // more than the spec waits for: it fails on its own
			}
		}
	})).To(Succeed())
	var ps []*fetch.RequestPattern
	for _, p := range patterns {
		ps = append(ps, &fetch.RequestPattern{URLPattern: p, RequestStage: stage})
	}
	_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: ps})
	Expect(err).NotTo(HaveOccurred())
	return paused
}

func release(ctx context.Context, e *fetch.EventRequestPaused) {
	GinkgoHelper()
	_, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
	Expect(err).NotTo(HaveOccurred())
}

// next is the next paused request, which the spec waits for.
func next(ctx context.Context, paused <-chan *fetch.EventRequestPaused) *fetch.EventRequestPaused {
	GinkgoHelper()
	select {
	case e := <-paused:
		return e
	case <-ctx.Done():
		Fail("no request was paused before the browser's time ran out")
		return nil
	}
}

// runEnded waits until the server's newest run is no longer running.
func runEnded(h *harness) Run {
	GinkgoHelper()
	return waitRun(h, h.srv.Runs()[0].ID)
}

var _ = Describe("the runs section of the page", Label("browser", "runs"), func() {
	It("never goes back to running when the answer to its start comes after the run ended", func() {
		h := start()
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true" && document.querySelector("#conn").textContent === "live"`),
			// Mark, in a task after the page has handled it, that the answer
			// to POST /runs has been read: by then the page has rendered it.
			chromedp.Evaluate[chromedp.Void](`(() => {
				const f = window.fetch;
				window.fetch = async (url, init) => {
					const r = await f(url, init);
					if (init && init.method === "POST" && String(url).endsWith("/api/console/runs")) {
						const json = r.json.bind(r);
						r.json = async () => { const d = await json(); setTimeout(() => { window.runAnswered = true; }, 0); return d; };
					}
					return r;
				};
			})()`),
		)).To(Succeed())
		paused := holdRequests(ctx, fetch.RequestStageResponse, "*/api/console/runs")

		Expect(chromedp.Do(ctx, pick("#scenario", "onboarding"), chromedp.Click(chromedp.CSS("#run-scenario")))).To(Succeed())
		post := next(ctx, paused)
		Expect(post.Request.Method).To(Equal(http.MethodPost))
		ended := runEnded(h)
		Expect(ended.Verdict).To(Equal(VerdictPass))
		By("the stream telling the page first")
		Expect(chromedp.Do(ctx, until(`document.querySelector("#run-status").textContent.includes(": done,")`))).To(Succeed())

		By("then the answer to the start, which says running, arriving")
		release(ctx, post)
		Expect(chromedp.Do(ctx, until(`window.runAnswered === true`))).To(Succeed())
		Expect(text(ctx, "#run-status")).To(ContainSubstring("onboarding: done, 3 of 3 steps"))
		Expect(text(ctx, "#verdict")).To(Equal("PASS onboarding"))
		Expect(text(ctx, "#run-summary")).To(Equal("1 passed · 0 failed · 0 skipped"))
	})

	It("shows the end of a run that ended before its stream opened", func() {
		unblock := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-unblock:
			case <-r.Context().Done():
			}
		}))
		DeferCleanup(slow.Close)
		DeferCleanup(func() {
			select {
			case <-unblock:
			default:
				close(unblock)
			}
		})
		h := start(Key([]byte("k")), Override(Patch{WebhookURL: ptr(slow.URL)}))
		var r Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Conformance: true, Checks: []string{"SIG-VALID"}}, &r)).To(Equal(http.StatusAccepted))

		ctx := browser()
		Expect(chromedp.Do(ctx, chromedp.Navigate("about:blank"))).To(Succeed())
		paused := holdRequests(ctx, fetch.RequestStageRequest, "*/api/console/stream")
		Expect(chromedp.Do(ctx, chromedp.Navigate(h.base+"/"))).To(Succeed())
		stream := next(ctx, paused)
		Expect(chromedp.Do(ctx, until(`document.body.dataset.ready === "true"`))).To(Succeed())
		Expect(text(ctx, "#run-status")).To(ContainSubstring(": running,"), "the page read the runs while it went on")

		close(unblock)
		ended := runEnded(h)
		Expect(ended.State).To(Equal(RunDone))
		release(ctx, stream)
		Expect(chromedp.Do(ctx, until(`document.querySelector("#run-status").textContent.includes(": done,")`))).To(Succeed())
		Expect(text(ctx, "#verdict")).To(Equal(ended.Verdict + " conformance"))
	})
})
