package tartansim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/conformance/spec"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// The root suite plays tartansim against its own reference consumer, end to
// end over loopback HTTP: what the foundation promises, seen from outside;
// then the conformance checks, against the reference consumer or, with
// TARTAN_TARGET_URL, against yours:
//
//	go test -count=1 .
//	TARTAN_TARGET_URL=http://127.0.0.1:8080/webhook TARTAN_APP_KEY=… \
//	  TARTAN_PROBE_URL=http://127.0.0.1:8080/probe go test -count=1 .
//
// -count=1 because the consumer is outside the Go build: go test keys its
// cache on the test binary, its flags and the environment variables the
// test read, so after a change to your consumer alone it would replay the
// cached pass without sending anything.
//
// Written anywhere but a terminal (a CI log, a file, a pipe), the output
// has no colour codes.
func TestTartansim(t *testing.T) {
	RegisterFailHandler(Fail)
	suite, reporter := GinkgoConfiguration()
	if !terminal(os.Stdout) {
		reporter.NoColor = true
	}
	RunSpecs(t, "tartansim", suite, reporter)
}

// terminal reports whether f is a terminal (a character device), where
// colour codes show as colours rather than as escape sequences.
func terminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// The environment of the conformance specs, as tartansim conformance reads it.
const (
	envTarget  = "TARTAN_TARGET_URL"
	envKey     = "TARTAN_APP_KEY"
	envProbe   = "TARTAN_PROBE_URL"
	envTimeout = "TARTAN_TIMEOUT"
	envSeed    = "TARTAN_SEED"
	envSettle  = "TARTAN_SETTLE"
	envEvents  = "TARTAN_EVENTS"
)

// referenceKey signs for the embedded reference consumer.
const referenceKey = "suite-app-key"

// catalogueIDs lists the catalogue's IDs, as an unknown event's sentence does.
func catalogueIDs() []string {
	var ids []string
	for _, k := range fixtures.Catalogue() {
		ids = append(ids, k.ID())
	}
	return ids
}

// target is what the conformance specs judge, set on every process before
// any spec runs.
var target conformance.Target

// The first process starts the embedded reference consumer, unless the
// environment names a target; every process then builds the same Target,
// so that parallel processes (ginkgo -p) judge one consumer.
var _ = SynchronizedBeforeSuite(func() []byte {
	if os.Getenv(envTarget) != "" {
		return nil
	}
	ref := httptest.NewServer(consumer.New([]byte(referenceKey)).Handler())
	DeferCleanup(ref.Close) // after every process is done
	return []byte(ref.URL)
}, func(reference []byte) {
	t, err := targetFromEnv(string(reference))
	if err != nil {
		Fail(err.Error())
	}
	target = t
})

var _ = spec.Declare(func() conformance.Target { return target })

// targetFromEnv builds the conformance target: the reference consumer at
// base (with its HTTP probe), or the one TARTAN_TARGET_URL names.
func targetFromEnv(base string) (conformance.Target, error) {
	t := conformance.Target{
		URL:   base + consumer.WebhookPath,
		Key:   []byte(referenceKey),
		Probe: probe.HTTP(base+consumer.ProbePath, nil),
	}
	if url := os.Getenv(envTarget); url != "" {
		s, err := sender.New(url)
		if err != nil {
			return t, fmt.Errorf("%s=%q is not an http:// or https:// URL", envTarget, url)
		}
		s.Close()
		key := os.Getenv(envKey)
		if key == "" {
			return t, fmt.Errorf("%s is set but %s is not: set it to the app key your consumer verifies with", envTarget, envKey)
		}
		t = conformance.Target{URL: url, Key: []byte(key)}
		if probeURL := os.Getenv(envProbe); probeURL != "" {
			t.Probe = probe.HTTP(probeURL, nil)
		}
	} else if os.Getenv(envProbe) != "" {
		return t, fmt.Errorf("%s is set but %s is not: set both to judge your consumer, or neither to judge the reference consumer", envProbe, envTarget)
	}
	if v := os.Getenv(envTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return t, fmt.Errorf("%s=%q is not a duration like 10s or 500ms", envTimeout, v)
		}
		t.Timeout = d
	}
	if v := os.Getenv(envSettle); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil || d < 0:
			return t, fmt.Errorf("%s=%q is not a duration like 10s or 500ms (0 judges at once)", envSettle, v)
		case d == 0:
			t.Settle = conformance.JudgeAtOnce
		default:
			t.Settle = d
		}
	}
	if v := os.Getenv(envSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return t, fmt.Errorf("%s=%q is not a positive whole number", envSeed, v)
		}
		t.Seed = n
	}
	if v := os.Getenv(envEvents); v != "" {
		sub, err := fixtures.ParseSubscription(v)
		var unknown *fixtures.UnknownEventError
		if errors.As(err, &unknown) {
			return t, fmt.Errorf("%s=%q: %s", envEvents, v, unknown.Why())
		}
		t.Events = sub
	}
	// Seed 0: spec.Declare uses GinkgoRandomSeed(), which -ginkgo.seed sets.
	return t, nil
}

var _ = Describe("tartansim against the reference consumer", Label("foundation"), func() {
	var (
		key    = []byte("suite-app-key")
		ref    *consumer.Consumer
		server *httptest.Server
		post   *sender.Sender
		g      *fixtures.Generator
		v      fixtures.Vendor
		ctx    context.Context
	)

	BeforeEach(func() {
		ref = consumer.New(key)
		server = httptest.NewServer(ref.Handler())
		DeferCleanup(server.Close)
		var err error
		post, err = sender.New(server.URL+consumer.WebhookPath, sender.Timeout(5*time.Second))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(post.Close)
		g = fixtures.New(fixtures.NewFaker(uint64(GinkgoRandomSeed())))
		v = g.Vendor()
		ctx = context.Background()
	})

	send := func(body []byte, sig sender.Signature, hc sender.HeaderCase) sender.Result {
		return post.Send(ctx, sender.Prepare(key, body, sig, hc))
	}

	for _, kind := range fixtures.Catalogue() {
		for _, layout := range wire.Layouts() {
			It("acknowledges "+kind.ID()+" in the "+layout.String()+" layout, and records it once", func() {
				ev := g.Sample(kind, v)
				res := send(ev.Encode(layout), sender.SignatureValid, sender.HeaderLower)
				Expect(res.OK()).To(BeTrue(), "%s (seed %d)", res.Summary(), GinkgoRandomSeed())
				Expect(ref.State(ev.OrgID).Applied).To(HaveKeyWithValue(ev.RequestID, 1))
			})
		}
	}

	It("stores every record of an initial sync exactly as sent", func() {
		c := g.Corporate()
		s := g.Session(c, v)
		emps := g.Employees(c, 23)
		add, _ := fixtures.LookupKind("sync.events.employee.add/initial")
		Expect(send(s.Initiated(len(emps), 0, g.Now()).Encode(wire.Python), sender.SignatureValid, sender.HeaderLower).OK()).To(BeTrue())
		for _, ev := range s.Employees(add, emps, fixtures.FieldSet{}, g.Now()) {
			Expect(send(ev.Encode(wire.Indented), sender.SignatureValid, sender.HeaderLower).OK()).To(BeTrue())
		}
		st := ref.State(c.OrgID)
		Expect(st.Employees).To(HaveLen(23))
		byCode := map[string]map[string]any{}
		for _, e := range st.Employees {
			byCode[e["employeeId"].(string)] = e
		}
		for _, e := range emps {
			Expect(byCode).To(HaveKey(e.EmployeeID))
			Expect(byCode[e.EmployeeID]["name"]).To(Equal(e.Name))
			Expect(byCode[e.EmployeeID]["designation"]).To(Equal(e.Designation))
		}
	})

	DescribeTable("rejects a forged delivery with 4xx and no effect",
		func(sig sender.Signature) {
			ev := g.Sample(fixtures.Catalogue()[0], v)
			res := send(ev.Encode(wire.Compact), sig, sender.HeaderLower)
			Expect(res.Status).To(BeNumerically(">=", 400))
			Expect(res.Status).To(BeNumerically("<", 500))
			Expect(ref.State(ev.OrgID).Applied).To(BeEmpty())
			Expect(ref.State(ev.OrgID).ConnectionStatus).To(BeEmpty())
		},
		Entry("missing signature", sender.SignatureMissing),
		Entry("empty signature", sender.SignatureEmpty),
		Entry("signed with another key", sender.SignatureWrongKey),
		Entry("last hex digit changed", sender.SignatureNearMiss),
		Entry("truncated signature", sender.SignatureTruncated),
	)

	DescribeTable("accepts the signature header in any casing",
		func(hc sender.HeaderCase) {
			ev := g.Sample(fixtures.Catalogue()[0], v)
			Expect(send(ev.Encode(wire.Compact), sender.SignatureValid, hc).OK()).To(BeTrue())
		},
		Entry("tartan-signature", sender.HeaderLower),
		Entry("Tartan-Signature", sender.HeaderCanonical),
		Entry("TARTAN-SIGNATURE", sender.HeaderUpper),
	)

	It("rejects a body changed after signing", func() {
		ev := g.Sample(fixtures.Catalogue()[0], v)
		d := sender.Prepare(key, ev.Encode(wire.Compact), sender.SignatureValid, sender.HeaderLower)
		doc := ev.Document()
		Expect(wire.MustParsePath("body[0].orgName").Set(doc, "Tampered Pvt Ltd")).To(Equal(1))
		d.Body = wire.Encode(doc, wire.Compact)
		res := post.Send(ctx, d)
		Expect(res.Status).To(Equal(401))
		Expect(ref.State(ev.OrgID).Applied).To(BeEmpty())
	})
})

var _ = Describe("the conformance target from the environment", Label("foundation"), func() {
	// setEnv sets the six variables (an absent one is unset) until the
	// spec ends.
	setEnv := func(vars map[string]string) {
		for _, name := range []string{envTarget, envKey, envProbe, envTimeout, envSeed, envSettle, envEvents} {
			old, had := os.LookupEnv(name)
			DeferCleanup(func() {
				if had {
					os.Setenv(name, old)
				} else {
					os.Unsetenv(name)
				}
			})
			if v, ok := vars[name]; ok {
				os.Setenv(name, v)
			} else {
				os.Unsetenv(name)
			}
		}
	}

	It("is the reference consumer, with its probe, when nothing is set", func() {
		setEnv(nil)
		t, err := targetFromEnv("http://127.0.0.1:4000")
		Expect(err).NotTo(HaveOccurred())
		Expect(t.URL).To(Equal("http://127.0.0.1:4000" + consumer.WebhookPath))
		Expect(t.Key).To(Equal([]byte(referenceKey)))
		Expect(t.Probe).NotTo(BeNil())
		Expect(t.Seed).To(BeZero(), "0: spec.Declare uses GinkgoRandomSeed()")
	})

	It("is the consumer TARTAN_TARGET_URL names, with the key, probe, timeout and seed given", func() {
		setEnv(map[string]string{envTarget: "https://hooks.example/tartan", envKey: "k", envProbe: "https://hooks.example/probe", envTimeout: "2s", envSeed: "42"})
		t, err := targetFromEnv("http://127.0.0.1:4000")
		Expect(err).NotTo(HaveOccurred())
		Expect(t.URL).To(Equal("https://hooks.example/tartan"))
		Expect(t.Key).To(Equal([]byte("k")))
		Expect(t.Probe).NotTo(BeNil())
		Expect(t.Timeout).To(Equal(2 * time.Second))
		Expect(t.Seed).To(Equal(uint64(42)))
	})

	It("has no probe unless TARTAN_PROBE_URL is set", func() {
		setEnv(map[string]string{envTarget: "http://127.0.0.1:8080/webhook", envKey: "k"})
		t, err := targetFromEnv("http://127.0.0.1:4000")
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Probe).To(BeNil())
	})

	DescribeTable("says in one sentence what is wrong",
		func(vars map[string]string, sentence string) {
			setEnv(vars)
			_, err := targetFromEnv("http://127.0.0.1:4000")
			Expect(err).To(MatchError(sentence))
		},
		Entry("no key", map[string]string{envTarget: "http://127.0.0.1:8080/webhook"},
			"TARTAN_TARGET_URL is set but TARTAN_APP_KEY is not: set it to the app key your consumer verifies with"),
		Entry("a probe without a target", map[string]string{envProbe: "http://127.0.0.1:8080/probe"},
			"TARTAN_PROBE_URL is set but TARTAN_TARGET_URL is not: set both to judge your consumer, or neither to judge the reference consumer"),
		Entry("not a URL", map[string]string{envTarget: "127.0.0.1:8080", envKey: "k"},
			`TARTAN_TARGET_URL="127.0.0.1:8080" is not an http:// or https:// URL`),
		Entry("not a duration", map[string]string{envTimeout: "10"},
			`TARTAN_TIMEOUT="10" is not a duration like 10s or 500ms`),
		Entry("not a seed", map[string]string{envSeed: "-1"},
			`TARTAN_SEED="-1" is not a positive whole number`),
		Entry("a settle budget that is not a duration", map[string]string{envSettle: "soon"},
			`TARTAN_SETTLE="soon" is not a duration like 10s or 500ms (0 judges at once)`),
		Entry("a negative settle budget", map[string]string{envSettle: "-1s"},
			`TARTAN_SETTLE="-1s" is not a duration like 10s or 500ms (0 judges at once)`),
		Entry("an unknown event", map[string]string{envEvents: "sync.events.nope"},
			`TARTAN_EVENTS="sync.events.nope": unknown event "sync.events.nope" (the catalogue: `+strings.Join(catalogueIDs(), ", ")+`)`),
	)

	It("takes the subscription from TARTAN_EVENTS", func() {
		setEnv(map[string]string{envEvents: "connection.events.requested"})
		t, err := targetFromEnv("http://127.0.0.1:4000")
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Events.String()).To(Equal("connection.events.requested"))
	})

	DescribeTable("takes the settle budget from TARTAN_SETTLE",
		func(v string, want time.Duration) {
			setEnv(map[string]string{envSettle: v})
			t, err := targetFromEnv("http://127.0.0.1:4000")
			Expect(err).NotTo(HaveOccurred())
			Expect(t.Settle).To(Equal(want))
		},
		Entry("unset: the default", "", time.Duration(0)),
		Entry("30s", "30s", 30*time.Second),
		Entry("0 judges at once", "0", conformance.JudgeAtOnce),
	)
})
