package console

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	bolt "go.etcd.io/bbolt"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/judge"
)

// crashEnv names the store a child test process writes to before it is
// killed; see TestCrashChild.
const crashEnv = "TARTANSIM_CONSOLE_CRASH_STORE"

// TestCrashChild is not a test: run with crashEnv set (by the spec "keeps
// the log readable after kill -9"), it logs attempts to the store without
// end and says how many are written, until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("a helper process for the kill -9 spec")
	}
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := newLog(st, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; ; i++ {
		a := &deliverylog.Attempt{Time: time.Now(), Source: deliverylog.FromConsole, Kind: deliverylog.First, Event: "sync.events.initiated", Status: 200, Expect: deliverylog.Expect2xx, Headers: map[string][]string{}, Body: fmt.Sprintf(`{"n":%d}`, i)}
		if err := l.add("", a); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("written %d\n", i)
	}
}

var _ = Describe("the store", Label("store"), func() {
	It("keeps the log and the settings across a restart", func() {
		dir := GinkgoT().TempDir()
		path := filepath.Join(dir, "c.db")
		h := start(StorePath(path))
		Expect(h.call(http.MethodPut, "/api/console/settings", Patch{Events: ptr([]string{"connection.events.requested"}), EOD: ptr("off")}, nil)).To(Equal(http.StatusOK))
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "connection.events.requested"}, nil)).To(Equal(http.StatusOK))
		h.close()

		again := start(StorePath(path))
		Expect(again.srv.Settings().Events).To(Equal("connection.events.requested"))
		Expect(again.srv.Settings().EOD).To(Equal(EODOff))
		var page Page
		again.call(http.MethodGet, "/api/console/deliveries", nil, &page)
		Expect(page.Attempts).To(HaveLen(1))
		Expect(again.call(http.MethodPost, "/api/console/send", TestSend{Event: "connection.events.requested"}, nil)).To(Equal(http.StatusOK))
		again.call(http.MethodGet, "/api/console/deliveries", nil, &page)
		Expect(page.Attempts[0].ID).To(BeEquivalentTo(2), "numbering goes on")
	})

	It("keeps the runs, their results and verdicts across a restart; a run the stop cut short is interrupted", func() {
		path := filepath.Join(GinkgoT().TempDir(), "c.db")
		held := make(chan struct{}, 1)
		release := make(chan struct{})
		hold := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case held <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		DeferCleanup(hold.Close)
		DeferCleanup(func() { close(release) })

		h := start(StorePath(path), Key([]byte("k")))
		done := runToEnd(h, RunRequest{Conformance: true, Checks: []string{"SIG-VALID", "SIG-MISSING"}})
		Expect(done.Verdict).To(Equal(VerdictPass))
		Expect(h.call(http.MethodPut, "/api/console/settings", Patch{WebhookURL: ptr(hold.URL)}, nil)).To(Equal(http.StatusOK))
		var cut Run
		Expect(h.call(http.MethodPost, "/api/console/runs", RunRequest{Scenario: "onboarding"}, &cut)).To(Equal(http.StatusAccepted))
		<-held // the run is sending when the server stops
		h.close()

		again := start(StorePath(path), Key([]byte("k")))
		var runs []Run
		Expect(again.call(http.MethodGet, "/api/console/runs", nil, &runs)).To(Equal(http.StatusOK))
		Expect(runs).To(HaveLen(2), "newest first")
		Expect(runs[0].ID).To(Equal(cut.ID))
		Expect(runs[0].State).To(Equal(RunInterrupted))
		Expect(runs[0].Verdict).To(BeEmpty())
		Expect(runs[0].Note).To(Equal("The server stopped while this run went on; what it sent is in the log."))
		Expect(runs[1].ID).To(Equal(done.ID))
		Expect(runs[1].State).To(Equal(RunDone))
		Expect(runs[1].Verdict).To(Equal(VerdictPass))
		Expect(runs[1].Summary).To(Equal(judge.Tally{Passed: 2}))
		Expect(runs[1].Checks).To(Equal(done.Checks))

		By("numbering the next run after them")
		Expect(again.call(http.MethodPut, "/api/console/settings", Patch{WebhookURL: ptr("")}, nil)).To(Equal(http.StatusOK))
		next := runToEnd(again, RunRequest{Conformance: true, Checks: []string{"SIG-VALID"}})
		Expect(next.ID).To(Equal("3"))
	})

	It("shows a run a killed server left running as interrupted, not running for ever", func() {
		path := filepath.Join(GinkgoT().TempDir(), "c.db")
		st, err := OpenStore(path)
		Expect(err).NotTo(HaveOccurred())
		// What kill -9 leaves: the run's last snapshot, still running.
		Expect(st.putRun(Run{ID: "7", Kind: RunScenario, Name: "onboarding", State: RunRunning, Done: 1, Total: 3, Version: 2}, keptRuns)).To(Succeed())
		Expect(st.Close()).To(Succeed())

		h := start(StorePath(path))
		var r Run
		Expect(h.call(http.MethodGet, "/api/console/runs/7", nil, &r)).To(Equal(http.StatusOK))
		Expect(r.State).To(Equal(RunInterrupted))
		Expect(r.Done).To(Equal(1))
		Expect(r.Version).To(Equal(3))
		h.close()
		again := start(StorePath(path))
		r, _ = again.srv.RunByID("7")
		Expect(r.State).To(Equal(RunInterrupted), "and stored so")
	})

	It("keeps the last 20 runs", func() {
		path := filepath.Join(GinkgoT().TempDir(), "c.db")
		st, err := OpenStore(path)
		Expect(err).NotTo(HaveOccurred())
		for i := 1; i <= keptRuns+5; i++ {
			Expect(st.putRun(Run{ID: strconv.Itoa(i), State: RunDone, Verdict: VerdictPass}, keptRuns)).To(Succeed())
		}
		runs, err := st.runs()
		Expect(err).NotTo(HaveOccurred())
		Expect(runs).To(HaveLen(keptRuns))
		Expect(runs[0].ID).To(Equal("6"))
		Expect(runs[keptRuns-1].ID).To(Equal(strconv.Itoa(keptRuns + 5)))
		Expect(st.Close()).To(Succeed())
	})

	It("reads a version 1 store, its attempts as deliverylog.Attempt lines, and rebuilds its index", func() {
		path := filepath.Join(GinkgoT().TempDir(), "c.db")
		h := start(StorePath(path), Window(1))
		for _, sig := range []string{"valid", "valid", "missing"} {
			Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated", Signature: sig}, nil)).To(Equal(http.StatusOK))
		}
		Expect(h.call(http.MethodPost, "/api/console/deliveries/1/resend", nil, nil)).To(Equal(http.StatusOK))
		h.close()
		db, err := bolt.Open(path, 0o600, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(db.Update(func(tx *bolt.Tx) error { // as version 1 wrote it: its own sources, no expectation, no session
			att := tx.Bucket(bucketAttempts)
			for id := int64(1); id <= 4; id++ {
				var v map[string]any
				if err := json.Unmarshal(att.Get(idKey(id)), &v); err != nil {
					return err
				}
				v["source"] = map[bool]string{true: "resend", false: "test"}[id == 4]
				delete(v, "expect")
				delete(v, "syncSessionId")
				js, _ := json.Marshal(v)
				if err := att.Put(idKey(id), js); err != nil {
					return err
				}
			}
			if err := tx.DeleteBucket(bucketFields); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyFormat, []byte(storeFormatV1))
		})).To(Succeed())
		Expect(db.Close()).To(Succeed())

		again := start(StorePath(path), Window(1))
		var page Page
		again.call(http.MethodGet, "/api/console/deliveries?event=sync.events.initiated", nil, &page)
		Expect(page.Attempts).To(HaveLen(4))
		for _, a := range page.Attempts {
			Expect(a.Source).To(Equal(deliverylog.FromConsole), "attempt %d: a resend keeps its delivery's source", a.ID)
			Expect(a.SyncSessionID).NotTo(BeEmpty(), "read from the body")
			Expect(a.AsExpected).To(BeTrue(), "attempt %d", a.ID)
		}
		Expect(page.Attempts[1].Expect).To(Equal(deliverylog.Expect4xx), "attempt 3 is forged")
		Expect(page.Attempts[0].Expect).To(Equal(deliverylog.Expect2xx))
		again.call(http.MethodGet, "/api/console/deliveries?expected=met&source=console&status=4xx", nil, &page)
		Expect(page.Attempts).To(HaveLen(1))
	})

	It("works out what awaits the EOD batch for a version 1 store", func() {
		f := newFlaky()
		path := filepath.Join(GinkgoT().TempDir(), "c.db")
		h := start(StorePath(path), Key([]byte("k")), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
		f.down.Store(true)
		for _, sig := range []string{"valid", "valid", "missing"} {
			Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated", Signature: sig}, nil)).To(Equal(http.StatusOK))
		}
		f.down.Store(false)
		Expect(h.call(http.MethodPost, "/api/console/deliveries/1/resend", nil, nil)).To(Equal(http.StatusOK))
		h.close()
		db, err := bolt.Open(path, 0o600, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(db.Update(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketPending); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(bucketPending); err != nil {
				return err
			}
			if err := tx.DeleteBucket(bucketTries); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyFormat, []byte(storeFormatV1))
		})).To(Succeed())
		Expect(db.Close()).To(Succeed())

		again := start(StorePath(path), Key([]byte("k")), Override(Patch{WebhookURL: ptr(f.srv.URL)}))
		var st Stats
		again.call(http.MethodGet, "/api/console/stats", nil, &st)
		Expect(st.Pending).To(Equal(1), "attempt 2: genuine, failed, never acknowledged; 1 was acknowledged by its resend, 3 is forged")
		var rep EODReport
		again.call(http.MethodPost, "/api/console/eod", nil, &rep)
		Expect(rep.Resent).To(HaveLen(1))
		Expect(rep.Resent[0].Delivery).To(BeEquivalentTo(2))
	})

	It("lets flags given at start beat the stored settings", func() {
		path := filepath.Join(GinkgoT().TempDir(), "c.db")
		h := start(StorePath(path), Override(Patch{Layout: ptr("python")}))
		h.close()
		again := start(StorePath(path), Override(Patch{EOD: ptr("22:00")}))
		Expect(again.srv.Settings().Layout).To(Equal("python"))
		Expect(again.srv.Settings().EOD).To(Equal("22:00"))
	})

	It("refuses a store that another serve holds, and leaves it be", func() {
		h := start()
		_, err := New(Addr("127.0.0.1:0"), StorePath(h.store))
		Expect(err).To(MatchError(ErrStoreLocked))
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, nil)).To(Equal(http.StatusOK))
	})

	DescribeTable("refuses a file that is no console store, and does not touch it",
		func(content []byte) {
			path := filepath.Join(GinkgoT().TempDir(), "c.db")
			Expect(os.WriteFile(path, content, 0o600)).To(Succeed())
			_, err := New(Addr("127.0.0.1:0"), StorePath(path))
			Expect(err).To(MatchError(ErrStoreDamaged))
			after, _ := os.ReadFile(path)
			Expect(after).To(Equal(content))
		},
		Entry("text", []byte("these are my notes, not a database\n")),
		Entry("zeros", make([]byte, 64<<10)),
	)

	It("keeps the log readable after kill -9", func() {
		if testing.Short() {
			Skip("starts a child process")
		}
		path := filepath.Join(GinkgoT().TempDir(), "c.db")
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		Expect(cmd.Start()).To(Succeed())
		lines := bufio.NewScanner(out)
		written := 0
		for written < 20 && lines.Scan() {
			_, _ = fmt.Sscanf(lines.Text(), "written %d", &written)
		}
		Expect(written).To(BeNumerically(">=", 20))
		Expect(cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		_ = cmd.Wait()

		st, err := OpenStore(path)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(st.Close)
		l, err := newLog(st, 10)
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Counts().Total).To(BeNumerically(">=", written), "every attempt reported written is there")
		a, ok, err := l.Get(int64(written))
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(a.Body).To(Equal(fmt.Sprintf(`{"n":%d}`, written)))
	})
})
