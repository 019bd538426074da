package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
)

// secretForms are the ways the key could leak: as given, in hex (either
// case), and in standard or URL-safe base64 at each of the three
// alignments it could have inside a longer encoded text (the whole 4-char
// groups only, which do not depend on the bytes around the key).
func secretForms(key string) []string {
	b := []byte(key)
	forms := []string{key, hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b))}
	for skip := range 3 {
		whole := (len(b) - skip) / 3 * 4
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			forms = append(forms, enc.EncodeToString(b[skip:])[:whole])
		}
	}
	return forms
}

// leaks returns the names of the texts that hold the key in any form.
func leaks(key string, texts map[string]string) []string {
	var found []string
	for name, text := range texts {
		for _, form := range secretForms(key) {
			if strings.Contains(text, form) {
				found = append(found, name+" holds "+form)
			}
		}
	}
	return found
}

// keySource gives the key to a command one way.
type keySource struct {
	name string
	// args are the flags that give the key; set puts it in the
	// environment or a file first.
	args func(dir string) []string
	env  bool
}

var keySources = []keySource{
	{name: "--key", args: func(string) []string { return []string{"--key", secretKey} }},
	{name: "$" + envKey, args: func(string) []string { return nil }, env: true},
	{name: "--key-file", args: func(dir string) []string {
		file := filepath.Join(dir, "app.key")
		Expect(os.WriteFile(file, []byte(secretKey+"\n"), 0o600)).To(Succeed())
		return []string{"--key-file", file}
	}},
}

// yesConsumer answers 200 to anything: it checks no signature, so every
// forgery check fails and the reports carry failure details.
func yesConsumer() string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	DeferCleanup(srv.Close)
	return srv.URL + "/webhook"
}

// refConsumer is the reference consumer with the secret key.
func refConsumer() (webhook, probe string) {
	srv := httptest.NewServer(consumer.New([]byte(secretKey)).Handler())
	DeferCleanup(srv.Close)
	return srv.URL + consumer.WebhookPath, srv.URL + consumer.ProbePath
}

// freeLoopback returns a loopback address nobody listens on.
func freeLoopback() string {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	return addr
}

var _ = Describe("the app key", Label("secrets"), func() {
	It("is caught by the scan in every form it could take", func() {
		enc := base64.StdEncoding.EncodeToString([]byte("xy" + secretKey + "z"))
		Expect(leaks(secretKey, map[string]string{"b64": enc})).NotTo(BeEmpty())
		Expect(leaks(secretKey, map[string]string{"hex": "aa" + strings.ToUpper(hex.EncodeToString([]byte(secretKey)))})).NotTo(BeEmpty())
		Expect(leaks(secretKey, map[string]string{"none": sign([]byte(secretKey))})).To(BeEmpty(), "an HMAC is no leak")
	})

	DescribeTable("never appears in any output, report, record or log of any command",
		func(spec SpecContext, src keySource) {
			dir := GinkgoT().TempDir()
			if src.env {
				GinkgoT().Setenv(envKey, secretKey)
			}
			key := src.args(dir)
			texts := map[string]string{}
			invoke := func(name, stdin string, args ...string) invocation {
				r := tartansim(stdin, args...)
				texts[name+": stdout"] = r.stdout
				texts[name+": stderr"] = r.stderr
				return r
			}
			file := func(name, path string) {
				data, err := os.ReadFile(path)
				Expect(err).NotTo(HaveOccurred(), name)
				Expect(data).NotTo(BeEmpty(), name)
				texts[name] = string(data)
			}
			ref, probe := refConsumer()
			yes := yesConsumer()
			with := func(args ...string) []string { return append(args, key...) }

			// Commands without a key: what the environment holds never shows,
			// and a key flag given to them by mistake is refused unechoed.
			for _, args := range [][]string{{"events"}, {"events", "--json"}, {"scenarios"}, {"scenarios", "--json"}} {
				Expect(invoke(strings.Join(args, " "), "", args...).code).To(Equal(0))
				if len(key) > 0 {
					Expect(invoke(strings.Join(args, " ")+" with "+src.name, "", with(args...)...).code).To(Equal(2))
				}
			}
			Expect(invoke("send --help", "", "send", "--help").code).To(Equal(0))

			// send: built-in, dry run, JSON, an external consumer, a rejection, a failure.
			Expect(invoke("send", "", with("send", "sync.events.employee.add")...).code).To(Equal(0))
			Expect(invoke("send --json", "", with("send", "sync.events.employee.add", "--json")...).code).To(Equal(0))
			Expect(invoke("send --dry-run", "", with("send", "sync.events.employee.update", "--dry-run", "--target", ref)...).code).To(Equal(0))
			Expect(invoke("send --dry-run --json", "", with("send", "sync.events.initiated", "--dry-run", "--json")...).code).To(Equal(0))
			Expect(invoke("send to a consumer", "", with("send", "connection.events.requested", "--target", ref, "--json")...).code).To(Equal(0))
			Expect(invoke("send near-miss", "", with("send", "sync.events.initiated", "--signature", "near-miss")...).code).To(Equal(1))
			Expect(invoke("send to a closed port", "", with("send", "sync.events.initiated", "--target", "http://"+freeLoopback()+"/webhook")...).code).To(Equal(3))

			// sign and verify.
			body := `{"event":"sync.events.initiated"}`
			signed := invoke("sign", body, with("sign")...)
			Expect(signed.code).To(Equal(0))
			Expect(invoke("verify", body, with("verify", "--signature", strings.TrimSpace(signed.stdout))...).code).To(Equal(0))
			Expect(invoke("verify a mismatch", body+" ", with("verify", "--signature", strings.TrimSpace(signed.stdout))...).code).To(Equal(1))

			// consumer, briefly, with one delivery.
			addr := freeLoopback()
			ctx, cancel := context.WithCancel(spec)
			served := make(chan invocation, 1)
			go func() { served <- tartansimCtx(ctx, "", with("consumer", "--addr", addr)...) }()
			Eventually(func() error {
				c, err := net.Dial("tcp", addr)
				if err == nil {
					_ = c.Close()
				}
				return err
			}, 5*time.Second, 10*time.Millisecond).Should(Succeed())
			Expect(invoke("send to tartansim consumer", "", with("send", "sync.events.employee.add", "--target", "http://"+addr+consumer.WebhookPath)...).code).To(Equal(0))
			cancel()
			var c invocation
			Eventually(served, 5*time.Second).Should(Receive(&c))
			Expect(c.code).To(Equal(130))
			texts["consumer: stdout"], texts["consumer: stderr"] = c.stdout, c.stderr
			Expect(c.stdout).To(ContainSubstring("applied sync.events.employee.add"))

			// run: record and JSON, text with every delivery, a consumer that fails.
			record := filepath.Join(dir, "run.ndjson")
			Expect(invoke("run --record --json", "", with("run", "eod-retry", "--day", "0", "--record", record, "--json")...).code).To(Equal(0))
			file("run --record", record)
			Expect(invoke("run --verbose", "", with("run", "signature-attacks", "--day", "0", "--verbose", "--target", ref, "--probe", probe)...).code).To(Equal(0))
			Expect(invoke("run against a consumer that accepts forgeries", "", with("run", "signature-attacks", "--day", "0", "--verbose", "--target", yes)...).code).To(Equal(1))

			// conformance: JUnit and JSON, passing and failing.
			junit := filepath.Join(dir, "junit.xml")
			Expect(invoke("conformance --junit --json", "", with("conformance", "--junit", junit, "--json", "--target", ref, "--probe", probe)...).code).To(Equal(0))
			file("conformance --junit", junit)
			failing := filepath.Join(dir, "failing.xml")
			Expect(invoke("conformance, failing", "", with("conformance", "--junit", failing, "--target", yes)...).code).To(Equal(1))
			file("conformance --junit, failing", failing)
			Expect(texts["conformance --junit, failing"]).To(ContainSubstring("<failure"))

			// load and replay, with their record and report.
			loadRecord, html := filepath.Join(dir, "load.ndjson"), filepath.Join(dir, "load.html")
			Expect(invoke("load", "", with("load", "--events", "200", "--rate", "4000", "--orgs", "2", "--employees", "10", "--record", loadRecord, "--html", html, "--json", "--quiet")...).code).To(Equal(0))
			file("load --record", loadRecord)
			file("load --html", html)
			Expect(invoke("replay --resign", "", with("replay", record, "--resign", "--rate", "2000", "--target", ref, "--json")...).code).To(Equal(0))

			Expect(leaks(secretKey, texts)).To(BeEmpty())
		},
		Entry("given with --key", keySources[0], SpecTimeout(90*time.Second)),
		Entry("given in $"+envKey, keySources[1], SpecTimeout(90*time.Second)),
		Entry("given with --key-file", keySources[2], SpecTimeout(90*time.Second)),
	)

	DescribeTable("in a --key-file others can read draws a warning from every command that reads it",
		func(args ...string) {
			dir := GinkgoT().TempDir()
			file := filepath.Join(dir, "app.key")
			Expect(os.WriteFile(file, []byte(secretKey+"\n"), 0o644)).To(Succeed())
			Expect(os.Chmod(file, 0o644)).To(Succeed())
			warning := "warning: --key-file " + file + " can be read by other users (mode 0644); chmod 600 it\n"
			args = append(args, "--key-file", file)

			r := tartansim("body", args...)
			Expect(r.stderr).To(HavePrefix(warning), r.output())
			Expect(strings.Count(r.stderr, "warning:")).To(Equal(1))
			Expect(r.output()).NotTo(ContainSubstring(secretKey))

			Expect(os.Chmod(file, 0o600)).To(Succeed())
			Expect(tartansim("body", args...).stderr).NotTo(ContainSubstring("warning:"))
		},
		Entry("send", "send", "sync.events.initiated", "--dry-run"),
		Entry("sign", "sign"),
		Entry("verify", "verify", "--signature", strings.Repeat("0", 64)),
		Entry("run", "run", "onboarding", "--day", "0"),
		Entry("conformance", "conformance", "--label-filter", "SIG-VALID"),
		Entry("load", "load", "--events", "10", "--rate", "1000", "--orgs", "1", "--employees", "5", "--quiet"),
	)
})
