package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/console"
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
