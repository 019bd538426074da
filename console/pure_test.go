package console

import (
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/wire"
)

var _ = Describe("small functions", func() {
	DescribeTable("isLoopback",
		func(host string, want bool) { Expect(isLoopback(host)).To(Equal(want)) },
		Entry("127.0.0.1", "127.0.0.1", true),
		Entry("127.1.2.3", "127.1.2.3", true),
		Entry("::1", "::1", true),
		Entry("localhost", "localhost", true),
		Entry("LOCALHOST", "LOCALHOST", true),
		Entry("every interface", "0.0.0.0", false),
		Entry("empty: every interface", "", false),
		Entry("a LAN address", "192.168.1.10", false),
		Entry("a name", "console.example", false),
	)

	DescribeTable("hostsFor",
		func(addr string, yes, no []string) {
			hosts := hostsFor(addr, nil)
			for _, h := range yes {
				Expect(hosts).To(HaveKey(h))
			}
			for _, h := range no {
				Expect(hosts).NotTo(HaveKey(h))
			}
		},
		Entry("loopback by IP", "127.0.0.1:7070", []string{"127.0.0.1:7070", "localhost:7070", "[::1]:7070"}, []string{"127.0.0.1:7071", "evil.example:7070", "127.0.0.1"}),
		Entry("loopback by name", "localhost:9000", []string{"localhost:9000", "127.0.0.1:9000"}, []string{"localhost:7070"}),
		Entry("a LAN address", "192.168.1.10:7070", []string{"192.168.1.10:7070"}, []string{"localhost:7070", "127.0.0.1:7070"}),
	)

	It("hostsFor answers to any Host on every interface (the token guards it)", func() {
		Expect(hostsFor("0.0.0.0:7070", nil)).To(BeNil())
		Expect(hostsFor("[::]:7070", nil)).To(BeNil())
	})

	DescribeTable("nextEOD",
		func(eod string, now, want time.Time) {
			Expect(Settings{EOD: eod}.nextEOD(now)).To(BeTemporally("==", want))
		},
		Entry("later today", "23:59", time.Date(2026, 12, 1, 20, 0, 0, 0, wire.IST), time.Date(2026, 12, 1, 23, 59, 0, 0, wire.IST)),
		Entry("at the moment itself: tomorrow", "23:59", time.Date(2026, 12, 1, 23, 59, 0, 0, wire.IST), time.Date(2026, 12, 2, 23, 59, 0, 0, wire.IST)),
		Entry("just past: tomorrow", "23:59", time.Date(2026, 12, 1, 23, 59, 1, 0, wire.IST), time.Date(2026, 12, 2, 23, 59, 0, 0, wire.IST)),
		Entry("from UTC: the IST day", "23:59", time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 23, 59, 0, 0, wire.IST)),
		Entry("off", "off", time.Date(2026, 12, 1, 20, 0, 0, 0, wire.IST), time.Time{}),
	)

	DescribeTable("Filter.Match",
		func(f Filter, want bool) {
			at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
			s := deliverylog.Attempt{Event: "sync.events.employee.add", EventType: "sync.events.delta", OrgID: "0f3c9a2e-org-1", RequestID: "r-1",
				SyncSessionID: "s-1", Source: deliverylog.FromAPI, Status: 401, Forged: true, Expect: deliverylog.Expect4xx, Time: at}
			Expect(f.Match(&s)).To(Equal(want))
		},
		Entry("nothing", Filter{}, true),
		Entry("the event name", Filter{Event: "sync.events.employee.add"}, true),
		Entry("the catalogue ID", Filter{Event: "sync.events.employee.add/delta"}, true),
		Entry("the other type", Filter{Event: "sync.events.employee.add/initial"}, false),
		Entry("another event", Filter{Event: "sync.events.initiated"}, false),
		Entry("the org", Filter{Org: "0f3c9a2e-org-1"}, true),
		Entry("an 8-character prefix of the org", Filter{Org: "0f3c9a2e"}, true),
		Entry("a 4-character prefix", Filter{Org: "0f3c"}, true),
		Entry("a 3-character prefix is no prefix", Filter{Org: "0f3"}, false),
		Entry("another org", Filter{Org: "0f3c9a2e-org-2"}, false),
		Entry("the requestId", Filter{RequestID: "r-1"}, true),
		Entry("another requestId", Filter{RequestID: "r-2"}, false),
		Entry("the session", Filter{SyncSessionID: "s-1"}, true),
		Entry("another session", Filter{SyncSessionID: "s-2"}, false),
		Entry("the status", Filter{Status: "401"}, true),
		Entry("its class", Filter{Status: "4xx"}, true),
		Entry("another class", Filter{Status: "2xx"}, false),
		Entry("met: a forged attempt rejected", Filter{Expected: ExpectedMet}, true),
		Entry("unmet", Filter{Expected: ExpectedUnmet}, false),
		Entry("the source", Filter{Source: deliverylog.FromAPI}, true),
		Entry("another source", Filter{Source: deliverylog.FromConsole}, false),
		Entry("since its time", Filter{Since: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}, true),
		Entry("since after it", Filter{Since: time.Date(2026, 12, 6, 9, 0, 1, 0, time.UTC)}, false),
		Entry("until its time: excluded", Filter{Until: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}, false),
		Entry("until after it", Filter{Until: time.Date(2026, 12, 6, 9, 0, 1, 0, time.UTC)}, true),
		Entry("failed", Filter{Outcome: OutcomeFailed}, true),
		Entry("ok", Filter{Outcome: OutcomeOK}, false),
		Entry("all at once", Filter{Event: "sync.events.employee.add/delta", Org: "0f3c9a2e", Outcome: OutcomeFailed, Expected: ExpectedMet, Status: "4xx", Source: deliverylog.FromAPI}, true),
	)

	DescribeTable("plainError",
		func(err error, want string) { Expect(plainError(err)).To(Equal(want)) },
		Entry("a refusal: its own sentence", fmt.Errorf("wrapped: %w", refuse(ErrBadInput, "body", "the payload is a JSON array, not an object")), "The payload is a JSON array, not an object."),
		Entry("a name stays lower case", refuse(ErrNotSubscribed, "event", "sync.events.initiated is not subscribed"), "sync.events.initiated is not subscribed."),
		Entry("another package's prefix goes", errors.New("scenarios: probe for org o-1: refused"), "Probe for org o-1: refused."),
		Entry("a full stop once", errors.New("done."), "Done."),
		Entry("empty", errors.New(""), "Something went wrong."),
	)
})
