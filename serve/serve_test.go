package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/internal/apicall"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/serve"
)

const (
	apiKey = "the-api-key"
	appKey = "the-app-key"
)

// start runs a Server on loopback, with a store of its own, until the
// spec ends; it returns the server and its base URL (no trailing slash).
func start(boxOpts []box.Option, consoleOpts ...console.Option) (*serve.Server, string) {
	GinkgoHelper()
	srv, base, _ := startAt(filepath.Join(GinkgoT().TempDir(), "console.db"), boxOpts, consoleOpts...)
	return srv, base
}

// startAt runs a Server on loopback with the store at path until stop is
// called or the spec ends.
func startAt(path string, boxOpts []box.Option, consoleOpts ...console.Option) (srv *serve.Server, base string, stop func()) {
	GinkgoHelper()
	opts := append([]console.Option{console.Addr("127.0.0.1:0"), console.StorePath(path)}, consoleOpts...)
	srv, err := serve.New(serve.Options{Console: opts, APIKey: apiKey, Box: append([]box.Option{box.Seed(uint64(GinkgoRandomSeed()))}, boxOpts...)})
	Expect(err).NotTo(HaveOccurred())
	ln, err := srv.Listen()
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			Eventually(done, "10s").Should(Receive(BeNil()))
			Expect(srv.Close()).To(Succeed())
		})
	}
	DeferCleanup(stop)
	return srv, strings.TrimSuffix(srv.URL(), "/"), stop
}

// call makes one request with a JSON body, the API key when key is set,
// and header (name, value pairs); it returns the status and the decoded
// answer.
func call(method, url, key, body string, header ...string) (int, map[string]any) {
	GinkgoHelper()
	return callAs("application/json", method, url, key, body, header...)
}

// callAs is call with a body of contentType.
func callAs(contentType, method, url, key, body string, header ...string) (int, map[string]any) {
	GinkgoHelper()
	code, out, err := apicall.Do(contentType, method, url, key, body, header...)
	Expect(err).NotTo(HaveOccurred())
	return code, out
}

// invite is the consumer's call that invites a corporate; it returns the
// org's id.
func invite(base string) string {
	GinkgoHelper()
	code, tok := call("POST", base+"/api/sdk/token/", apiKey, `{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao","remote_org_id":"acme-1"}`)
	Expect(code).To(Equal(http.StatusOK), "%v", tok)
	org, _ := tok["org_id"].(string)
	Expect(org).NotTo(BeEmpty())
	return org
}

// attempts lists the console's log of org: each attempt's source.
func attempts(base, org string) []string {
	GinkgoHelper()
	var page struct {
		Attempts []struct {
			Source string `json:"source"`
			OrgID  string `json:"orgId"`
		} `json:"attempts"`
	}
	resp, err := http.Get(base + "/api/console/deliveries?org=" + org)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(json.NewDecoder(resp.Body).Decode(&page)).To(Succeed())
	var out []string
	for _, a := range page.Attempts {
		Expect(a.OrgID).To(Equal(org))
		out = append(out, a.Source)
	}
	return out
}

// recorder is a consumer that acknowledges everything and keeps the
// events it was sent, whether their signature was made with appKey.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string // "event signed" or "event unsigned"
}

func newRecorder() *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var env struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(body, &env)
		signed := "unsigned"
		if sender.Verify([]byte(appKey), body, req.Header.Get(sender.HeaderSignature)) == nil {
			signed = "signed"
		}
		r.mu.Lock()
		r.seen = append(r.seen, env.Event+" "+signed)
		r.mu.Unlock()
	}))
	DeferCleanup(r.srv.Close)
	return r
}

func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

var _ = Describe("Tartan in a box", Label("serve"), func() {
	It("sends the box's webhooks, shows them in the console's log and serves the box's verdicts", func() {
		_, base := start([]box.Option{box.AcceptAfter(0)})
		org := invite(base)

		var verdicts []map[string]any
		Eventually(func() bool {
			resp, err := http.Get(base + "/_tartansim/verdicts")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			_ = json.NewDecoder(resp.Body).Decode(&verdicts)
			return len(verdicts) == 1 && verdicts[0]["converged"] == true
		}, "20s", "50ms").Should(BeTrue(), "%v", verdicts)
		Expect(verdicts[0]["orgId"]).To(Equal(org))
		Expect(verdicts[0]["judged"]).To(BeTrue())

		sources := attempts(base, org)
		Expect(sources).NotTo(BeEmpty(), "the box's deliveries are in the console's log")
		Expect(sources).To(HaveEach("api"))
		Expect(len(sources)).To(BeNumerically("==", verdicts[0]["deliveries"]), "one attempt of each delivery, each logged once")
	})

	It("follows the console's settings: a new webhook URL and the app key reach the box", func() {
		r := newRecorder()
		_, base := start([]box.Option{box.AcceptAfter(box.Never)}, console.Key([]byte(appKey)))
		code, body := call("PUT", base+"/api/console/settings", "", `{"webhookUrl":"`+r.srv.URL+`/webhook"}`)
		Expect(code).To(Equal(http.StatusOK), "%v", body)
		invite(base)
		Eventually(r.events, "10s", "20ms").Should(Equal([]string{"connection.events.requested signed"}))

		By("and a subscription that leaves an event out")
		code, body = call("PUT", base+"/api/console/settings", "", `{"events":["sync.events.employee.add"]}`)
		Expect(code).To(Equal(http.StatusOK), "%v", body)
		code, _ = call("POST", base+"/api/sdk/token/", apiKey, `{"email":"hr@zeta.in","org_name":"Zeta","fullname":"Ravi Iyer","remote_org_id":"zeta-1"}`)
		Expect(code).To(Equal(http.StatusOK))
		code, body = call("POST", base+"/api/sdk/token/", apiKey, `{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao","remote_org_id":"acme-1"}`)
		Expect(code).To(Equal(http.StatusOK), "%v", body)
		Consistently(r.events, "300ms", "20ms").Should(HaveLen(1), "no invite goes to a consumer that did not subscribe to it")
	})

	It("answers the API with 503 and why while it cannot sign, and serves it again once it can", func() {
		r := newRecorder()
		_, base := start(nil) // no app key: only the built-in consumer can be sent to
		code, body := call("PUT", base+"/api/console/settings", "", `{"webhookUrl":"`+r.srv.URL+`/webhook"}`)
		Expect(code).To(Equal(http.StatusOK), "%v", body)
		code, body = call("POST", base+"/api/sdk/token/", apiKey, `{}`)
		Expect(code).To(Equal(http.StatusServiceUnavailable))
		Expect(body["detail"]).To(ContainSubstring("cannot sign webhooks: serve was given no app key for " + r.srv.URL + "/webhook"))
		code, _ = call("GET", base+"/_tartansim/verdicts", "", "")
		Expect(code).To(Equal(http.StatusServiceUnavailable), "nor the controls")

		code, body = call("PUT", base+"/api/console/settings", "", `{"webhookUrl":""}`)
		Expect(code).To(Equal(http.StatusOK), "%v", body)
		invite(base)
		Expect(r.events()).To(BeEmpty(), "the built-in consumer gets it")
	})

	It("re-sends the API's failed deliveries through the box at the console's one EOD batch, so they count in its verdict", func() {
		_, base := start([]box.Option{box.AcceptAfter(box.Never)})
		stats := func() map[string]any {
			_, st := call("GET", base+"/api/console/stats", "", "")
			return st
		}
		code, _ := call("POST", base+"/_tartansim/fail", "", `{"fault":"drop","next":1}`)
		Expect(code).To(Equal(http.StatusOK))
		org := invite(base)
		Eventually(stats, "10s", "20ms").Should(HaveKeyWithValue("pending", BeNumerically("==", 1)), "the invite, dropped, is due at EOD")

		code, rep := call("POST", base+"/api/console/eod", "", `{}`)
		Expect(code).To(Equal(http.StatusOK), "%v", rep)
		Expect(rep).To(HaveKeyWithValue("handed", BeNumerically("==", 1)))
		Expect(rep["resent"]).To(BeEmpty(), "the box re-sends it, not the console")

		var v map[string]any
		Eventually(func() any {
			_, v = call("GET", base+"/_tartansim/orgs/"+org+"/verdict", "", "")
			return v["acknowledged"]
		}, "10s", "20ms").Should(BeNumerically("==", 1), "%v", v)
		Expect(v["deliveries"]).To(BeNumerically("==", 1))
		Eventually(stats, "10s", "20ms").Should(HaveKeyWithValue("pending", BeNumerically("==", 0)))
		Expect(attempts(base, org)).To(Equal([]string{"api", "api"}), "the drop and the EOD re-send, both in the console's log")

		By("the re-send carries the box's batch number, and its answer's headers")
		var page struct {
			Attempts []struct {
				ID       int64  `json:"id"`
				Kind     string `json:"kind"`
				EODBatch int64  `json:"eodBatch"`
			} `json:"attempts"`
		}
		resp, err := http.Get(base + "/api/console/deliveries?org=" + org)
		Expect(err).NotTo(HaveOccurred())
		Expect(json.NewDecoder(resp.Body).Decode(&page)).To(Succeed())
		_ = resp.Body.Close()
		Expect(page.Attempts).To(HaveLen(2))
		resent := page.Attempts[0] // newest first
		Expect(resent.Kind).To(Equal("eod"))
		Expect(resent.EODBatch).To(BeNumerically("==", 1), "the box's first batch")
		code, detail := call("GET", fmt.Sprintf("%s/api/console/deliveries/%d", base, resent.ID), "", "")
		Expect(code).To(Equal(http.StatusOK))
		Expect(detail["answerHeaders"]).To(HaveKey("Content-Length"), "%v", detail)
	})

	It("hands the console's Resend of an API delivery to the box's own resend, so it counts in its verdict", func() {
		_, base := start([]box.Option{box.AcceptAfter(box.Never)})
		code, _ := call("POST", base+"/_tartansim/fail", "", `{"fault":"drop","next":1}`)
		Expect(code).To(Equal(http.StatusOK))
		org := invite(base)
		Eventually(func() []string { return attempts(base, org) }, "10s", "20ms").Should(HaveLen(1))

		code, got := call("POST", base+"/api/console/deliveries/1/resend", "", `{}`)
		Expect(code).To(Equal(http.StatusAccepted), "%v", got)
		Expect(got).To(HaveKeyWithValue("handed", true))
		var v map[string]any
		Eventually(func() any {
			_, v = call("GET", base+"/_tartansim/orgs/"+org+"/verdict", "", "")
			return v["acknowledged"]
		}, "10s", "20ms").Should(BeNumerically("==", 1), "%v", v)
		Eventually(func() []string { return attempts(base, org) }, "10s", "20ms").Should(Equal([]string{"api", "api"}), "the drop and the box's resend, both in the console's log")
		_, d := call("GET", base+"/api/console/deliveries/2", "", "")
		Expect(d).To(HaveKeyWithValue("kind", "resend"))
		Expect(d).To(HaveKeyWithValue("delivery", BeNumerically("==", 1)))
	})

	It("keeps the mock API's corporates, records and deliveries, and what the built-in consumer holds, across a restart; a Resend of a delivery from before it is the box's", func() {
		path := filepath.Join(GinkgoT().TempDir(), "console.db")
		_, base, stop := startAt(path, []box.Option{box.AcceptAfter(0)})
		code, _ := call("POST", base+"/_tartansim/fail", "", `{"fault":"drop","next":1}`)
		Expect(code).To(Equal(http.StatusOK))
		org := invite(base)
		var before map[string]any
		Eventually(func() any {
			_, before = call("GET", base+"/_tartansim/orgs/"+org+"/verdict", "", "")
			return before["judging"]
		}, "20s", "20ms").Should(BeFalse(), "%v", before)
		_, list := call("GET", base+"/api/v2/employee_list?org="+org+"&page_size=100", apiKey, "")
		Expect(list["data"]).NotTo(BeEmpty())
		stop()

		srv, base, _ := startAt(path, []box.Option{box.AcceptAfter(0)})
		r := srv.Restored()
		Expect(r.Discarded).To(BeEmpty())
		Expect(r.Corporates).To(Equal(1))
		Expect(r.Deliveries).To(BeNumerically("==", before["deliveries"]))
		_, again := call("GET", base+"/api/v2/employee_list?org="+org+"&page_size=100", apiKey, "")
		Expect(again["data"]).To(Equal(list["data"]))
		var v map[string]any
		Eventually(func() any {
			_, v = call("GET", base+"/_tartansim/orgs/"+org+"/verdict", "", "")
			return v["judging"]
		}, "20s", "20ms").Should(BeFalse(), "%v", v)
		Expect(v["acknowledged"]).To(Equal(before["acknowledged"]))
		Expect(v["sessions"]).To(Equal(before["sessions"]))

		code, got := call("POST", base+"/api/console/deliveries/1/resend", "", `{}`)
		Expect(code).To(Equal(http.StatusAccepted), "%v", got)
		Expect(got).To(HaveKeyWithValue("handed", true), "the dropped invite, sent before the restart, is the box's")
		Eventually(func() any {
			_, v = call("GET", base+"/_tartansim/orgs/"+org+"/verdict", "", "")
			return v["acknowledged"]
		}, "10s", "20ms").Should(BeNumerically("==", before["deliveries"]), "%v", v)
		Eventually(func() any {
			_, v = call("GET", base+"/_tartansim/orgs/"+org+"/verdict", "", "")
			return v["converged"]
		}, "20s", "20ms").Should(BeTrue(), "the built-in consumer holds after the restart what it was sent before it, and the invite resent: %v", v)
		_, d := call("GET", base+"/api/console/deliveries/"+fmt.Sprint(len(attempts(base, org))), "", "")
		Expect(d).To(HaveKeyWithValue("kind", "resend"))
		Expect(d).To(HaveKeyWithValue("delivery", BeNumerically("==", 1)), "the resend joins the delivery logged before the restart")
	})

	It("takes the mock-only controls from its own page only, and keeps the console's own API", func() {
		_, base := start(nil)
		code, _ := call("POST", base+"/_tartansim/eod", "", `{}`, "Origin", "http://evil.example")
		Expect(code).To(Equal(http.StatusForbidden), "no cross-site writes")
		code, _ = call("GET", base+"/api/console/settings", "", "")
		Expect(code).To(Equal(http.StatusOK))
		code, _ = call("POST", base+"/api/sdk/token/", "wrong", `{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao"}`)
		Expect(code).To(Equal(http.StatusUnauthorized))
	})

	It("takes a control's body from curl -d (no Content-Type: application/json), and no browser's form", func() {
		_, base := start([]box.Option{box.AcceptAfter(0)})
		org := invite(base)
		form := func(header ...string) (int, map[string]any) {
			return callAs("application/x-www-form-urlencoded", "POST", base+"/_tartansim/orgs/"+org+"/sync", "", `{"joiners":2}`, header...)
		}
		code, out := form("Origin", "http://evil.example")
		Expect(code).To(Equal(http.StatusForbidden), "a cross-site form post: %v", out)
		code, out = form("Sec-Fetch-Site", "same-origin")
		Expect(code).To(Equal(http.StatusUnsupportedMediaType), "a browser's form post: %v", out)
		code, out = form()
		Expect(code).To(Equal(http.StatusOK), "curl -d: %v", out)
		Expect(out).To(HaveKeyWithValue("newRecords", 2.0), "the body was read: two joiners, and only once")
	})

	It("refuses to start without an API key, and with the console's own refusals", func() {
		_, err := serve.New(serve.Options{Console: []console.Option{console.StorePath(filepath.Join(GinkgoT().TempDir(), "c.db"))}})
		Expect(err).To(MatchError(serve.ErrNoAPIKey))
		_, err = serve.New(serve.Options{APIKey: apiKey, Console: []console.Option{console.Addr("0.0.0.0:0"), console.StorePath(filepath.Join(GinkgoT().TempDir(), "c.db"))}})
		Expect(errors.Is(err, console.ErrTokenRequired)).To(BeTrue(), "%v", err)
	})
})
