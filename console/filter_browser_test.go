package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// typeInto sets an input's value as a user would, so that its input
// handler runs.
func typeInto(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`{ const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("input")); }`, sel, value))
}

// rowIDs is the expression of the ids the log's table shows, joined by commas.
const rowIDs = `[...document.querySelectorAll("#log tbody tr")].map((tr) => tr.dataset.id).join(",")`

var _ = Describe("the deliveries list in a real browser", Label("browser"), func() {
	It("shows a forged test webhook rejected as expected, finds by org prefix and requestId, deep-links, and exports what it shows", func() {
		h := start()
		var sent []AttemptView
		for _, sig := range []string{"valid", "valid", "valid"} {
			var v AttemptView
			Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated", Signature: sig}, &v)).To(Equal(http.StatusOK))
			sent = append(sent, v)
		}
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true"`),
		)).To(Succeed())

		By("sending a forged test webhook, which the consumer rightly rejects")
		Expect(chromedp.Do(ctx,
			pick("#test-event", "sync.events.initiated"),
			until(`document.querySelector("#payload").value.includes('"sync.events.initiated"')`),
			pick("#test-signature", "wrong-key"),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").textContent.startsWith("Attempt #4") && document.querySelector("#send-msg").classList.contains("good")`),
			until(`document.querySelector('#log tbody tr[data-id="4"]') !== null`),
			until(`document.querySelector("#stats").textContent.includes("4 as expected")`),
		)).To(Succeed())
		Expect(text(ctx, `#log tbody tr[data-id="4"]`)).To(And(ContainSubstring("401"), ContainSubstring("as expected"), ContainSubstring("forged")))
		Expect(text(ctx, `#log tbody tr[data-id="4"] td.expected`)).NotTo(ContainSubstring("not as expected"))
		Expect(text(ctx, "#send-result .expectation")).To(Equal("as expected expected a 4xx: forged"))
		Expect(text(ctx, "#stats")).To(ContainSubstring("0 not as expected"))

		By("filtering by the 8 characters of an org the table shows")
		org := sent[1].OrgID
		Expect(chromedp.Do(ctx,
			typeInto("#filter-org", org[:8]),
			until(fmt.Sprintf(`%s === "2" && location.search.includes("org=%s")`, rowIDs, org[:8])),
		)).To(Succeed())

		By("filtering by requestId")
		rid := sent[2].RequestID
		Expect(chromedp.Do(ctx,
			typeInto("#filter-org", ""),
			typeInto("#filter-request", rid),
			until(rowIDs+` === "3"`),
		)).To(Succeed())

		By("exporting what the filter shows, and only that")
		lines, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`fetch(document.querySelector("#export").href).then((r) => r.text()).then((t) => t.trim().split("\n"))`, chromedp.EvalAwaitPromise))
		Expect(err).NotTo(HaveOccurred())
		Expect(lines).To(HaveLen(1))
		Expect(lines[0]).To(ContainSubstring(rid))

		By("opening a deep link on the same view")
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/?requestId="+url.QueryEscape(rid)),
			until(`document.body.dataset.ready === "true"`),
			until(rowIDs+` === "3"`),
		)).To(Succeed())
		value, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#filter-request")))
		Expect(err).NotTo(HaveOccurred())
		Expect(value).To(Equal(rid))

		By("saying that nothing matches, not that nothing was sent")
		Expect(chromedp.Do(ctx,
			typeInto("#filter-request", "no-such-request"),
			until(rowIDs+` === "" && !document.querySelector("#nomatch").hidden`),
		)).To(Succeed())
		emptyHidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#empty").hidden`))
		Expect(err).NotTo(HaveOccurred())
		Expect(emptyHidden).To(BeTrue())
	})
})
