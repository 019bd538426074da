package console

import (
	"net/http"
	"strings"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
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

	It("shows the corporates the backend invited, accepts one, fails two deliveries, re-sends them at EOD, and gives the verdict", func() {
		store := GinkgoT().TempDir() + "/c.db"
		srv, err := New(Addr("127.0.0.1:0"), StorePath(store))
		Expect(err).NotTo(HaveOccurred())
		url, key, probe, err := srv.Where()
		Expect(err).NotTo(HaveOccurred())
		b, err := box.New(url, key, "panel-api-key", box.AcceptAfter(box.Never), box.Employees(12), box.WithProbe(probe))
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

		By("re-sending them with the EOD batch, and seeing the verdict converge")
		Expect(chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#api-eod")),
			until(`document.querySelector("#api-msg").textContent.startsWith("EOD batch: re-sent 2 ")`),
			until(`document.querySelector("#orgs tbody tr").textContent.includes("4 of 4") && document.querySelector("#orgs tbody tr").textContent.includes("converged")`),
		)).To(Succeed(), "%s", text(ctx, "#orgs tbody tr"))
	})
})
