package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/show"
)

// crashSlack is how late, past deliverylog.FlushInterval, a loaded machine may
// run the writer's timer and hand its lines to the file; generous, and
// still far short of a writer that waits for FlushLines lines at the slow
// rates the crash specs use.
const crashSlack = 400 * time.Millisecond

// receivedSink answers 200 to every request, and keeps when it received each
// whole one: what a crashed sender sent, whether it lived to log it or not.
type receivedSink struct {
	*httptest.Server
	mu sync.Mutex
	at []time.Time
}

func newReceivedSink() *receivedSink {
	GinkgoHelper()
	s := &receivedSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return // cut short by the kill: never whole, never answered
		}
		s.mu.Lock()
		s.at = append(s.at, time.Now())
		s.mu.Unlock()
	}))
	DeferCleanup(s.Close)
	return s
}

func (s *receivedSink) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = nil
}

// received is how many whole requests it received.
func (s *receivedSink) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at)
}

// before is how many of them it received before t.
func (s *receivedSink) before(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.at {
		if at.Before(t) {
			n++
		}
	}
	return n
}

// settled waits until the requests in flight when the sender died are
// answered or dropped: the count holds still.
func (s *receivedSink) settled() {
	GinkgoHelper()
	prev := -1
	Eventually(func() bool {
		n := s.received()
		same := n == prev
		prev = n
		return same
	}, 5*time.Second, 50*time.Millisecond).Should(BeTrue())
}

// crash starts tartansim with args in a child process, waits for the sink
// to receive its first request, then for delay, and kills it with SIGKILL.
// It returns the moment of the kill.
func crash(sink *receivedSink, delay time.Duration, args ...string) time.Time {
	GinkgoHelper()
	self, err := os.Executable()
	Expect(err).NotTo(HaveOccurred())
	child := exec.Command(self, args...)
	child.Env = append(os.Environ(), childEnv+"=1", "CI=true")
	var stderr bytes.Buffer
	child.Stderr = &stderr
	Expect(child.Start()).To(Succeed())
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = child.Wait(); close(exited) }()
	DeferCleanup(func() { _ = child.Process.Kill(); <-exited })
	Eventually(sink.received, 20*time.Second, 5*time.Millisecond).
		Should(BeNumerically(">", 0), "the child sent nothing: %s", &stderr)
	time.Sleep(delay)
	killed := time.Now()
	Expect(child.Process.Kill()).To(Succeed())
	Eventually(exited, 10*time.Second).Should(BeClosed())
	Expect(waitErr).To(MatchError(ContainSubstring("killed")), "the child was alive until the kill: %s", &stderr)
	return killed
}

// crashLoss checks the log file a killed child left, against what the sink
// received from it, and returns how many received deliveries the log lost.
// concurrency is how many the child had in flight at most: sent, but not
// answered and logged.
func crashLoss(file string, sink *receivedSink, killed time.Time, concurrency int, why string) int {
	GinkgoHelper()
	data, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred(), why)
	end := bytes.LastIndexByte(data, '\n') + 1
	whole, tail := data[:end], data[end:]

	// Every whole line parses: a crash tears at most one line, the last.
	r := deliverylog.NewReader(bytes.NewReader(whole), file)
	logged := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		Expect(err).NotTo(HaveOccurred(), why)
		Expect(e.Status).To(Equal(http.StatusOK), why)
		logged++
	}
	if len(tail) > 0 {
		Expect(json.Valid(tail)).To(BeFalse(), "%s: the last line lacks only its newline, and is not torn", why)
	}

	sink.settled()
	received, early := sink.received(), sink.before(killed.Add(-deliverylog.FlushInterval-crashSlack))
	Expect(logged).To(BeNumerically("<=", received), "%s: the log holds deliveries the sink never received", why)
	Expect(received-logged).To(BeNumerically("<=", deliverylog.FlushLines+concurrency),
		"%s: the log lost more than FlushLines lines and those in flight", why)
	Expect(logged).To(BeNumerically(">=", early),
		"%s: a delivery received more than FlushInterval (+%s) before the kill is missing from the log", why, crashSlack)

	// replay reads the rest, and says what it dropped; a log the kill left
	// with no complete line is refused, as nothing to replay.
	dry := tartansim("", "replay", file, "--dry-run", "--target", sink.URL)
	if logged == 0 {
		Expect(dry.code).To(Equal(2), "%s: %s", why, dry.output())
		Expect(dry.stderr).To(HaveSuffix("tartansim: "+file+" holds no complete delivery: nothing to replay.\n"), why)
	} else {
		Expect(dry.code).To(Equal(0), "%s: %s", why, dry.output())
		Expect(dry.stdout).To(ContainSubstring(file+": "+show.Plural(logged, "complete delivery")+" ("), why)
	}
	if len(tail) > 0 {
		Expect(dry.stderr).To(ContainSubstring(fmt.Sprintf("dropped the torn last line (%s)", show.Plural(len(tail), "byte"))), why)
	} else if logged > 0 {
		Expect(dry.stderr).To(BeEmpty(), why)
	}
	GinkgoWriter.Printf("%s: received %d, logged %d (%d within %s of the kill), lost %d, torn bytes %d\n",
		why, received, logged, received-early, deliverylog.FlushInterval+crashSlack, received-logged, len(tail))
	return received - logged
}

var _ = Describe("a delivery log after kill -9", Label("record", "crash"), func() {
	// The moments of the kills come from Ginkgo's seed: -ginkgo.seed=N
	// replays them.
	var rng *rand.Rand
	var seed int64
	BeforeEach(func() {
		seed = GinkgoRandomSeed()
		rng = rand.New(rand.NewPCG(uint64(seed), 14))
	})
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int64N(int64(hi-lo))) }

	It("keeps every whole line of load --record, loses no more than the documented bound, and replays", func(spec SpecContext) {
		sink := newReceivedSink()
		dir := GinkgoT().TempDir()
		const concurrency = 4
		// Fast, FlushLines binds: 64 lines are 64 ms at 1000/s. Slow,
		// FlushInterval does: 64 lines are 1.6 s at 40/s, and only the timer
		// writes a line in time.
		for i, c := range []struct {
			rate   string
			lo, hi time.Duration
		}{
			{"1000", 50 * time.Millisecond, 500 * time.Millisecond},
			{"1000", 50 * time.Millisecond, 500 * time.Millisecond},
			{"40", 800 * time.Millisecond, 1100 * time.Millisecond},
		} {
			sink.reset()
			file := filepath.Join(dir, fmt.Sprintf("load-%d.ndjson", i))
			delay := between(c.lo, c.hi)
			why := fmt.Sprintf("load kill %d at %s/s, %s after the first delivery (seed %d)", i+1, c.rate, delay.Round(time.Millisecond), seed)
			killed := crash(sink, delay, "load", "--target", sink.URL, "--key", secretKey, "--rate", c.rate, "--duration", "30s",
				"--concurrency", fmt.Sprint(concurrency), "--orgs", "2", "--employees", "20", "--record", file, "--quiet")
			crashLoss(file, sink, killed, concurrency, why)
		}
	}, SpecTimeout(60*time.Second))

	It("keeps every whole line of run --record, loses no more than the documented bound, and replays", func(spec SpecContext) {
		sink := newReceivedSink()
		dir := GinkgoT().TempDir()
		// A day of real-time syncs, one every 2 scenario minutes: with a day
		// of 72 s, a step every 100 ms, after an initial sync of 31 webhooks.
		var sc strings.Builder
		sc.WriteString("name: crash-day\norgs:\n  - id: corp\n    employees: 300\nsteps:\n" +
			"  - at: day 1 00:00\n    invite: {org: corp}\n  - at: day 1 00:02\n    initial-sync: {org: corp}\n")
		for m := 4; m < 23*60; m += 2 {
			fmt.Fprintf(&sc, "  - at: day 1 %02d:%02d\n    realtime-sync: {org: corp, promotions: 1}\n", m/60, m%60)
		}
		scenario := filepath.Join(dir, "crash-day.yaml")
		Expect(os.WriteFile(scenario, []byte(sc.String()), 0o644)).To(Succeed())
		for i := range 2 {
			sink.reset()
			file := filepath.Join(dir, fmt.Sprintf("run-%d.ndjson", i))
			delay := between(700*time.Millisecond, 1100*time.Millisecond)
			why := fmt.Sprintf("run kill %d, %s after the first delivery (seed %d)", i+1, delay.Round(time.Millisecond), seed)
			killed := crash(sink, delay, "run", scenario, "--day", "72s", "--target", sink.URL, "--key", secretKey, "--record", file)
			crashLoss(file, sink, killed, 1, why)
		}
	}, SpecTimeout(60*time.Second))
})
