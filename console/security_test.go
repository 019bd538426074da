package console

import (
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the console's defences", Label("security"), func() {
	var h *harness
	BeforeEach(func() { h = start() })

	get := func(path string, header ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, h.base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			if header[i] == "Host" {
				req.Host = header[i+1]
			} else {
				req.Header.Set(header[i], header[i+1])
			}
		}
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(resp.Body.Close)
		return resp
	}

	It("binds loopback by default", func() {
		srv, err := New(StorePath(GinkgoT().TempDir() + "/c.db"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
		Expect(srv.Addr()).To(Equal(DefaultAddr))
		Expect(DefaultAddr).To(HavePrefix("127.0.0.1:"))
	})

	It("refuses a request whose Host is not its own address (DNS rebinding)", func() {
		resp := get("/api/console/settings", "Host", "attacker.example:"+strings.Split(h.srv.Addr(), ":")[1])
		Expect(resp.StatusCode).To(Equal(http.StatusMisdirectedRequest))
		body, _ := io.ReadAll(resp.Body)
		Expect(string(body)).To(ContainSubstring("answers only to"))
		Expect(get("/", "Host", "attacker.example").StatusCode).To(Equal(http.StatusMisdirectedRequest))
	})

	It("answers to its own address, by IP or as localhost", func() {
		port := strings.Split(h.srv.Addr(), ":")[1]
		Expect(get("/api/console/settings").StatusCode).To(Equal(http.StatusOK))
		Expect(get("/api/console/settings", "Host", "localhost:"+port).StatusCode).To(Equal(http.StatusOK))
	})

	It("refuses a state-changing request from another origin (CSRF)", func() {
		for _, hdr := range [][2]string{{"Origin", "http://attacker.example"}, {"Sec-Fetch-Site", "cross-site"}} {
			req, _ := http.NewRequest(http.MethodPost, h.base+"/api/console/eod", nil)
			req.Header.Set(hdr[0], hdr[1])
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusForbidden), hdr[0])
		}
		Expect(h.srv.LastEOD().IsZero()).To(BeTrue(), "no EOD batch ran")
	})

	It("takes a state change from its own page", func() {
		var rep EODReport
		Expect(h.call(http.MethodPost, "/api/console/eod", nil, &rep)).To(Equal(http.StatusOK))
	})

	It("refuses a body that is not JSON, which an HTML form could send", func() {
		req, _ := http.NewRequest(http.MethodPut, h.base+"/api/console/settings", strings.NewReader("webhookUrl=http://x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusUnsupportedMediaType))
	})

	It("sends no CORS headers, even to a preflight", func() {
		req, _ := http.NewRequest(http.MethodOptions, h.base+"/api/console/send", nil)
		req.Header.Set("Origin", "http://attacker.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		for _, r := range []*http.Response{resp, get("/api/console/settings", "Origin", "http://attacker.example"), get("/")} {
			for name := range r.Header {
				Expect(strings.ToLower(name)).NotTo(HavePrefix("access-control-"))
			}
		}
	})

	It("will not start on an address other than loopback without a token", func() {
		_, err := New(Addr("0.0.0.0:0"), StorePath(GinkgoT().TempDir()+"/c.db"))
		Expect(err).To(MatchError(ErrTokenRequired))
	})

	Describe("with a token", func() {
		var t *harness
		BeforeEach(func() { t = start(Token("s3cret-token")) })

		It("refuses requests without it, and takes the bearer header", func() {
			req, _ := http.NewRequest(http.MethodGet, t.base+"/api/console/settings", nil)
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
			req.Header.Set("Authorization", "Bearer s3cret-token")
			resp, err = http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
		})

		It("sets a strict cookie when the page is opened with ?token=", func() {
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(t.base + "/?token=s3cret-token")
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
			c := resp.Cookies()
			Expect(c).To(HaveLen(1))
			Expect(c[0].HttpOnly).To(BeTrue())
			Expect(c[0].SameSite).To(Equal(http.SameSiteStrictMode))
			resp, err = client.Get(t.base + "/?token=wrong")
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		})

		It("starts on every interface with one", func() {
			srv, err := New(Addr("0.0.0.0:0"), Token("t"), StorePath(GinkgoT().TempDir()+"/c.db"))
			Expect(err).NotTo(HaveOccurred())
			Expect(srv.Close()).To(Succeed())
		})
	})

	It("never returns the key", func() {
		key := "sk_live_console_SECRET_123"
		k := start(Key([]byte(key)))
		var sent AttemptView
		Expect(k.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, &sent)).To(Equal(http.StatusOK))
		for _, path := range []string{"/api/console/settings", "/api/console/deliveries", "/api/console/deliveries/1", "/api/console/export", "/api/console/stats", "/"} {
			resp, err := http.Get(k.base + path)
			Expect(err).NotTo(HaveOccurred())
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			Expect(string(body)).NotTo(ContainSubstring(key), path)
		}
	})
})

var _ = Describe("Mount", Label("security"), func() {
	It("serves another API beside the console, behind the Host check but not the console's token", func() {
		srv, err := New(Addr("127.0.0.1:0"), StorePath(GinkgoT().TempDir()+"/c.db"), Token("console-only"))
		Expect(err).NotTo(HaveOccurred())
		srv.Mount("/api/sdk/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"mounted":true}`))
		}))
		h := startServer(srv)
		resp, err := http.Post(h.base+"/api/sdk/token/", "application/json", strings.NewReader(`{}`))
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(string(body)).To(Equal(`{"mounted":true}`))

		req, _ := http.NewRequest(http.MethodGet, h.base+"/api/sdk/token/", nil)
		req.Host = "rebound.example"
		resp, err = http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusMisdirectedRequest))

		resp, err = http.Get(h.base + "/api/console/settings")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), "the console keeps its token")
	})
})
