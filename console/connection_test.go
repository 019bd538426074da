package console

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/sender"
)

var _ = Describe("the connection test", Label("api"), func() {
	It("says the built-in consumer and its probe answer", func() {
		h := start()
		var c Connection
		Expect(h.call(http.MethodPost, "/api/console/connection", ConnectionRequest{}, &c)).To(Equal(http.StatusOK))
		Expect(c.Webhook.Answered).To(BeTrue(), c.Webhook.Result)
		Expect(c.Probe).NotTo(BeNil())
		Expect(c.Probe.Answered).To(BeTrue(), c.Probe.Result)
		Expect(c.Probe.Result).To(Equal("answered with a state: 0 employee(s) for an org no delivery named"))
	})

	It("asks the URLs as typed with a GET, nothing signed and nothing logged, and says which do not answer", func() {
		var mu sync.Mutex
		var seen []*http.Request
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r)
			mu.Unlock()
			w.WriteHeader(http.StatusMethodNotAllowed)
		}))
		DeferCleanup(hook.Close)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		closed := "http://" + ln.Addr().String() + "/probe"
		Expect(ln.Close()).To(Succeed())

		h := start(Key([]byte("k")))
		var c Connection
		Expect(h.call(http.MethodPost, "/api/console/connection", ConnectionRequest{WebhookURL: ptr(hook.URL + consumer.WebhookPath), ProbeURL: ptr(closed)}, &c)).To(Equal(http.StatusOK))
		Expect(c.Webhook).To(And(HaveField("Answered", true), HaveField("Status", http.StatusMethodNotAllowed)))
		Expect(c.Webhook.Result).To(Equal("answered 405 Method Not Allowed to a GET"))
		Expect(c.Probe.Answered).To(BeFalse())
		Expect(c.Probe.Result).To(ContainSubstring("did not answer with a state"))
		mu.Lock()
		Expect(seen).To(HaveLen(1))
		Expect(seen[0].Method).To(Equal(http.MethodGet))
		_, signed := sender.SignatureHeader(seen[0].Header)
		Expect(signed).To(BeFalse(), "nothing signed")
		mu.Unlock()
		Expect(h.srv.Log().Counts().Total).To(BeZero(), "nothing logged")
		Expect(h.srv.Settings().WebhookURL).To(BeEmpty(), "the settings stay as they were")

		By("a webhook URL that refuses the connection")
		c = Connection{}
		Expect(h.call(http.MethodPost, "/api/console/connection", ConnectionRequest{WebhookURL: ptr(closed)}, &c)).To(Equal(http.StatusOK))
		Expect(c.Webhook.Answered).To(BeFalse())
		Expect(c.Webhook.Result).To(Equal("did not answer: connection refused"))
		Expect(c.Probe).To(BeNil(), "no probe set")

		By("a URL that cannot be read, refused by its key")
		code, e := h.errorOf(http.MethodPost, "/api/console/connection", ConnectionRequest{WebhookURL: ptr("ftp://example.com/hook")})
		Expect(code).To(Equal(http.StatusBadRequest))
		Expect(e).To(Equal(`The webhook URL "ftp://example.com/hook" is not an http:// or https:// URL.`))
	})
})
