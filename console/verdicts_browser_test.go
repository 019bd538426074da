package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
)

// lookAlikeConsumer is the reference consumer with one bug: its probe
// reports the first text field of each org's first employee with a
// zero-width space appended, a state that differs from the truth in what
// no one can see.
func lookAlikeConsumer(key []byte) (webhook, probeURL string) {
	c := consumer.New(key)
	mux := http.NewServeMux()
	mux.Handle(consumer.WebhookPath, c)
	mux.Handle(consumer.ProbePath, probe.Handler(func(_ context.Context, orgID string) (probe.State, error) {
		st := c.State(orgID)
		if len(st.Employees) > 0 {
			first := st.Employees[0]
			keys := make([]string, 0, len(first))
			for k := range first {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if v, ok := first[k].(string); ok && k != "employeeId" && v != "" {
					first[k] = v + "\u200b"
					break
				}
			}
		}
		return st, nil
	}))
	srv := httptest.NewServer(mux)
	DeferCleanup(srv.Close)
	return srv.URL + consumer.WebhookPath, srv.URL + consumer.ProbePath
}

var _ = Describe("verdicts in a real browser", Label("browser", "runs"), func() {
	It("open on the latest run's summary, failures first with their evidence and record diff above the fold, and rerun one check", func() {
		key := []byte("verdicts-key")
		webhook, probeURL := lookAlikeConsumer(key)
		h := start(Key(key), Settle(0), Override(Patch{WebhookURL: ptr(webhook), ProbeURL: ptr(probeURL)}))
		r := runToEnd(h, RunRequest{Conformance: true, Checks: []string{"LIFE-CONNECTION", "PAY-TEXT", "DEL-ACK-TIME"}})
		Expect(r.Verdict).To(Equal(VerdictFail))
		Expect(r.Summary.Failed).To(Equal(1), "%+v", r.Checks)

		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true"`),
		)).To(Succeed())
		Expect(text(ctx, "#run-summary")).To(Equal("2 passed · 1 failed · 0 skipped"))
		Expect(text(ctx, "#verdict")).To(Equal("FAIL conformance"))

		By("listing the failure first, its evidence open, its diff escaped")
		first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#run-steps li.check").dataset.check + " " + document.querySelector("#run-steps li.check").dataset.verdict`))
		Expect(err).NotTo(HaveOccurred())
		Expect(first).To(Equal("PAY-TEXT FAIL"))
		open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const d = document.querySelector('li[data-check="PAY-TEXT"] details.evidence'); return d === null || d.open; })()`))
		Expect(err).NotTo(HaveOccurred())
		Expect(open).To(BeTrue())
		row := text(ctx, `li[data-check="PAY-TEXT"] table.diff tr.escaped`)
		Expect(row).To(And(ContainSubstring(`\u200b`), ContainSubstring("characters you cannot see")))
		Expect(strings.Count(text(ctx, `li[data-check="PAY-TEXT"]`), r.Checks[slices.IndexFunc(r.Checks, func(c CheckVerdict) bool { return c.ID == "PAY-TEXT" })].Details[0])).To(Equal(1), "each evidence line once")

		By("showing the summary and the failing check's diff above the fold")
		fold, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const inView = (e) => { const b = e.getBoundingClientRect(); return b.top >= 0 && b.bottom <= innerHeight; };
			return inView(document.querySelector("#run-summary")) && inView(document.querySelector('li[data-check="PAY-TEXT"] table.diff tr.escaped'));
		})()`))
		Expect(err).NotTo(HaveOccurred())
		Expect(fold).To(BeTrue())

		if os.Getenv(screenshotEnv) == "1" {
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join("..", "docs", "console-verdicts.png"), png, 0o644)).To(Succeed())
		}

		By("showing failures only when asked")
		Expect(chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#failures-only")))).To(Succeed())
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#run-steps li.check")].filter((li) => !li.hidden).map((li) => li.dataset.check).join(",")`))
		Expect(err).NotTo(HaveOccurred())
		Expect(shown).To(Equal("PAY-TEXT"))

		By("rerunning the failing check alone")
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`li[data-check="PAY-TEXT"] button.rerun`)),
			until(`document.querySelector("#run-status").textContent.includes(": done, 1 of 1 checks")`),
		)).To(Succeed())
		again := h.srv.Runs()[0]
		Expect(again.ID).NotTo(Equal(r.ID))
		Expect(again.Checks).To(HaveLen(1))
		Expect(again.Checks[0].ID).To(Equal("PAY-TEXT"))
		Expect(text(ctx, "#run-summary")).To(Equal("0 passed · 1 failed · 0 skipped"))
	})
})
