package spec

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
)

// closedURL returns a loopback URL on which nothing listens.
func closedURL(path string) string {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	return "http://" + addr + path
}

var _ = Describe("the sentence that aborts the suite", func() {
	key := []byte("declare-test-key")

	run := func(ctx context.Context, id string, t conformance.Target) error {
		GinkgoHelper()
		c, ok := conformance.Lookup(id)
		Expect(ok).To(BeTrue())
		t.Key, t.Seed = key, 3
		_, err := c.Run(ctx, t)
		return err
	}

	It("names the target that refused the connection", func(ctx SpecContext) {
		t := conformance.Target{URL: closedURL("/webhook")}
		err := run(ctx, "SIG-VALID", t)
		Expect(err).To(MatchError(conformance.ErrUnreachable))
		sentence, ok := unreachable(t, err)
		Expect(ok).To(BeTrue())
		Expect(sentence).To(Equal("could not reach " + t.URL + ": connection refused"))
	})

	It("hides a password and query values of the target", func() {
		t := conformance.Target{URL: "https://ci:hunter2@hooks.example/tartan?token=abc"}
		sentence, ok := unreachable(t, errors.Join(conformance.ErrUnreachable, errors.New("x")))
		Expect(ok).To(BeTrue())
		Expect(sentence).To(HavePrefix("could not reach https://ci:xxxxx@hooks.example/tartan?token=xxxxx: "))
	})

	It("names the state probe that refused the connection", func(ctx SpecContext) {
		srv := httptest.NewServer(consumer.New(key).Handler())
		DeferCleanup(srv.Close)
		probeURL := closedURL("/probe")
		t := conformance.Target{URL: srv.URL + consumer.WebhookPath, Probe: probe.HTTP(probeURL, nil)}
		err := run(ctx, "SIG-MISSING", t)
		Expect(err).To(HaveOccurred())
		sentence, ok := unreachable(t, err)
		Expect(ok).To(BeTrue(), err.Error())
		Expect(sentence).To(Equal("could not reach the state probe " + probeURL + ": connection refused"))
	})

	It("names the state probe whose TLS failed, and why, and stops there too", func(ctx SpecContext) {
		srv := httptest.NewServer(consumer.New(key).Handler())
		DeferCleanup(srv.Close)
		untrusted := httptest.NewTLSServer(consumer.New(key).Handler()) // a certificate nobody trusts
		DeferCleanup(untrusted.Close)
		probeURL := untrusted.URL + consumer.ProbePath
		t := conformance.Target{URL: srv.URL + consumer.WebhookPath, Probe: probe.HTTP(probeURL, nil)}
		err := run(ctx, "SIG-MISSING", t)
		Expect(err).To(HaveOccurred())
		sentence, ok := unreachable(t, err)
		Expect(ok).To(BeTrue(), err.Error())
		Expect(sentence).To(HavePrefix("could not reach the state probe " + probeURL + ": TLS: "))
		Expect(sentence).To(ContainSubstring("certificate"))
	})

	It("lets other errors fail one spec", func(ctx SpecContext) {
		srv := httptest.NewServer(consumer.New(key).Handler())
		DeferCleanup(srv.Close)
		t := conformance.Target{URL: srv.URL + consumer.WebhookPath, Probe: func(context.Context, string) (probe.State, error) {
			return probe.State{}, errors.New("probe answered 500 Internal Server Error")
		}}
		err := run(ctx, "SIG-MISSING", t)
		Expect(err).To(HaveOccurred())
		_, ok := unreachable(t, err)
		Expect(ok).To(BeFalse())
	})
})

var _ = Describe("the rerun hint", func() {
	c, _ := conformance.Lookup("DEL-STALE")

	It("replays the Ginkgo seed when the Target left Seed to it", func() {
		Expect(rerunHint(c, 1234, true)).To(Equal("rerun this spec alone: go test -count=1 -ginkgo.label-filter='DEL-STALE' -ginkgo.seed=1234"))
	})

	It("names the Target's own seed", func() {
		Expect(rerunHint(c, 99, false)).To(Equal("rerun this spec alone: -ginkgo.label-filter='DEL-STALE', with the Target's Seed 99"))
	})
})

var _ = Describe("a suite in which every conformance spec was skipped", func() {
	It("fails, and says that nothing was judged", func(ctx SpecContext) {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSpec$", "-ginkgo.focus="+Suite, "-ginkgo.no-color")
		cmd.Env = append(os.Environ(), "SPEC_TEST_NOTHING_JUDGED=1")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		Expect(errors.As(err, &exit)).To(BeTrue(), "the suite failed: %v\n%s", err, out)
		Expect(string(out)).To(ContainSubstring("nothing was judged: all 21 checks were skipped, e.g. SIG-VALID: needs sync.events.employee.add/initial and sync.events.employee.add/delta, which the subscription leaves out"))
		Expect(string(out)).To(ContainSubstring("Ran 0 of"), "every check was skipped")
		Expect(string(out)).To(ContainSubstring("FAIL!"))
	})
})
