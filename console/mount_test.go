package console

import (
	"io"
	"net/http"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("what serve runs beside the console", Label("serve", "mount"), func() {
	It("hears of every change of the settings, and learns where webhooks go", func() {
		var mu sync.Mutex
		var seen []Settings
		h := start(OnSettings(func(st Settings) { mu.Lock(); seen = append(seen, st); mu.Unlock() }))
		url, key, probe, err := h.srv.Where()
		Expect(err).NotTo(HaveOccurred())
		Expect(url).To(Equal(h.srv.builtin.webhookURL()), "no webhook URL: the built-in consumer")
		Expect(key).NotTo(BeEmpty())
		Expect(probe).NotTo(BeNil())

		Expect(h.call("PUT", "/api/console/settings", map[string]any{"events": []string{"connection.events.requested"}}, nil)).To(Equal(http.StatusOK))
		mu.Lock()
		got := append([]Settings(nil), seen...)
		mu.Unlock()
		Expect(got).To(HaveLen(1))
		Expect(got[0].Subscription().String()).To(Equal("connection.events.requested"))

		_, err = h.srv.Update(Patch{WebhookURL: ptr("http://127.0.0.1:1/hook")})
		Expect(err).NotTo(HaveOccurred())
		_, _, _, err = h.srv.Where()
		Expect(err).To(MatchError(ErrNoKey), "a URL of the user's own needs serve's key")
	})

	It("keeps its own API when something is mounted at /api/, and guards what is mounted as controls", func() {
		store := GinkgoT().TempDir() + "/c.db"
		srv, err := New(Addr("127.0.0.1:0"), StorePath(store))
		Expect(err).NotTo(HaveOccurred())
		mounted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
		srv.Mount("/api/", mounted)
		srv.MountControls("/_controls/", mounted)
		h := startServer(srv)
		Expect(h.call("GET", "/api/console/settings", nil, nil)).To(Equal(http.StatusOK))
		Expect(h.call("GET", "/api/sdk/token/", nil, nil)).To(Equal(http.StatusTeapot))
		Expect(h.call("POST", "/_controls/eod", map[string]any{}, nil)).To(Equal(http.StatusTeapot), "same origin")
		req, _ := http.NewRequest("POST", h.base+"/_controls/eod", nil)
		req.Header.Set("Origin", "http://evil.example")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusForbidden), "a cross-site write")
	})

	It("takes a control's body of another type than JSON from curl -d, and from no browser", func() {
		srv, err := New(Addr("127.0.0.1:0"), StorePath(GinkgoT().TempDir()+"/c.db"))
		Expect(err).NotTo(HaveOccurred())
		var mu sync.Mutex
		var bodies []string
		srv.MountControls("/_controls/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusTeapot)
		}))
		h := startServer(srv)
		post := func(path string, header ...string) int {
			req, _ := http.NewRequest("POST", h.base+path, strings.NewReader(`{"joiners":2}`))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // what curl -d sends
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			return resp.StatusCode
		}
		Expect(post("/_controls/orgs/x/sync")).To(Equal(http.StatusTeapot), "curl -d: neither Origin nor Sec-Fetch-Site")
		Expect(post("/_controls/orgs/x/sync", "Origin", "http://evil.example")).To(Equal(http.StatusForbidden), "a cross-site form post")
		Expect(post("/_controls/orgs/x/sync", "Sec-Fetch-Site", "cross-site")).To(Equal(http.StatusForbidden), "a cross-site form post")
		Expect(post("/_controls/orgs/x/sync", "Sec-Fetch-Site", "same-origin")).To(Equal(http.StatusUnsupportedMediaType), "a browser's form post, even from the page")
		Expect(post("/_controls/orgs/x/sync", "Origin", h.base)).To(Equal(http.StatusUnsupportedMediaType), "a browser's form post, even from the page")
		Expect(post("/api/console/eod")).To(Equal(http.StatusUnsupportedMediaType), "the console's own API stays JSON only")
		mu.Lock()
		defer mu.Unlock()
		Expect(bodies).To(Equal([]string{`{"joiners":2}`}), "only curl's body reached the controls")
	})
})
