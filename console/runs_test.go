package console

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
)

// stream reads the server-sent events of h into a channel of
// (name, data) pairs until the spec ends.
func stream(h *harness) <-chan [2]string {
	GinkgoHelper()
	req, _ := http.NewRequest(http.MethodGet, h.base+"/api/console/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.Header.Get("Content-Type")).To(Equal("text/event-stream"))
	DeferCleanup(resp.Body.Close)
	out := make(chan [2]string, 1024)
	go func() {
		defer GinkgoRecover()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				select {
				case out <- [2]string{name, strings.TrimPrefix(line, "data: ")}:
				default:
				}
			}
		}
	}()
	return out
}

// waitRun waits for run id to end, as the server's events tell, and
// returns it as GET /runs/{id} has it. It subscribes before it looks, so
// an end between the two is seen either way.
func waitRun(h *harness, id string) Run {
	GinkgoHelper()
	ch := events(h)
	for {
		var r Run
		Expect(h.call(http.MethodGet, "/api/console/runs/"+id, nil, &r)).To(Equal(http.StatusOK))
		if r.State != RunRunning {
			return r
		}
		for {
			var ev Run
			Expect(json.Unmarshal(awaitEvent(ch, "run"), &ev)).To(Succeed())
			if ev.ID == id {
				break
			}
		}
	}
}

var _ = Describe("runs from the console", Label("runs"), func() {
	var h *harness
	BeforeEach(func() { h = start() })

	It("plays a scenario with live progress, logs its attempts and gives the verdict", func() {
		events := stream(h)
		var r Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Scenario: "eod-retry"}, &r)).To(Equal(http.StatusAccepted))
		Expect(r.State).To(Equal(RunRunning))
		done := waitRun(h, r.ID)
		Expect(done.State).To(Equal(RunDone))
		Expect(done.Verdict).To(Equal("PASS"), "%v", done.Problems)
		Expect(done.Done).To(Equal(done.Total))
		Expect(done.Steps).To(HaveLen(done.Total))
		Expect(done.Orgs).NotTo(BeEmpty())
		Expect(done.Orgs[0].Converged).To(BeTrue())

		var progress []Run
		guard := time.NewTimer(hangGuard)
		defer guard.Stop()
		for len(progress) == 0 || progress[len(progress)-1].State == RunRunning {
			var ev [2]string
			select {
			case ev = <-events: // the page's stream, in order
			case <-guard.C:
				Fail("the stream never told the run's end")
			}
			if ev[0] == "run" {
				var p Run
				Expect(json.Unmarshal([]byte(ev[1]), &p)).To(Succeed())
				progress = append(progress, p)
			}
		}
		Expect(len(progress)).To(BeNumerically(">=", done.Total+1), "one event per step, and the end")
		Expect(progress[len(progress)-1].Verdict).To(Equal("PASS"))

		var page Page
		h.call(http.MethodGet, "/api/console/deliveries?limit=500", nil, &page)
		Expect(page.Attempts).NotTo(BeEmpty())
		eods := 0
		for _, a := range page.Attempts {
			Expect(a.Source).To(Equal(deliverylog.FromRun))
			Expect(a.Run).To(Equal("eod-retry"))
			if a.Kind == deliverylog.EOD {
				eods++
				first, _, _ := h.srv.Log().Get(a.Delivery)
				Expect(first.Kind).To(Equal(deliverylog.First), "an EOD re-send belongs to its first send's delivery")
				Expect(a.EODBatch).To(Equal(int64(1)), "the run's one EOD step numbers its batch")
			} else {
				Expect(a.EODBatch).To(BeZero())
			}
		}
		Expect(eods).To(BeNumerically(">", 0))
		var st Stats
		h.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(BeZero(), "the scenario's own EOD had every failure acknowledged: nothing is left for the console's")
	})

	It("runs the conformance checks one by one, with verdicts and evidence", func() {
		var r Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Conformance: true, Checks: []string{"SIG-VALID", "SIG-MISSING"}}, &r)).To(Equal(http.StatusAccepted))
		done := waitRun(h, r.ID)
		Expect(done.State).To(Equal(RunDone), done.Error)
		Expect(done.Checks).To(HaveLen(2))
		Expect(done.Checks[0].ID).To(Equal("SIG-VALID"))
		Expect(done.Checks[0].Verdict).To(Equal("PASS"))
		Expect(done.Checks[1].Verdict).To(Equal("PASS"))
		Expect(done.Verdict).To(Equal("PASS"))
		var page Page
		h.call(http.MethodGet, "/api/console/deliveries?limit=500", nil, &page)
		Expect(page.Attempts).NotTo(BeEmpty())
		forged := 0
		for _, a := range page.Attempts {
			if a.Forged {
				forged++
			}
		}
		Expect(forged).To(BeNumerically(">", 0), "SIG-MISSING's forged copies are marked")
	})

	It("runs one at a time", func() {
		var r Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Scenario: "multi-org"}, &r)).To(Equal(http.StatusAccepted))
		code, msg := h.errorOf(http.MethodPost, "/api/console/runs", RunRequest{Scenario: "onboarding"})
		if code == http.StatusConflict { // unless the first one was already done
			Expect(msg).To(ContainSubstring("A run is already going"))
		}
		waitRun(h, r.ID)
	})

	It("cancels a run", func() {
		var r Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Conformance: true}, &r)).To(Equal(http.StatusAccepted))
		Expect(h.call(http.MethodPost, "/api/console/runs/"+r.ID+"/cancel", nil, nil)).To(Equal(http.StatusOK))
		Expect(waitRun(h, r.ID).State).To(BeElementOf(RunCancelled, RunDone))
	})

	DescribeTable("refuses what it cannot run, in one sentence",
		func(req RunRequest, want string) {
			code, msg := h.errorOf(http.MethodPost, "/api/console/runs", req)
			Expect(code).To(Equal(http.StatusBadRequest))
			Expect(msg).To(Equal(want))
		},
		Entry("an unknown scenario", RunRequest{Scenario: "nope"}, `There is no built-in scenario "nope".`),
		Entry("an unknown check", RunRequest{Conformance: true, Checks: []string{"SIG-NOPE"}}, `There is no conformance check "SIG-NOPE".`),
		Entry("nothing", RunRequest{}, "Name a scenario, or ask for the conformance checks."),
	)
})

var _ = Describe("the export", Label("export"), func() {
	It("is the replay log format, which replay reads back byte for byte", func() {
		h := start()
		var sent AttemptView
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.employee.add/initial"}, &sent)).To(Equal(http.StatusOK))
		Expect(h.call(http.MethodPost, "/api/console/deliveries/1/resend", nil, nil)).To(Equal(http.StatusOK))
		resp, err := http.Get(h.base + "/api/console/export")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.Header.Get("Content-Type")).To(Equal("application/x-ndjson"))
		data, _ := io.ReadAll(resp.Body)
		rd := deliverylog.NewReader(bytes.NewReader(data), "export.ndjson")
		var entries []deliverylog.Attempt
		for {
			e, err := rd.Next()
			if err == io.EOF {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			entries = append(entries, e)
		}
		Expect(entries).To(HaveLen(2))
		Expect(entries[0].Body).To(Equal(sent.Body))
		Expect(entries[1].Kind).To(Equal(deliverylog.Resend))
		Expect(entries[1].Delivery).To(Equal(entries[0].Delivery), "one delivery")
		Expect(entries[0].Request(nil).Header).To(Equal(http.Header(sent.Headers)))
		Expect(entries[0].Time).To(BeTemporally("~", time.Now(), time.Minute))
	})
})
