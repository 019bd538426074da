package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
)

var _ = Describe("the subscription (--events)", Label("events"), func() {
	It("judges run and conformance on the events subscribed to, and SKIPs the rest with the reason", func() {
		r := tartansim("", "conformance", "--events", "connection.events.requested,connection.events.terminated", "--json", "--seed", "3")
		Expect(r.code).To(Equal(0), r.output())
		var out struct {
			Results []conformance.Result `json:"results"`
		}
		Expect(json.Unmarshal([]byte(r.stdout), &out)).To(Succeed())
		verdicts := map[string]conformance.Verdict{}
		for _, res := range out.Results {
			verdicts[res.ID] = res.Verdict
		}
		Expect(verdicts).To(HaveKeyWithValue("LIFE-CONNECTION", conformance.Pass))
		Expect(verdicts).To(HaveKeyWithValue("LIFE-SYNC", conformance.Skip))

		r = tartansim("", "run", "onboarding", "--day", "0", "--events", "connection.events.requested")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("1 webhook: 1 ok"))
		Expect(r.stdout).To(MatchRegexp(`initial-sync corp\s+0 webhooks: 0 ok, \d+ not subscribed`))
	})

	It("takes TARTAN_EVENTS, and the flag beats it", func() {
		GinkgoT().Setenv(envEvents, "connection.events.requested")
		r := tartansim("", "send", "sync.events.initiated", "--dry-run")
		Expect(r.code).To(Equal(2), r.output())
		Expect(r.stderr).To(ContainSubstring("not among the subscribed events (connection.events.requested)"))
		r = tartansim("", "send", "sync.events.initiated", "--dry-run", "--events", "sync.events.initiated")
		Expect(r.code).To(Equal(0), r.output())
		GinkgoT().Setenv(envEvents, "nope")
		r = tartansim("", "send", "sync.events.initiated", "--dry-run")
		Expect(r.code).To(Equal(2), r.output())
		Expect(r.stderr).To(ContainSubstring(`TARTAN_EVENTS: unknown event "nope"`))
	})

	DescribeTable("refuses in one sentence, exit 2",
		func(args []string, sentence string) {
			r := tartansim("", args...)
			Expect(r.code).To(Equal(2), r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring(sentence))
		},
		Entry("an unknown event, with the catalogue", []string{"run", "--events", "sync.events.employee.delete"},
			`--events: unknown event "sync.events.employee.delete" (the catalogue: connection.events.requested, sync.events.initiated,`),
		Entry("a send of an event left out", []string{"send", "sync.events.initiated", "--events", "connection.events.requested"},
			"sync.events.initiated is not among the subscribed events (connection.events.requested), so Tartan would not send it"),
		Entry("an unknown event in conformance", []string{"conformance", "--events", "x"}, `--events: unknown event "x"`),
	)
})

var _ = Describe("the subscription on load and replay", Label("events", "load"), func() {
	It("sends only the subscribed events, takes a whole number as the count, and refuses one that leaves nothing", func() {
		log := filepath.Join(GinkgoT().TempDir(), "load.ndjson")
		r := tartansim("", "load", "--count", "60", "--rate", "3000", "--events", "sync.events.employee.update", "--record", log, "--quiet")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("sent 60 "))
		data, err := os.ReadFile(log)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(data), `"event":"sync.events.employee.update"`)).To(Equal(60))

		r = tartansim("", "load", "--events", "40", "--rate", "3000", "--quiet")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("sent 40 "), "a whole number is the older spelling of --count")

		r = tartansim("", "load", "--events", "connection.events.terminated")
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("leaves nothing to send"))

		for _, how := range []string{"--dry-run", "--rate=3000"} { // a plan, and a replay to the built-in consumer
			r = tartansim("", "replay", log, how, "--events", "sync.events.initiated")
			Expect(r.code).To(Equal(2), "a subscription that leaves nothing to replay, %s: %s", how, r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring("--events sync.events.initiated leaves none of the 60 deliveries in "))
		}
		r = tartansim("", "replay", log, "--rate", "3000", "--events", "sync.events.employee.update", "--count", "10")
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("sent 10 "))
	})
})
