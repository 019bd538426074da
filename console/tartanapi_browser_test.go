package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/deliverylog"
)

// panelKey is the API key of the box the panel's specs mount.
const panelKey = "panel-api-key"

// withBox starts a console with a box beside it, wired as serve wires
// them: the box's sends go into the log as source api, the EOD batch hands
// their failures back to it, and its API, controls and corporates are
// mounted.
func withBox(opts ...box.Option) (*harness, *box.Box) {
	GinkgoHelper()
	store := GinkgoT().TempDir() + "/c.db"
	var b *box.Box
	var mu sync.Mutex
	ids := map[int]int64{} // the box's delivery numbers → the console's
	var base string
	srv, err := New(Addr("127.0.0.1:0"), StorePath(store), EODThrough(deliverylog.FromAPI, func(_ context.Context, deliveries []int64) ([]int64, error) {
		b.EOD()
		return deliveries, nil
	}), OrgNames(func(name string) []string { return b.Named(name) }),
		// Recover through the box's resend as the consumer's backend calls it.
		RecoverThrough(func(ctx context.Context, since, until time.Time) (int, error) {
			body := fmt.Sprintf(`{"search_type":"timestamp_range","status":"failed","start_time":%q,"end_time":%q}`, since.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/webhooks/resend", strings.NewReader(body))
			req.Header.Set("Authorization", "Token "+panelKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			var got struct {
				Count int `json:"count"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
				return 0, fmt.Errorf("the box answered %d", resp.StatusCode)
			}
			return got.Count, nil
		}))
	Expect(err).NotTo(HaveOccurred())
	url, key, probe, err := srv.Where()
	Expect(err).NotTo(HaveOccurred())
	logged := box.OnSend(func(sent box.Sent) {
		mu.Lock()
		defer mu.Unlock()
		if id, err := srv.Record(deliverylog.FromAPI, sent.Kind, sent.EODBatch, sent.Target, sent.Request, sent.Result, ids[sent.Seq]); err == nil {
			ids[sent.Seq] = id // a send not logged shows as a count the spec misses
		}
	})
	b, err = box.New(url, key, panelKey, append(opts, box.WithProbe(probe), logged)...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Close)
	srv.Mount("/api/", b.Handler())
	srv.MountControls(box.ControlPrefix, b.Controls())
	srv.MountControls(box.CorporatesPath, b.CorporatesHandler())
	h := startServer(srv)
	base = h.base
	return h, b
}

var _ = Describe("the Tartan API panel in a real browser", Label("browser", "api"), func() {
	It("stays hidden when the console runs alone", func() {
		h := start()
		ctx := browser()
		Expect(chromedp.Do(ctx, chromedp.Navigate(h.base+"/"), until(`document.body.dataset.ready === "true"`))).To(Succeed())
		hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#tartan-api").hidden`))
		Expect(err).NotTo(HaveOccurred())
		Expect(hidden).To(BeTrue())
	})

	It("shows the corporates the backend invited, accepts one, fails two deliveries, re-sends them with the one EOD batch, and gives the verdict", func() {
		h, b := withBox(box.AcceptAfter(box.Never), box.Employees(12))

		By("the backend inviting a corporate through the API")
		req, _ := http.NewRequest("POST", h.base+"/api/sdk/token/", strings.NewReader(`{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao"}`))
		req.Header.Set("Authorization", "Token "+panelKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))

		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true"`),
			until(`!document.querySelector("#tartan-api").hidden && document.querySelectorAll("#orgs tbody tr").length === 1`),
		)).To(Succeed())
		org := b.Orgs()[0]
		Expect(text(ctx, "#orgs tbody tr")).To(And(ContainSubstring(org), ContainSubstring("Acme"), ContainSubstring("invited"), ContainSubstring("1 acknowledged · 0 failed")))

		By("failing the next two deliveries, then accepting: the initial sync loses its session start and a batch")
		Expect(chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS("#fail-n"), "2"),
			chromedp.Click(chromedp.CSS("#fail-next")),
			until(`document.querySelector("#api-msg").textContent.startsWith("The next 2 first send")`),
			until(`document.querySelector("#armed").textContent === "Armed: the next 2 first send(s) will fail (drop)." && !document.querySelector("#disarm").hidden`),
			chromedp.Click(chromedp.CSS(`#orgs tbody tr button`)),
			until(`document.querySelector("#api-msg").textContent.startsWith("Acme accepted the invite")`),
			until(`(() => { const m = document.querySelector("#orgs tbody tr td.deliveries").textContent.match(/(\d+) acknowledged · (\d+) failed/); return m !== null && Number(m[1]) + Number(m[2]) === 4; })()`),
		)).To(Succeed(), "%s / %s", text(ctx, "#api-msg"), text(ctx, "#orgs tbody tr"))
		Expect(text(ctx, "#orgs tbody tr")).To(ContainSubstring("2 acknowledged · 2 failed"), "the invite and one batch of 12 employees acknowledged")
		Expect(chromedp.Do(ctx, until(`document.querySelector("#armed").textContent === "Nothing armed." && document.querySelector("#disarm").hidden`))).To(Succeed(), "the armed failures were spent")

		By("seeing them await the EOD batch in Deliveries")
		Expect(chromedp.Do(ctx, until(`document.querySelector("#stats").textContent.includes("2 awaiting EOD")`))).To(Succeed(), "%s", text(ctx, "#stats"))
		buttons, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("button")].filter(b => /EOD/.test(b.textContent)).length`))
		Expect(err).NotTo(HaveOccurred())
		Expect(buttons).To(Equal(1), "one EOD control")

		By("re-sending them with the one EOD batch, through the API, and seeing the verdict converge")
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#eod-now")),
			until(`document.querySelector("#eod-msg").textContent.match(/^EOD batch \d+: handed 2 to the Tartan API/)`),
			until(`document.querySelector("#orgs tbody tr").textContent.includes("4 acknowledged · 0 failed") && document.querySelector("#orgs tbody tr").textContent.includes("converged")`),
			until(`document.querySelector("#stats").textContent.includes("0 awaiting EOD")`),
		)).To(Succeed(), "%s", text(ctx, "#orgs tbody tr"))
		var page Page
		Expect(h.call(http.MethodGet, "/api/console/deliveries?limit=100", nil, &page)).To(Equal(http.StatusOK))
		eods := 0
		for _, a := range page.Attempts {
			Expect(a.Source).To(Equal(deliverylog.FromAPI))
			if a.Kind == deliverylog.EOD {
				eods++
				Expect(a.Outcome).To(Equal(OutcomeOK))
			}
		}
		Expect(eods).To(Equal(2), "re-sent by the box, logged by it, in their deliveries")
	})

	It("gives a curl that, pasted into a shell, invites a corporate on this very server, with the API key as a variable", func() {
		h, b := withBox(box.AcceptAfter(box.Never), box.Employees(5))
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true" && !document.querySelector("#tartan-api").hidden`),
		)).To(Succeed())
		Expect(text(ctx, "#orgs-empty")).To(ContainSubstring("No corporate invited yet"))
		line := text(ctx, "#invite-curl")
		Expect(line).To(And(ContainSubstring(h.base+"/api/sdk/token/"), ContainSubstring("$TARTAN_API_KEY")))
		Expect(line).NotTo(ContainSubstring(panelKey), "the key is a variable, never its value")

		cmd := exec.Command("sh", "-c", line)
		cmd.Env = append(os.Environ(), "TARTAN_API_KEY="+panelKey)
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
		Expect(string(out)).To(ContainSubstring(`"org_id"`))
		Expect(chromedp.Do(ctx, until(`document.querySelectorAll("#orgs tbody tr").length === 1`))).To(Succeed())
		Expect(text(ctx, "#orgs tbody tr")).To(And(ContainSubstring("Acme Pvt Ltd"), ContainSubstring("remote id acme-1"), ContainSubstring(b.Orgs()[0]), ContainSubstring("invited")))

		if os.Getenv(screenshotEnv) == "1" {
			Expect(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#tartan-api").scrollIntoView()`))).To(Succeed())
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join("..", "docs", "console-api.png"), png, 0o644)).To(Succeed())
		}
	})

	It("recovers every failure since a time as one action, and finds a corporate's deliveries by its name", func() {
		h, b := withBox(box.AcceptAfter(box.Never))
		ctx := browser()
		Expect(chromedp.Do(ctx,
			chromedp.Navigate(h.base+"/"),
			until(`document.body.dataset.ready === "true" && !document.querySelector("#tartan-api").hidden`),
			chromedp.SetValue(chromedp.CSS("#fail-n"), "1"),
			chromedp.Click(chromedp.CSS("#fail-next")),
			until(`document.querySelector("#armed").textContent.startsWith("Armed: the next 1")`),
		)).To(Succeed())
		_, _, err := b.Invite(box.Invitation{Email: "hr@acme.in", OrgName: "Acme Pvt Ltd", FullName: "Asha Rao"})
		Expect(err).NotTo(HaveOccurred())
		Expect(chromedp.Do(ctx, until(`document.querySelector("#stats").textContent.includes("1 awaiting EOD")`))).To(Succeed())

		By("recovering every failure since a minute ago: Tartan's own resend")
		Expect(chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`{ const d = new Date(Date.now() - 60000); document.querySelector("#recover-since").value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19); }`),
			chromedp.Click(chromedp.CSS("#recover")),
			until(`document.querySelector("#eod-msg").textContent.startsWith("Tartan's resend took 1 failed delivery")`),
			until(`document.querySelector('#log tbody tr[data-id="2"]') !== null`),
		)).To(Succeed(), "%s", text(ctx, "#eod-msg"))
		again, _, _ := h.srv.Log().Get(2)
		Expect(again.Kind).To(Equal(deliverylog.Resend))
		Expect(again.Delivery).To(BeEquivalentTo(1))
		Eventually(func() int { return b.Corporates()[0].Verdict.Acknowledged }, "10s", "20ms").Should(Equal(1), "the resend counts in the box's verdict")

		By("filtering by the corporate's name")
		Expect(chromedp.Do(ctx,
			typeInto("#filter-org", "acme"),
			until(rowIDs+` === "2,1" && location.search === "?org=acme"`),
			typeInto("#filter-org", "zeta"),
			until(rowIDs+` === "" && !document.querySelector("#nomatch").hidden`),
		)).To(Succeed())
	})
})
