package box_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/judge"
)

// retrying is how a client of Tartan's API treats a failed call (429,
// 5xx or a reset connection): it sleeps on the box's fake clock, so the
// box sees exactly the waits the client chose.
type retrying int

const (
	naive   retrying = iota // gives up at the first failure
	hammer                  // calls again at once, up to 10 times
	correct                 // waits Retry-After, or 100 ms doubling, up to 8 times
)

func (k retrying) String() string { return [...]string{"naive", "hammer", "correct"}[k] }

// reconcile reads every employee of org, page by page, as a client of the
// given kind; it returns how many it read, or the error it gave up on.
func reconcile(a *api, k retrying, org string) (int, error) {
	GinkgoHelper()
	// No keep-alive: Go's transport silently sends an idempotent request
	// again when a reused connection is reset, which would make every
	// client here retry once.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	read := 0
	for page := 1; page <= 100; page++ {
		var doc struct {
			Data     []json.RawMessage `json:"data"`
			PageInfo struct {
				Next bool `json:"next"`
			} `json:"pageInfo"`
		}
		wait := 100 * time.Millisecond
		for attempt := 0; ; attempt++ {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v2/employee_list?org=%s&page_size=10&page=%d", a.srv.URL, org, page), nil)
			req.Header.Set("Authorization", apiKey)
			resp, err := client.Do(req)
			status, after := 0, time.Duration(0)
			if err == nil {
				status = resp.StatusCode
				if s, e := strconv.Atoi(resp.Header.Get("Retry-After")); e == nil {
					after = time.Duration(s) * time.Second
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if status == 200 {
					Expect(json.Unmarshal(body, &doc)).To(Succeed())
					break
				}
			}
			if k == naive || (k == hammer && attempt >= 10) || (k == correct && attempt >= 8) {
				return read, fmt.Errorf("page %d: status %d, %v", page, status, err)
			}
			if k == correct {
				a.clock.Advance(max(after, wait))
				wait *= 2
			}
		}
		read += len(doc.Data)
		if !doc.PageInfo.Next {
			return read, nil
		}
	}
	return read, fmt.Errorf("more than 100 pages")
}

var _ = Describe("faults on Tartan's API", Label("api", "faults"), func() {
	var (
		a   *api
		org string
	)
	BeforeEach(func() {
		a = newAPI()
		org = a.invite("faulty")
		a.accept(org)
	})
	control := func(method, path, body string) answer {
		return a.doWith(method, box.ControlPrefix+path, "application/json", body, http.Header{})
	}
	verdict := func() box.ClientVerdict {
		var v box.ClientVerdict
		Expect(json.Unmarshal([]byte(control("GET", "api/verdict", "").raw), &v)).To(Succeed())
		return v
	}

	faults := []string{
		`{"endpoint":"employee_list","status":429,"retryAfter":"2s","next":2}`,
		`{"endpoint":"employee_list","status":500,"next":2}`,
		`{"endpoint":"*","status":502,"next":2}`,
		`{"endpoint":"employee_list","status":503,"retryAfter":"1s","next":2}`,
		`{"endpoint":"employee_list","reset":true,"next":2}`,
	}
	for _, fault := range faults {
		It("a correct client converges through "+fault+" and the verdict passes it", func() {
			Expect(control("POST", "api/faults", fault).status).To(Equal(200))
			n, err := reconcile(a, correct, org)
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(27))
			v := verdict()
			Expect(v.Outcome).To(Equal(judge.RunPassed), "%+v", v)
			Expect(v.Faults).To(Equal(2))
			Expect(v.Findings).To(BeEmpty())
			Expect(control("GET", "api/faults", "").raw).To(MatchJSON(`[]`), "both faults are spent")
		})
		It("a naive client gives up on "+fault+", and the verdict names it with the call log", func() {
			Expect(control("POST", "api/faults", fault).status).To(Equal(200))
			_, err := reconcile(a, naive, org)
			Expect(err).To(HaveOccurred())
			v := verdict()
			Expect(v.Outcome).To(Equal(judge.RunFailed))
			Expect(v.Findings).To(ConsistOf(HaveField("Check", box.CheckRetried)))
			Expect(v.Findings[0].Why).To(HavePrefix("gave up: GET /api/v2/employee_list?org=" + org + "&page_size=10&page=1 was "))
			Expect(v.Calls).To(HaveLen(2), "the invite, the failed page: %+v", v.Calls)
			Expect(v.Calls[1].Fault).NotTo(BeEmpty())
		})
	}

	It("a hammering client is named for hammering and for ignoring Retry-After", func() {
		Expect(control("POST", "api/faults", `{"endpoint":"employee_list","status":429,"retryAfter":"2s","next":6}`).status).To(Equal(200))
		n, err := reconcile(a, hammer, org)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(27), "it converged, by brute force")
		v := verdict()
		Expect(v.Outcome).To(Equal(judge.RunFailed))
		Expect(v.Findings).To(ConsistOf(HaveField("Check", box.CheckRetryAfter), HaveField("Check", box.CheckBackoff)))
		Expect(v.Findings[0].Why).To(Equal("called again after 0s although the answer said Retry-After: 2"))
		Expect(v.Findings[1].Why).To(ContainSubstring("hammered: called 6 more times within 1s of a call answered 429"))
	})

	It("a hammering client that never gets through did not converge", func() {
		Expect(control("POST", "api/faults", `{"endpoint":"employee_list","status":503,"next":50}`).status).To(Equal(200))
		_, err := reconcile(a, hammer, org)
		Expect(err).To(HaveOccurred())
		Expect(verdict().Findings).To(ContainElements(HaveField("Check", box.CheckBackoff), HaveField("Check", box.CheckConverged)))
	})

	It("answers 429 with Retry-After in whole seconds, before the call reaches the API, so it changes nothing", func() {
		Expect(control("POST", "api/faults", `{"endpoint":"token","status":429,"retryAfter":"3s","next":1}`).status).To(Equal(200))
		req, _ := http.NewRequest("POST", a.srv.URL+"/api/sdk/token", nil)
		req.Header.Set("Authorization", apiKey)
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(429))
		Expect(resp.Header.Get("Retry-After")).To(Equal("3"))
		Expect(a.srv.Box.Orgs()).To(HaveLen(1))
	})

	It("holds a call for its delay on the box's clock, then answers it as usual", func() {
		Expect(control("POST", "api/faults", `{"endpoint":"employee_list","delay":"30s","next":1}`).status).To(Equal(200))
		pending := a.clock.Pending()
		got := make(chan answer, 1)
		go func() {
			defer GinkgoRecover()
			got <- list(a, "org="+org)
		}()
		Eventually(a.clock.Waiting(pending + 1)).Should(BeClosed())
		Consistently(got).ShouldNot(Receive())
		a.clock.Advance(30 * time.Second)
		var ans answer
		Eventually(got).Should(Receive(&ans))
		Expect(ans.status).To(Equal(200))
		calls := a.srv.Box.Calls()
		Expect(calls[len(calls)-1].Fault).To(Equal(box.FaultDelay))
	})

	It("shifts employee_list between two page reads: a sync lands just before page 2 is read", func() {
		Expect(control("POST", "api/faults", `{"endpoint":"employee_list","shift":true,"next":1}`).status).To(Equal(200))
		first := list(a, "org="+org+"&page_size=10&page=1")
		Expect(first.doc["pageInfo"]).To(HaveKeyWithValue("totalItems", 27.0), "page 1 is no later page: the fault waits")
		second := list(a, "org="+org+"&page_size=10&page=2")
		Expect(second.status).To(Equal(200))
		Expect(second.doc["pageInfo"]).To(HaveKeyWithValue("totalItems", 28.0), "the churn's joiner landed between the reads")
		calls := a.srv.Box.Calls()
		Expect(calls[len(calls)-1].Fault).To(Equal(box.FaultShift))
		Expect(a.srv.Box.APIFaults()).To(BeEmpty())
		a.settle()
	})

	It("takes a seeded fraction of the calls: the same seed, the same calls", func() {
		run := func() []int {
			b := newAPI(box.Seed(7))
			o := b.invite("fraction")
			Expect(b.srv.Box.ArmAPIFault(box.APIFault{Endpoint: "org_details", Status: 500, Fraction: 0.5})).To(Succeed())
			var statuses []int
			for range 20 {
				statuses = append(statuses, b.do("GET", "/api/org_details/"+o, "", "").status)
			}
			return statuses
		}
		first := run()
		Expect(first).To(ContainElement(500))
		Expect(first).To(ContainElement(200))
		Expect(run()).To(Equal(first))
	})

	It("judges each corporate's calls apart: the one whose read gave up fails, the other passes, the overall fails", func() {
		other := a.invite("steady")
		a.accept(other)
		Expect(control("POST", "api/faults", `{"endpoint":"employee_list","status":503,"next":1}`).status).To(Equal(200))
		_, err := reconcile(a, naive, org)
		Expect(err).To(HaveOccurred())
		Expect(control("POST", "api/faults", `{"endpoint":"employee_list","status":503,"next":1}`).status).To(Equal(200))
		Expect(reconcile(a, correct, other)).To(Equal(27))
		ct, body := multipartForm("client_org", "steady") // named by its remote_org_id
		Expect(a.do("POST", "/api/terminate_connection/", ct, body).status).To(Equal(200))

		v := verdict()
		Expect(v.Outcome).To(Equal(judge.RunFailed))
		Expect(v.Orgs).To(HaveLen(2))
		Expect(v.Orgs[0].OrgID).To(Equal(org))
		Expect(v.Orgs[0].Outcome).To(Equal(judge.RunFailed))
		Expect(v.Orgs[0].Findings).To(ConsistOf(HaveField("Check", box.CheckRetried)))
		Expect(v.Orgs[1].OrgID).To(Equal(other))
		Expect(v.Orgs[1].Outcome).To(Equal(judge.RunPassed), "%+v", v.Orgs[1])

		var mine box.ClientVerdict
		Expect(json.Unmarshal([]byte(control("GET", "orgs/steady/api/verdict", "").raw), &mine)).To(Succeed())
		Expect(mine.Outcome).To(Equal(judge.RunPassed))
		Expect(mine.Calls).NotTo(BeEmpty())
		for _, c := range mine.Calls {
			Expect(c.Org).To(Equal(other))
		}
		Expect(mine.Calls[len(mine.Calls)-1].Endpoint).To(Equal("terminate_connection"))
		Expect(control("GET", "orgs/nobody/api/verdict", "").status).To(Equal(404))
	})

	It("lists the calls without the API key, and judges nobody who never called", func() {
		fresh := newAPI()
		v := fresh.srv.Box.ClientVerdict()
		Expect(v.Outcome).To(Equal(judge.NothingJudged))
		Expect(v.Why).To(ContainSubstring("never called"))
		raw := control("GET", "api/calls", "").raw
		Expect(raw).To(ContainSubstring(`"path":"/api/sdk/token/"`))
		Expect(raw).NotTo(ContainSubstring(apiKey))
		Expect(verdict().Outcome).To(Equal(judge.NothingJudged), "calls that met no fault judge nothing")
	})

	It("refuses a bad fault by name and changes nothing; DELETE disarms", func() {
		Expect(control("POST", "api/faults", `{"endpoint":"*","status":500,"next":1}`).status).To(Equal(200))
		for body, field := range map[string]string{
			`{"endpoint":"*","status":500,"next":1,"times":2}`:           "times",
			`{"endpoint":"nope","status":500,"next":1}`:                  "endpoint",
			`{"endpoint":"*","status":404,"next":1}`:                     "status",
			`{"endpoint":"*","status":429,"retryAfter":"1.5s","next":1}`: "retryAfter",
			`{"endpoint":"*","status":500,"retryAfter":"1s","next":1}`:   "retryAfter",
			`{"endpoint":"*","status":500}`:                              "next",
			`{"endpoint":"*","status":500,"next":1,"fraction":0.5}`:      "fraction",
			`{"endpoint":"*","reset":true,"status":500,"next":1}`:        "reset",
			`{"endpoint":"*","next":1}`:                                  "status",
			`{"endpoint":"*","delay":"1h","next":1}`:                     "delay",
		} {
			ans := control("POST", "api/faults", body)
			Expect(ans.status).To(Equal(400), body)
			Expect(ans.doc).To(HaveKeyWithValue("field", field), body)
			Expect(ans.doc).To(HaveKey("message"))
		}
		Expect(control("GET", "api/faults", "").raw).To(MatchJSON(`[{"endpoint":"*","status":500,"reset":false,"next":1}]`))
		Expect(control("DELETE", "api/faults", "").raw).To(MatchJSON(`{"disarmed":1}`))
		Expect(control("GET", "api/faults", "").raw).To(MatchJSON(`[]`))
	})

	It("arms faults from the start with ArmAPIFaults, as serve --api-faults does", func() {
		fs, err := box.ParseAPIFaults("endpoint=token,status=503,retryAfter=1s,next=1")
		Expect(err).NotTo(HaveOccurred())
		b := newAPI(box.ArmAPIFaults(fs...))
		Expect(b.token(map[string]any{"email": "a@b.in", "org_name": "B", "fullname": "A B"}).status).To(Equal(503))
		Expect(b.srv.Box.APIFaults()).To(BeEmpty())
	})
})
