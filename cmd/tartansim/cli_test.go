package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/sender"
)

// A recognisable key: no output may ever contain it.
const secretKey = "sk_live_TARTANSIM_SECRET_9f8e7d"

var _ = Describe("tartansim", func() {
	Describe("events", func() {
		It("lists the catalogue, documented or not", func() {
			r := tartansim("", "events")
			Expect(r.code).To(Equal(0))
			Expect(r.stdout).To(ContainSubstring("sync.events.employee.add/initial"))
			Expect(r.stdout).To(MatchRegexp(`record.employee.remark\s+record.events\s+no`))
		})
	})

	Describe("send", func() {
		It("posts to the built-in reference consumer with no flags and shows its verdict", func() {
			r := tartansim("", "send", "sync.events.employee.add")
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stdout).To(ContainSubstring("built-in reference consumer"))
			Expect(r.stdout).To(MatchRegexp(`answer: 200 OK`))
			Expect(r.stdout).To(MatchRegexp(`consumer: applied \(\d+ records, 0 stale\)`))
			Expect(r.stdout).To(MatchRegexp(`seed \d+`))
		})

		It("exits 1 when the consumer rejects the delivery, and prints the seed", func() {
			r := tartansim("", "send", "sync.events.initiated", "--signature", "near-miss", "--seed", "9")
			Expect(r.code).To(Equal(1))
			Expect(r.stdout).To(ContainSubstring("401"))
			Expect(r.stderr).To(ContainSubstring("seed 9"))
		})

		It("prints a curl command that sends the same bytes the consumer accepts", func() {
			if _, err := exec.LookPath("curl"); err != nil {
				Skip("curl is not installed")
			}
			ref := consumer.New([]byte(secretKey))
			srv := httptest.NewServer(ref.Handler())
			DeferCleanup(srv.Close)
			r := tartansim("", "send", "sync.events.employee.update", "--dry-run", "--seed", "5",
				"--layout", "indented", "--target", srv.URL+consumer.WebhookPath, "--key", secretKey)
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stdout).NotTo(ContainSubstring(secretKey))
			out, err := exec.Command("sh", "-c", r.stdout).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
			Expect(string(out)).To(ContainSubstring(`"ok"`))
		})

		It("gives the same bytes for the same seed and time", func() {
			args := []string{"send", "sync.events.employee.add", "--dry-run", "--seed", "77", "--at", "2026-11-01T10:00:00Z", "--layout", "python"}
			a, b := tartansim("", args...), tartansim("", args...)
			Expect(a.code).To(Equal(0))
			Expect(a.stdout).To(Equal(b.stdout))
			c := tartansim("", append(args[:len(args):len(args)], "--seed", "78")...)
			Expect(c.stdout).NotTo(Equal(a.stdout))
		})

		It("applies overrides, including the dotted vendor.orgId", func() {
			r := tartansim("", "send", "sync.events.initiated", "--dry-run", "--set", "vendor.orgId=v-123",
				"--set", "body[0].newRecords=7", "--add", "surprise=true", "--unset", "message")
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stdout).To(ContainSubstring(`"vendor.orgId":"v-123"`))
			Expect(r.stdout).To(ContainSubstring(`"newRecords":7`))
			Expect(r.stdout).To(ContainSubstring(`"surprise":true`))
			Expect(r.stdout).NotTo(ContainSubstring(`"message"`))
		})

		It("applies overrides in the order given", func() {
			r := tartansim("", "send", "sync.events.initiated", "--dry-run", "--unset", "message", "--add", `message="Success"`)
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stdout).To(ContainSubstring(`"message":"Success"`))
			r = tartansim("", "send", "sync.events.initiated", "--dry-run", "--unset", "vendor.orgId", "--add", "vendor.orgId=v-9")
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stdout).To(ContainSubstring(`"vendor.orgId":"v-9"`))
		})

		It("reports the envelope as sent, after overrides, and a reproduce line that reproduces", func() {
			r := tartansim("", "send", "sync.events.initiated", "--set", "requestId=my-req", "--pii", "--seed", "4", "--at", "2026-11-01T10:00:00Z")
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stdout).To(ContainSubstring("requestId my-req"))
			Expect(r.stdout).To(ContainSubstring("--pii --set 'requestId=my-req'"))
		})

		It("never prints a password or a query token of the target URL", func() {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
			DeferCleanup(srv.Close)
			u := strings.Replace(srv.URL, "http://", "http://user:s3cretpw@", 1) + "/hook?token=t0ps3cret"
			r := tartansim("", "send", "sync.events.initiated", "--target", u, "--key", "k", "--json")
			Expect(r.code).To(Equal(1), r.output())
			Expect(r.output()).NotTo(ContainSubstring("s3cretpw"))
			Expect(r.output()).NotTo(ContainSubstring("t0ps3cret"))

			html := filepath.Join(GinkgoT().TempDir(), "load.html")
			for _, args := range [][]string{
				{"run", "onboarding", "--day", "0", "--json"},
				{"run", "onboarding", "--day", "0"},
				{"load", "--events", "20", "--orgs", "1", "--employees", "5", "--json", "--html", html},
				{"conformance", "--label-filter", "signature", "--json"},
			} {
				r := tartansim("", append(args, "--target", u, "--key", "k")...)
				Expect(r.code).To(BeElementOf(0, 1), "%v: %s", args, r.output()) // load has no thresholds here
				Expect(r.output()).To(ContainSubstring("xxxxx"), "%v names the target, redacted", args)
				Expect(r.output()).NotTo(ContainSubstring("s3cretpw"), "%v", args)
				Expect(r.output()).NotTo(ContainSubstring("t0ps3cret"), "%v", args)
			}
			data, err := os.ReadFile(html)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(data)).NotTo(ContainSubstring("s3cretpw"))
		})

		It("does not accept flags a command would ignore", func() {
			Expect(tartansim("x", "sign", "--key", "k", "--layout", "python").code).To(Equal(2))
			Expect(tartansim("", "consumer", "--target", "http://x").code).To(Equal(2))
		})

		DescribeTable("refuses bad input with one sentence and exit 2",
			func(want string, args ...string) {
				r := tartansim("", args...)
				Expect(r.code).To(Equal(2), r.output())
				Expect(r.stdout).To(BeEmpty())
				Expect(strings.Count(strings.TrimSpace(r.stderr), "\n")).To(Equal(0), r.stderr)
				Expect(r.stderr).To(ContainSubstring(want))
			},
			Entry("an unknown event", `unknown event "sync.events.nope"`, "send", "sync.events.nope"),
			Entry("an override path that matches nothing", `has no key "nmae"`, "send", "sync.events.employee.add", "--set", "body[0].nmae=x"),
			Entry("a malformed override path", "bad path", "send", "sync.events.employee.add", "--set", "body[0.name=x"),
			Entry("an override of the wrong type", "is a number", "send", "sync.events.initiated", "--set", "body[0].newRecords=lots"),
			Entry("a missing key for an external target", "no app key", "send", "sync.events.initiated", "--target", "http://127.0.0.1:9/webhook"),
			Entry("a malformed URL", "is not an http:// or https:// URL", "send", "sync.events.initiated", "--target", "127.0.0.1:8080/webhook", "--key", "k"),
			Entry("an unknown layout", "--layout", "send", "sync.events.initiated", "--layout", "pretty"),
			Entry("an unknown flag", "unknown flag", "send", "sync.events.initiated", "--nope"),
			Entry("a missing argument", "accepts 1 arg", "send"),
			Entry("a bad time", "--at", "send", "sync.events.initiated", "--at", "yesterday"),
			Entry("an unknown command", "unknown command", "sned"),
			Entry("both --key and --key-file", "both given", "send", "sync.events.initiated", "--key", "k", "--key-file", "f"),
			Entry("a scenario file that is not there", "tartansim: cannot read no-such.yaml: no such file.", "run", "no-such.yaml"),
		)

		It("says one sentence and exits 3 when the target is unreachable", func() {
			addr := freeLoopback() // nobody listens there
			r := tartansim("", "send", "sync.events.initiated", "--target", "http://"+addr+"/webhook", "--key", "k")
			Expect(r.code).To(Equal(3), r.output())
			Expect(r.stderr).To(Equal(fmt.Sprintf("tartansim: could not reach http://%s/webhook: connection refused.\n", addr)))
		})

		It("exits 1 when the target answers non-2xx", func() {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
			DeferCleanup(srv.Close)
			r := tartansim("", "send", "sync.events.initiated", "--target", srv.URL, "--key", "k")
			Expect(r.code).To(Equal(1), r.output())
		})

		It("reads the key from the environment and from a file, and never prints it", func() {
			got := make(chan string, 4)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Get(sender.HeaderSignature)
			}))
			DeferCleanup(srv.Close)
			GinkgoT().Setenv(envKey, secretKey)
			r := tartansim("", "send", "sync.events.initiated", "--target", srv.URL, "--json")
			Expect(r.code).To(Equal(0), r.output())
			Expect(<-got).To(HaveLen(64))
			Expect(r.output()).NotTo(ContainSubstring(secretKey))

			GinkgoT().Setenv(envKey, "")
			file := filepath.Join(GinkgoT().TempDir(), "key")
			Expect(os.WriteFile(file, []byte(secretKey+"\n"), 0o644)).To(Succeed())
			r = tartansim("", "send", "sync.events.initiated", "--target", srv.URL, "--key-file", file)
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stderr).To(ContainSubstring("can be read by other users"))
			Expect(r.output()).NotTo(ContainSubstring(secretKey))
		})
	})

	Describe("sign and verify", func() {
		It("sign prints the signature of the exact bytes, verify checks it", func() {
			body := "{\"a\": \"Zoë\"}\n"
			r := tartansim(body, "sign", "--key", secretKey)
			Expect(r.code).To(Equal(0))
			sig := strings.TrimSpace(r.stdout)
			Expect(sig).To(Equal(sender.Sign([]byte(secretKey), []byte(body))))

			Expect(tartansim(body, "verify", "-", "--signature", sig, "--key", secretKey).code).To(Equal(0))
			bad := tartansim(body+" ", "verify", "--signature", sig, "--key", secretKey)
			Expect(bad.code).To(Equal(1))
			Expect(bad.stderr).To(ContainSubstring("does not match"))
			Expect(tartansim(body, "verify", "--signature", "abc", "--key", secretKey).code).To(Equal(1))
		})

		It("needs a key and a signature", func() {
			Expect(tartansim("x", "sign").stderr).To(ContainSubstring("no app key"))
			Expect(tartansim("x", "sign").code).To(Equal(2))
			Expect(tartansim("x", "verify", "--key", "k").code).To(Equal(2))
			Expect(tartansim("x", "sign", "/no/such/file", "--key", "k").stderr).To(ContainSubstring("no such file"))
		})
	})

	Describe("consumer", func() {
		It("serves the reference consumer until interrupted, printing verdicts, and exits 130", func() {
			addr := freeLoopback() // nobody listens there

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan invocation, 1)
			go func() { done <- tartansimCtx(ctx, "", "consumer", "--addr", addr, "--key", secretKey) }()
			Eventually(func() error {
				c, err := net.Dial("tcp", addr)
				if err == nil {
					c.Close()
				}
				return err
			}, 5*time.Second, 20*time.Millisecond).Should(Succeed())

			r := tartansim("", "send", "connection.events.requested", "--target", "http://"+addr+"/webhook", "--key", secretKey)
			Expect(r.code).To(Equal(0), r.output())
			cancel()
			var served invocation
			Eventually(done, 5*time.Second).Should(Receive(&served))
			Expect(served.code).To(Equal(130))
			Expect(served.stdout).To(ContainSubstring("applied connection.events.requested"))
			Expect(served.output()).NotTo(ContainSubstring(secretKey))
		})
	})

	It("ends --help with examples", func() {
		for _, cmd := range []string{"", "send", "sign", "verify", "consumer", "events"} {
			r := tartansim("", strings.Fields(cmd+" --help")...)
			Expect(r.code).To(Equal(0))
			Expect(r.stdout).To(ContainSubstring("Examples:"), cmd)
		}
	})
})
