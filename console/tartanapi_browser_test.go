package console

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/deliverylog"
)

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
		store := GinkgoT().TempDir() + "/c.db"
		// Wired as serve wires them: the box's sends go into the log as
		// source api, and the EOD batch hands their failures back to it.
		var b *box.Box
		var mu sync.Mutex
		ids := map[int]int64{} // the box's delivery numbers → the console's
		srv, err := New(Addr("127.0.0.1:0"), StorePath(store), EODThrough(deliverylog.FromAPI, func(_ context.Context, deliveries []int64) ([]int64, error) {
			b.EOD()
			return deliveries, nil
		}))
		Expect(err).NotTo(HaveOccurred())
		url, key, probe, err := srv.Where()
		Expect(err).NotTo(HaveOccurred())
		logged := box.OnSend(func(sent box.Sent) {
			mu.Lock()
			defer mu.Unlock()
			if id, err := srv.Record(deliverylog.FromAPI, sent.Kind, sent.Target, sent.Request, sent.Result, ids[sent.Seq]); err == nil {
				ids[sent.Seq] = id // a send not logged shows as a count the spec misses
			}
		})
		b, err = box.New(url, key, "panel-api-key", box.AcceptAfter(box.Never), box.Employees(12), box.WithProbe(probe), logged)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(b.Close)
		srv.Mount("/api/", b.Handler())
		srv.MountControls(box.ControlPrefix, b.Controls())
		h := startServer(srv)

		By("the backend inviting a corporate through the API")
		req, _ := http.NewRequest("POST", h.base+"/api/sdk/token/", strings.NewReader(`{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao"}`))
		req.Header.Set("Authorization", "Token panel-api-key")
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
		Expect(text(ctx, "#orgs tbody tr")).To(And(ContainSubstring(org), ContainSubstring("1 of 1")))

		By("failing the next two deliveries, then accepting: the initial sync loses its session start and a batch")
		Expect(chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS("#fail-n"), "2"),
			chromedp.Click(chromedp.CSS("#fail-next")),
			until(`document.querySelector("#api-msg").textContent.startsWith("The next 2 first send")`),
			chromedp.Click(chromedp.CSS(`#orgs tbody tr button`)),
			until(`document.querySelector("#orgs tbody tr").textContent.includes("of 4")`),
		)).To(Succeed(), "%s", text(ctx, "#api-msg"))
		Expect(text(ctx, "#orgs tbody tr")).To(ContainSubstring("2 of 4"), "the invite and one batch of 12 employees acknowledged")

		By("seeing them await the EOD batch in Deliveries")
		Expect(chromedp.Do(ctx, until(`document.querySelector("#stats").textContent.includes("2 awaiting EOD")`))).To(Succeed(), "%s", text(ctx, "#stats"))
		buttons, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("button")].filter(b => /EOD/.test(b.textContent)).length`))
		Expect(err).NotTo(HaveOccurred())
		Expect(buttons).To(Equal(1), "one EOD control")

		By("re-sending them with the one EOD batch, through the API, and seeing the verdict converge")
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#eod-now")),
			until(`document.querySelector("#eod-msg").textContent.startsWith("EOD batch handed 2 to the Tartan API")`),
			until(`document.querySelector("#orgs tbody tr").textContent.includes("4 of 4") && document.querySelector("#orgs tbody tr").textContent.includes("converged")`),
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
})
