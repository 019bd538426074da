package console

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// evalString evaluates a JavaScript expression on the page, at once.
func evalString(ctx context.Context, expr string) string {
	GinkgoHelper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	Expect(err).NotTo(HaveOccurred(), expr)
	return s
}

var _ = Describe("the workbench's details in a real browser", Label("browser"), func() {
	It("counts bytes as bytes, keeps an edited payload, deep-links to a delivery with its timeline, and says times with their zone", func() {
		h := start()
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true"`),
			pick("#test-event", "sync.events.initiated"),
			until(`document.querySelector("#payload").value.includes('"sync.events.initiated"') && document.querySelector("#payload").value === state.generated`),
		)).To(Succeed())

		By("editing the payload with text outside ASCII, then changing the event: the edit is kept, and said so")
		Expect(chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`{ const t = document.querySelector("#payload"); const p = JSON.parse(t.value); p.note = "नमस्ते — Zoë"; t.value = JSON.stringify(p, null, 2); }`),
			pick("#test-event", "connection.events.requested"),
			until(`document.querySelector("#send-msg").textContent.startsWith("Your edited payload is kept")`),
		)).To(Succeed())
		Expect(evalString(ctx, `document.querySelector("#payload").value`)).To(ContainSubstring("नमस्ते"))

		By("sending it: the body is counted in UTF-8 bytes, not characters")
		Expect(chromedp.Do(ctx,
			pick("#test-event", "sync.events.initiated"),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").textContent.startsWith("Attempt #1")`),
		)).To(Succeed())
		first, _, _ := h.srv.Log().Get(1)
		Expect(len(first.Body)).To(BeNumerically(">", utf8.RuneCountInString(first.Body)))
		Expect(text(ctx, "#send-result")).To(ContainSubstring(fmt.Sprintf("Body (%d bytes)", len(first.Body))))

		By("hiding the answer of the last send under a new error")
		Expect(chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS("#payload"), "{not json"),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").classList.contains("error") && document.querySelector("#send-result").hidden`),
		)).To(Succeed())

		By("a resend makes the delivery's second attempt")
		var again AttemptView
		Expect(h.call(http.MethodPost, "/api/console/deliveries/1/resend", struct{}{}, &again)).To(Equal(http.StatusOK))

		By("warning before the edited payload is lost with the page")
		dialogs := make(chan string, 4)
		Expect(chromedp.Listen(ctx, func(ev any) {
			if e, ok := ev.(*page.EventJavascriptDialogOpening); ok {
				dialogs <- string(e.Type)
				go func() {
					_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				}()
			}
		})).To(Succeed())

		By("a deep link to the delivery opens it, with its attempts on a timeline")
		Expect(chromedp.Do(ctx, deepLink(h.base, again.ID, 2))).To(Succeed())
		Expect(dialogs).To(Receive(Equal("beforeunload")))
		Expect(text(ctx, "#detail")).To(ContainSubstring(fmt.Sprintf("Attempt #%d", again.ID)))
		Expect(evalString(ctx, `[...document.querySelectorAll("#timeline li")].map((li) => li.dataset.kind).join(",")`)).To(Equal("first,resend"))
		Expect(evalString(ctx, `document.querySelector("#timeline li.current").dataset.id`)).To(Equal(fmt.Sprint(again.ID)))

		By("moving along the timeline from the keyboard, the link following")
		Expect(chromedp.Do(ctx,
			chromedp.Focus(chromedp.CSS(`#timeline li[data-kind="first"]`)),
			chromedp.KeyEvent("\r"),
			until(`location.search === "?attempt=1" && document.querySelector("#detail strong").textContent === "Attempt #1"`),
		)).To(Succeed())

		By("opening a row of the list from the keyboard")
		Expect(chromedp.Do(ctx,
			chromedp.Focus(chromedp.CSS(`#log tbody tr[data-id="2"]`)),
			chromedp.KeyEvent(" "),
			until(`location.search === "?attempt=2" && document.querySelector("#detail strong").textContent === "Attempt #2"`),
			chromedp.Focus(chromedp.CSS(`#log tbody tr[data-id="1"]`)),
			chromedp.KeyEvent("\r"),
			until(`location.search === "?attempt=1" && document.querySelector("#detail strong").textContent === "Attempt #1"`),
		)).To(Succeed())

		By("saying every time in one format with its zone")
		zone := evalString(ctx, `Intl.DateTimeFormat().resolvedOptions().timeZone`)
		Expect(text(ctx, "#time-head")).To(Equal("time (" + zone + ")"))
		Expect(text(ctx, "#detail .row .muted")).To(MatchRegexp(`^delivery #1 · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ` + zone + `$`))
		Expect(text(ctx, "#eod-state")).To(MatchRegexp(`^Next EOD batch: \d{4}-\d\d-\d\d 23:59:00 IST\.$`))

		By("saving a URL of the user's own without an app key: saved, with the warning that sends will be refused")
		Expect(chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS("#webhook-url"), "http://127.0.0.1:9/hook"),
			chromedp.Click(chromedp.CSS("#save-settings")),
			until(`document.querySelector("#settings-msg").classList.contains("warn")`),
		)).To(Succeed())
		Expect(text(ctx, "#settings-msg")).To(ContainSubstring("But serve has no app key, so it will refuse to send to http://127.0.0.1:9/hook"))

		if os.Getenv(screenshotEnv) == "1" {
			Expect(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#deliveries").scrollIntoView()`))).To(Succeed())
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join("..", "docs", "console-deliveries.png"), png, 0o644)).To(Succeed())
		}
	})

	It("follows the system's dark mode, tests the connection, and says in a sentence that serve is not answering", func() {
		h := start()
		ctx := browser()
		Expect(chromedp.Do(ctx)).To(Succeed())
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		Expect(err).NotTo(HaveOccurred())
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true" && document.querySelector("#conn").textContent === "live"`),
		)).To(Succeed())
		Expect(evalString(ctx, `getComputedStyle(document.body).backgroundColor`)).To(Equal("rgb(15, 20, 27)"))
		Expect(evalString(ctx, `getComputedStyle(document.querySelector(".card")).backgroundColor`)).To(Equal("rgb(23, 29, 38)"))

		if os.Getenv(screenshotEnv) == "1" {
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join("..", "docs", "console-dark.png"), png, 0o644)).To(Succeed())
		}

		By("testing the connection of the webhook URL and the probe")
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#test-connection")),
			until(`document.querySelectorAll("#connection .reach.ok").length === 2`),
		)).To(Succeed())
		Expect(text(ctx, "#connection")).To(And(ContainSubstring("Webhook URL"), ContainSubstring("State probe"), ContainSubstring("answers")))
		Expect(h.srv.Log().Counts().Total).To(BeZero(), "the test sent no webhook")

		h.close()
		Expect(chromedp.Do(ctx,
			until(`document.querySelector("#conn").textContent.startsWith("reconnecting: serve does not answer")`),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").classList.contains("error")`),
		)).To(Succeed())
		Expect(text(ctx, "#send-msg")).To(Equal("tartansim serve does not answer: it may be restarting. The page reconnects by itself; try again in a moment."))
	})
})
