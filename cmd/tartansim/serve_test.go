package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/internal/apicall"
)

var _ = Describe("serve", Label("serve"), func() {
	var store string
	BeforeEach(func() {
		for _, v := range []string{envEvents, envToken, envStore} {
			GinkgoT().Setenv(v, "")
		}
		store = filepath.Join(GinkgoT().TempDir(), "console.db")
	})

	It("explains itself, with examples", func() {
		r := tartansim("", "serve", "--help")
		Expect(r.code).To(Equal(0))
		Expect(r.stdout).To(ContainSubstring("127.0.0.1:7070"))
		Expect(r.stdout).To(ContainSubstring("Examples:"))
		Expect(r.stdout).To(ContainSubstring("--events"))
		Expect(r.stdout).To(ContainSubstring("--token-file"))
	})

	It("serves the console until interrupted, with the flags beating the stored settings", func() {
		addr := freeLoopback()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan invocation, 1)
		go func() {
			done <- tartansimCtx(ctx, "", "serve", "--addr", addr, "--store", store,
				"--events", "connection.events.requested,sync.events.employee.add", "--eod", "off", "--key", secretKey)
		}()
		var v console.SettingsView
		Eventually(func() int {
			resp, err := http.Get("http://" + addr + "/api/console/settings")
			if err != nil {
				return 0
			}
			defer resp.Body.Close()
			_ = json.NewDecoder(resp.Body).Decode(&v)
			return resp.StatusCode
		}, "10s", "20ms").Should(Equal(http.StatusOK))
		Expect(v.Subscribed).To(Equal([]string{"connection.events.requested", "sync.events.employee.add/initial", "sync.events.employee.add/delta"}))
		Expect(v.EOD).To(Equal("off"))
		Expect(v.KeyGiven).To(BeTrue())
		cancel()
		var r invocation
		Eventually(done, "10s").Should(Receive(&r))
		Expect(r.code).To(Equal(exitInterrupted))
		Expect(r.stdout).To(ContainSubstring("tartansim console: http://" + addr + "/"))
		Expect(r.stderr).To(ContainSubstring("the console stopped, its log is kept in " + store))
		Expect(r.output()).NotTo(ContainSubstring(secretKey))
	})

	DescribeTable("refuses bad input with one sentence and exit 2",
		func(want string, args ...string) {
			r := tartansim("", append([]string{"serve", "--store", store}, args...)...)
			Expect(r.code).To(Equal(exitUsage), r.output())
			Expect(r.stderr).To(ContainSubstring(want))
		},
		Entry("an address off loopback without a token", "--addr 0.0.0.0:7070 is not loopback, so the console needs a token", "--addr", "0.0.0.0:7070"),
		Entry("an address with no host", `has no host`, "--addr", ":7070"),
		Entry("an unknown event", `--events: unknown event "sync.events.nope" (the catalogue: connection.events.requested`, "--events", "sync.events.nope"),
		Entry("a target that is not http(s)", `--target "ftp://x/hook" is not an http:// or https:// URL`, "--target", "ftp://x/hook"),
		Entry("a bad EOD time", `--eod "7pm" is not a time of day like 23:59 (IST), or off.`, "--eod", "7pm"),
		Entry("both token flags", "--token and --token-file both given", "--token", "a", "--token-file", "b"),
	)

	It("refuses a store that another serve holds", func() {
		st, err := console.OpenStore(store)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(st.Close)
		r := tartansim("", "serve", "--store", store, "--addr", freeLoopback())
		Expect(r.code).To(Equal(exitUsage))
		Expect(r.stderr).To(Equal("tartansim: the store " + store + " is in use by another tartansim serve; stop it or pass --store another file.\n"))
	})

	It("refuses a damaged store and leaves it untouched", func() {
		junk := []byte("not a database, but precious\n")
		Expect(os.WriteFile(store, junk, 0o600)).To(Succeed())
		r := tartansim("", "serve", "--store", store, "--addr", freeLoopback())
		Expect(r.code).To(Equal(exitUsage))
		Expect(r.stderr).To(ContainSubstring("is damaged or is not a tartansim console store; it was left untouched"))
		after, _ := os.ReadFile(store)
		Expect(after).To(Equal(junk))
	})

	It("takes the token from the environment off loopback", func() {
		GinkgoT().Setenv(envToken, "tok-"+strconv.Itoa(GinkgoParallelProcess()))
		_, port, _ := net.SplitHostPort(freeLoopback())
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		r := tartansimCtx(ctx, "", "serve", "--store", store, "--addr", "0.0.0.0:"+port)
		Expect(r.code).To(Equal(exitInterrupted), r.output())
		Expect(r.output()).NotTo(ContainSubstring("tok-"))
	})
})

var _ = Describe("serve's mock Tartan API", Label("serve", "api"), func() {
	var store string
	BeforeEach(func() {
		for _, v := range []string{envEvents, envToken, envStore, envAPIKey} {
			GinkgoT().Setenv(v, "")
		}
		store = filepath.Join(GinkgoT().TempDir(), "console.db")
	})

	call := func(method, url, key, body string, header ...string) (int, map[string]any) {
		GinkgoHelper()
		code, out, err := apicall.Do("application/json", method, url, key, body, header...)
		Expect(err).NotTo(HaveOccurred())
		return code, out
	}

	// serveAPI starts serve with the mock API's key and --accept-after
	// accept, and waits until it answers; stop ends it and returns what it
	// printed.
	serveAPI := func(accept string, extra ...string) (base string, stop func() invocation) {
		GinkgoHelper()
		addr := freeLoopback()
		ctx, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		done := make(chan invocation, 1)
		go func() {
			done <- tartansimCtx(ctx, "", append([]string{"serve", "--addr", addr, "--store", store, "--accept-after", accept, "--api-key", "the-api-key"}, extra...)...)
		}()
		base = "http://" + addr
		Eventually(func() error { _, err := http.Get(base + "/api/console/settings"); return err }, "10s", "20ms").Should(Succeed())
		return base, func() invocation {
			GinkgoHelper()
			cancel()
			var r invocation
			Eventually(done, "10s").Should(Receive(&r))
			return r
		}
	}

	// What the box and the console do together is package serve's to
	// show; here, that serve runs it from its flags.
	It("serves Tartan's API from its flags beside the console, says where, and never prints the key", func() {
		base, stop := serveAPI("never")
		code, _ := call("POST", base+"/api/sdk/token/", "wrong", `{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao"}`)
		Expect(code).To(Equal(http.StatusUnauthorized))
		code, tok := call("POST", base+"/api/sdk/token/", "the-api-key", `{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao","remote_org_id":"acme-1"}`)
		Expect(code).To(Equal(http.StatusOK), "%v", tok)
		code, v := call("GET", base+"/_tartansim/verdicts", "", "")
		Expect(code).To(Equal(http.StatusOK), "%v", v)

		r := stop()
		Expect(r.stdout).To(ContainSubstring("Tartan API on " + base + "/api/ (calls carry your API key); mock-only controls on " + base + "/_tartansim/"))
		Expect(r.output()).NotTo(ContainSubstring("the-api-key"))
	})

	It("arms faults on Tartan's API from the start with --api-faults", func() {
		base, stop := serveAPI("never", "--api-faults", "endpoint=token,status=429,retryAfter=1h,next=1")
		defer stop()
		req, _ := http.NewRequest("POST", base+"/api/sdk/token/", strings.NewReader(`{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao"}`))
		req.Header.Set("Authorization", "the-api-key")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusTooManyRequests))
		Expect(resp.Header.Get("Retry-After")).To(Equal("3600"))
		code, tok := call("POST", base+"/api/sdk/token/", "the-api-key", `{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao"}`)
		Expect(code).To(Equal(http.StatusOK), "the fault took one call: %v", tok)
		code, v := call("GET", base+"/_tartansim/api/verdict", "", "")
		Expect(code).To(Equal(http.StatusOK))
		Expect(v).To(HaveKeyWithValue("outcome", "failed"), "this spec called again at once, not an hour later, however loaded the machine")
		Expect(v["findings"]).To(ConsistOf(HaveKeyWithValue("check", "retry-after")))
	})

	DescribeTable("refuses bad input with one sentence and exit 2",
		func(want string, args ...string) {
			r := tartansim("", append([]string{"serve", "--store", store, "--addr", freeLoopback()}, args...)...)
			Expect(r.code).To(Equal(exitUsage), r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring(want))
		},
		Entry("a bad --accept-after", `--accept-after "soon" is not a duration like 30s or 0s, or never`, "--accept-after", "soon"),
		Entry("the API key equal to the app key", "the API key is the app key that signs webhooks", "--key", "k", "--api-key", "k"),
		Entry("no employees", "--employees is 0, but a corporate has 1 to 100000 employees", "--employees", "0"),
		Entry("too many employees", "--employees is 100001", "--employees", "100001"),
		Entry("both API key flags", "--api-key and --api-key-file both given", "--api-key", "a", "--api-key-file", "b"),
		Entry("an --api-faults of an unknown endpoint", `--api-faults "endpoint=nope,status=500,next=1": endpoint must be * or one of token`, "--api-faults", "endpoint=nope,status=500,next=1"),
		Entry("an --api-faults with an unknown key", `--api-faults "endpoint=*,times=2": times is not a key of this control`, "--api-faults", "endpoint=*,times=2"),
		Entry("an --api-faults Retry-After of part of a second", `retryAfter must be whole seconds`, "--api-faults", "endpoint=*,status=429,retryAfter=1500ms,next=1"),
	)
})
