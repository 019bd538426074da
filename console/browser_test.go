package console

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tartansim/tartansim/deliverylog"
)

// chromiumPath is where Debian's chromium package puts the browser; .ci/run
// installs it.
const chromiumPath = "/usr/bin/chromium"

// screenshotEnv, set to 1, makes the browser spec rewrite docs/console.png.
const screenshotEnv = "TARTAN_SCREENSHOT"

// browser starts headless Chromium for one spec and returns its context.
// Without Chromium the spec fails under CI=true (CI installs it) and is
// skipped, saying why, elsewhere.
func browser() context.Context {
	GinkgoHelper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		found, lerr := exec.LookPath("chromium")
		if lerr != nil {
			if os.Getenv("CI") == "true" {
				Fail("Chromium is missing at " + chromiumPath + ": .ci/run installs it (apt-get install -y chromium)")
			}
			Skip("Chromium is not installed (apt-get install -y chromium); the browser specs need it")
		}
		path = found
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(GinkgoT().TempDir()), chromedp.WindowSize(1280, 900))
	ctx, cancel := chromedp.NewContext(alloc)
	Expect(chromedp.Do(ctx)).To(Succeed(), "Chromium starts") // the browser lives as long as ctx
	DeferCleanup(func() {
		cancel()
		cancelAlloc()
	})
	tctx, stop := context.WithTimeout(ctx, 90*time.Second)
	DeferCleanup(stop)
	return tctx
}

// until waits for a JavaScript condition on the page.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))
}

// deepLink opens the page on attempt id of base and waits for its
// delivery's timeline of n attempts.
func deepLink(base string, id int64, n int) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(fmt.Sprintf("%s/?attempt=%d", base, id)),
		until(`document.body.dataset.ready === "true"`),
		until(fmt.Sprintf(`document.querySelectorAll("#timeline li").length === %d`, n)),
	)
}

// text of the element sel.
func text(ctx context.Context, sel string) string {
	GinkgoHelper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	Expect(err).NotTo(HaveOccurred(), sel)
	return s
}

// pick sets a select's value as a user would, so that its change handler runs.
func pick(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change"))`, sel)),
	)
}

var _ = Describe("the console page in a real browser", Label("browser"), Ordered, func() {
	It("subscribes, sends a test webhook, shows, opens and resends it, and runs a scenario to its verdict", func() {
		h := start()
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true"`),
		)).To(Succeed())

		By("subscribing to two events")
		keep := map[string]bool{"connection.events.requested": true, "sync.events.employee.add/initial": true}
		for _, e := range h.srv.settingsView().Catalogue {
			if !keep[e.ID] {
				Expect(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#events input[data-event=%q]`, e.ID))))).To(Succeed())
			}
		}
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#save-settings")),
			until(`document.querySelector("#settings-msg").textContent.includes("2 event(s) subscribed")`),
		)).To(Succeed())
		Expect(h.srv.Settings().Events).To(Equal("connection.events.requested,sync.events.employee.add/initial"))

		By("refusing a test send of an event outside the subscription, in one sentence")
		Expect(chromedp.Do(ctx,
			pick("#test-event", "sync.events.initiated"),
			until(`document.querySelector("#payload").value.includes('"sync.events.initiated"')`),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").classList.contains("error")`),
		)).To(Succeed())
		Expect(text(ctx, "#send-msg")).To(Equal("sync.events.initiated (sync.events) is not among the subscribed events, so Tartan would not send it; tick it under Endpoint first."))

		By("sending a test event, and seeing the exact request and the answer")
		Expect(chromedp.Do(ctx,
			pick("#test-event", "sync.events.employee.add/initial"),
			until(`document.querySelector("#payload").value.includes('"sync.events.initial"')`),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").textContent.startsWith("Attempt #1")`),
		)).To(Succeed())
		Expect(text(ctx, "#send-result")).To(And(ContainSubstring("tartan-signature"), ContainSubstring("200 OK"), ContainSubstring("curl")))

		By("seeing it in the log with its status")
		Expect(chromedp.Do(ctx, until(`document.querySelector('#log tbody tr[data-id="1"]') !== null`))).To(Succeed())
		Expect(text(ctx, `#log tbody tr[data-id="1"]`)).To(And(ContainSubstring("200"), ContainSubstring("sync.events.employee.add")))

		By("opening it and resending its identical bytes")
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`#log tbody tr[data-id="1"]`)),
			until(`document.querySelector("#resend") !== null`),
			chromedp.Click(chromedp.CSS("#resend")),
			until(`document.querySelector("#detail-msg").textContent.startsWith("Re-sent as attempt #2")`),
			until(`document.querySelector('#log tbody tr[data-id="2"]') !== null`),
		)).To(Succeed())
		first, _, _ := h.srv.Log().Get(1)
		again, _, _ := h.srv.Log().Get(2)
		Expect(again.Body).To(Equal(first.Body))
		Expect(again.Kind).To(Equal(deliverylog.Resend))
		Expect(text(ctx, "#detail")).To(ContainSubstring(first.RequestID))

		By("running a scenario and seeing its verdict")
		Expect(chromedp.Do(ctx,
			pick("#scenario", "eod-retry"),
			chromedp.Click(chromedp.CSS("#run-scenario")),
			until(`document.querySelector("#verdict") !== null`),
		)).To(Succeed())
		Expect(text(ctx, "#verdict")).To(Equal("PASS eod-retry"))
		Expect(text(ctx, "#run-status")).To(ContainSubstring("done"))
		Expect(text(ctx, "#run-verdict")).To(ContainSubstring("converged"))

		if os.Getenv(screenshotEnv) == "1" {
			Expect(chromedp.Do(ctx,
				until(`document.querySelectorAll("#log tbody tr").length > 5`),
				chromedp.Click(chromedp.CSS(`#log tbody tr:first-child`)),
				until(`document.querySelector("#detail-msg") !== null`),
				chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
			)).To(Succeed())
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join("..", "docs", "console.png"), png, 0o644)).To(Succeed())
		}

		By("filtering the log by outcome")
		Expect(chromedp.Do(ctx,
			pick("#filter-outcome", "failed"),
			until(`document.querySelectorAll("#log tbody tr").length > 0 && [...document.querySelectorAll("#log tbody tr")].every(tr => tr.dataset.outcome === "failed")`),
		)).To(Succeed())

		By("loading nothing from anywhere but the server itself")
		offsite, err := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").filter(e => !e.name.startsWith(location.origin)).length`))
		Expect(err).NotTo(HaveOccurred())
		Expect(offsite).To(BeZero())

	})

	It("shows a bad webhook URL and a malformed payload as one sentence in the page", func() {
		h := start()
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true"`),
			chromedp.SetValue(chromedp.CSS("#webhook-url"), "ftp://example.com/hook"),
			chromedp.Click(chromedp.CSS("#save-settings")),
			until(`document.querySelector("#settings-msg").classList.contains("error")`),
		)).To(Succeed())
		Expect(text(ctx, "#settings-msg")).To(Equal(`The webhook URL "ftp://example.com/hook" is not an http:// or https:// URL.`))
		Expect(h.srv.Settings().WebhookURL).To(BeEmpty())

		Expect(chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS("#payload"), "{\n  \"event\": \"sync.events.initiated\",,\n}"),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").classList.contains("error")`),
		)).To(Succeed())
		Expect(text(ctx, "#send-msg")).To(HavePrefix("The payload is not valid JSON at line 2, column"))
		Expect(h.srv.Log().Counts().Total).To(BeZero())
		var st Stats
		Expect(h.call(http.MethodGet, "/api/console/stats", nil, &st)).To(Equal(http.StatusOK))
		Expect(strconv.Itoa(int(st.Total))).To(Equal("0"))
	})

	It("works with a token: opened once with ?token=, then by its cookie", func() {
		h := start(Token("page-token-42"))
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/?token=page-token-42"),
			until(`document.body.dataset.ready === "true"`),
			until(`location.search === ""`),
			chromedp.Click(chromedp.CSS("#send")),
			until(`document.querySelector("#send-msg").textContent.startsWith("Attempt #1")`),
			until(`document.querySelector("#conn").textContent === "live"`),
		)).To(Succeed())
		Expect(h.srv.Log().Counts().Total).To(BeEquivalentTo(1))
	})
})
