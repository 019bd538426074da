package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/internal/consumertest"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// Every door drives one engine, so the same consumer and seed get the same
// verdict through each: the CLI's code path, the library a Go test calls,
// the console's runs API and the box. The consumer is the kind most
// production consumers are: it answers 202 at once and applies from a
// queue later, with no pending count, so every door must settle by
// waiting, with its default budget. Its buggy twin acknowledges connection
// events and drops them; it reports pending (contract v1.1), so a judge
// that sees it idle with a wrong state fails it without waiting out the
// budget.

// doorScenarios are the scenarios every door plays.
var doorScenarios = []string{"onboarding", "weekly-delta", "eod-retry", "termination", "multi-org"}

const (
	doorSeed = 7
	doorLag  = 150 * time.Millisecond
	doorKey  = "doors-app-key"
)

// scenarioVerdict is what a door says of one scenario: passed or not, and
// per org whether its state converged.
type scenarioVerdict struct {
	Passed    bool
	Converged []bool
}

// queueConsumer starts a fresh queue-based consumer with bug on loopback.
func queueConsumer(bug consumertest.Bug) (webhook, probeURL string, q *consumertest.Queue) {
	GinkgoHelper()
	q = consumertest.NewQueue([]byte(doorKey), doorLag, bug)
	q.Pending = bug != consumertest.Correct
	srv := httptest.NewServer(q.Handler())
	DeferCleanup(func() { srv.Close(); q.Close() })
	return srv.URL + consumer.WebhookPath, srv.URL + consumer.ProbePath, q
}

func verdictOf(rep *scenarios.Report) scenarioVerdict {
	v := scenarioVerdict{Passed: rep.Passed()}
	for _, o := range rep.Orgs {
		v.Converged = append(v.Converged, o.Passed())
	}
	return v
}

// throughCLI plays the scenarios with `tartansim run --json`.
func throughCLI(bug consumertest.Bug) map[string]scenarioVerdict {
	GinkgoHelper()
	webhook, probeURL, _ := queueConsumer(bug)
	keyFile := filepath.Join(GinkgoT().TempDir(), "key")
	Expect(os.WriteFile(keyFile, []byte(doorKey), 0o600)).To(Succeed())
	args := append([]string{"run"}, doorScenarios...)
	args = append(args, "--target", webhook, "--probe", probeURL, "--key-file", keyFile,
		"--seed", strconv.Itoa(doorSeed), "--json")
	r := tartansim("", args...)
	var out struct {
		Scenarios []*scenarios.Report `json:"scenarios"`
	}
	Expect(json.Unmarshal([]byte(r.stdout), &out)).To(Succeed(), r.output())
	got := map[string]scenarioVerdict{}
	for _, rep := range out.Scenarios {
		v := scenarioVerdict{Passed: len(rep.Problems) == 0 && !rep.Interrupted}
		for _, o := range rep.Orgs {
			v.Converged = append(v.Converged, o.Passed())
		}
		got[rep.Scenario] = v
	}
	return got
}

// throughLibrary plays them as a Go test does: scenarios.Runner with the
// probe and the default settling.
func throughLibrary(ctx context.Context, bug consumertest.Bug) map[string]scenarioVerdict {
	GinkgoHelper()
	webhook, probeURL, _ := queueConsumer(bug)
	s, err := sender.New(webhook)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	got := map[string]scenarioVerdict{}
	for _, name := range doorScenarios {
		sc, err := scenarios.Lookup(name)
		Expect(err).NotTo(HaveOccurred())
		r := scenarios.NewRunner(s, []byte(doorKey), scenarios.Seed(doorSeed), scenarios.WithProbe(probe.HTTP(probeURL, nil)))
		rep, err := r.Run(ctx, sc)
		Expect(err).NotTo(HaveOccurred())
		got[name] = verdictOf(rep)
	}
	return got
}

// throughConsole plays the scenarios from the console's runs API, as the
// page (or a script) does: POST /api/console/runs, then the run until done.
func throughConsole(ctx context.Context, bug consumertest.Bug) map[string]scenarioVerdict {
	GinkgoHelper()
	webhook, probeURL, _ := queueConsumer(bug)
	srv, err := console.New(console.Addr("127.0.0.1:0"), console.StorePath(filepath.Join(GinkgoT().TempDir(), "console.db")),
		console.Key([]byte(doorKey)), console.Seed(doorSeed),
		console.Override(console.Patch{WebhookURL: &webhook, ProbeURL: &probeURL}))
	Expect(err).NotTo(HaveOccurred())
	ln, err := srv.Listen()
	Expect(err).NotTo(HaveOccurred())
	serveCtx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(serveCtx, ln) }()
	DeferCleanup(func() { stop(); <-served; _ = srv.Close() })
	base := "http://" + srv.Addr() + "/api/console/runs"
	got := map[string]scenarioVerdict{}
	for _, name := range doorScenarios {
		resp, err := http.Post(base, "application/json", strings.NewReader(`{"scenario":"`+name+`"}`))
		Expect(err).NotTo(HaveOccurred())
		var run console.Run
		Expect(json.NewDecoder(resp.Body).Decode(&run)).To(Succeed())
		resp.Body.Close()
		Expect(resp.StatusCode).To(BeNumerically("<", 300), "%s: %+v", name, run)
		for run.State == console.RunRunning {
			select {
			case <-ctx.Done():
				Fail("the console's run of " + name + " did not end")
			case <-time.After(50 * time.Millisecond):
			}
			resp, err := http.Get(base + "/" + run.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(json.NewDecoder(resp.Body).Decode(&run)).To(Succeed())
			resp.Body.Close()
		}
		Expect(run.State).To(Equal(console.RunDone), "%s: %+v", name, run)
		v := scenarioVerdict{Passed: run.Verdict == console.VerdictPass}
		for _, o := range run.Orgs {
			v.Converged = append(v.Converged, o.Passed())
		}
		got[name] = v
	}
	return got
}

// throughBox plays, on Tartan in a box, the flows of the scenarios that
// the box can express, and returns each flow's verdicts (one per org).
func throughBox(ctx context.Context, bug consumertest.Bug) map[string][]judge.Verdict {
	GinkgoHelper()
	webhook, probeURL, _ := queueConsumer(bug)
	b, err := box.New(webhook, []byte(doorKey), "doors-api-key", box.Seed(doorSeed), box.AcceptAfter(0), box.Employees(40),
		box.WithProbe(probe.HTTP(probeURL, nil)))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Close)
	verdict := func(org string) judge.Verdict {
		GinkgoHelper()
		v, err := b.AwaitVerdict(ctx, org)
		Expect(err).NotTo(HaveOccurred())
		return v
	}
	invite := func(name string) string {
		GinkgoHelper()
		org, fresh, err := b.Invite(box.Invitation{Email: "hr@" + name + ".example", OrgName: name, FullName: "HR of " + name})
		Expect(err).NotTo(HaveOccurred())
		Expect(fresh).To(BeTrue())
		return org
	}
	got := map[string][]judge.Verdict{}
	org := invite("onboarding")
	got["onboarding"] = []judge.Verdict{verdict(org)}
	_, err = b.SyncWith(org, fixtures.Delta{Joiners: 2, Promotions: 2, Transfers: 1, Leavers: 1})
	Expect(err).NotTo(HaveOccurred())
	got["weekly-delta"] = []judge.Verdict{verdict(org)}
	b.FailNext(sender.FaultDrop, 2)
	_, err = b.SyncWith(org, fixtures.Delta{Joiners: 3, Promotions: 1})
	Expect(err).NotTo(HaveOccurred())
	Expect(b.Idle(ctx)).To(Succeed())
	Expect(b.EOD()).To(BeNumerically(">", 0), "the EOD batch re-sends the two dropped")
	got["eod-retry"] = []judge.Verdict{verdict(org)}
	Expect(b.Terminate(org)).To(Succeed())
	got["termination"] = []judge.Verdict{verdict(org)}
	var orgs []string
	for _, name := range []string{"first", "second", "third"} {
		orgs = append(orgs, invite(name))
	}
	for _, o := range orgs {
		got["multi-org"] = append(got["multi-org"], verdict(o))
	}
	return got
}

// connectionOnly reports whether every verdict of vs failed, and every
// difference is about connection events: the one bug the buggy consumer
// has (its status never follows, and the events it acknowledged were never
// applied).
func connectionOnly(vs []judge.Verdict) bool {
	for _, v := range vs {
		if !v.Judged || v.Converged {
			return false
		}
		for _, d := range v.Differences {
			if d.Kind != judge.ConnectionDiffers && !(d.Kind == judge.NotApplied && strings.HasPrefix(d.Delivery.Event, "connection.events.")) {
				return false
			}
		}
	}
	return true
}

var _ = Describe("every door", Label("doors"), func() {
	for _, c := range []struct {
		bug  consumertest.Bug
		name string
	}{{consumertest.Correct, "a correct queue-based consumer"}, {consumertest.DropsConnectionEvents, "a queue-based consumer that drops connection events"}} {
		It(fmt.Sprintf("gives %s the same verdicts", c.name), func(ctx SpecContext) {
			// The doors play at once, each against a consumer of its own:
			// most of their time is spent settling.
			var (
				wg            sync.WaitGroup
				cli, lib, con map[string]scenarioVerdict
				boxed         map[string][]judge.Verdict
			)
			for _, door := range []func(){
				func() { cli = throughCLI(c.bug) },
				func() { lib = throughLibrary(ctx, c.bug) },
				func() { con = throughConsole(ctx, c.bug) },
				func() { boxed = throughBox(ctx, c.bug) },
			} {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					door()
				}()
			}
			wg.Wait()
			Expect(cli).To(HaveLen(len(doorScenarios)))
			Expect(lib).To(Equal(cli), "the library a Go test calls")
			Expect(con).To(Equal(cli), "the console's runs API")
			// The box plays the same flows from one state (each after an
			// invite): it converges where the scenarios pass, and for the
			// buggy consumer finds the same bug and no other.
			Expect(boxed).To(HaveLen(len(doorScenarios)))
			for flow, vs := range boxed {
				if c.bug == consumertest.Correct {
					for _, v := range vs {
						Expect(v.Passed()).To(BeTrue(), "box, %s: %s (seed %d)", flow, v, doorSeed)
					}
				} else {
					Expect(connectionOnly(vs)).To(BeTrue(), "box, %s: %v (seed %d)", flow, vs, doorSeed)
				}
			}
			for _, name := range doorScenarios {
				v := cli[name]
				switch {
				case c.bug == consumertest.Correct:
					Expect(v.Passed).To(BeTrue(), "%s: a correct consumer must pass (seed %d)", name, doorSeed)
				case strings.Contains("onboarding termination multi-org", name):
					Expect(v.Passed).To(BeFalse(), "%s: its connection status never follows (seed %d)", name, doorSeed)
				}
			}
		}, SpecTimeout(3*time.Minute))
	}
})
