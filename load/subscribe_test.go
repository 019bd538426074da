package load_test

import (
	"bytes"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/load"
)

var _ = Describe("a subscription", Label("load", "events"), func() {
	at := time.Date(2026, 11, 30, 3, 18, 0, 0, time.UTC)
	sub := func(list string) fixtures.Subscription {
		s, err := fixtures.ParseSubscription(list)
		Expect(err).NotTo(HaveOccurred())
		return s
	}
	opts := func(events fixtures.Subscription) load.StreamOptions {
		return load.StreamOptions{Seed: uint64(GinkgoRandomSeed()), Orgs: 3, Employees: 25, Changes: 15, Events: events}
	}

	DescribeTable("keeps only its events, each byte for byte where the whole stream has it",
		func(list string, length int64) {
			whole, part := load.NewStream(opts(fixtures.All)), load.NewStream(opts(sub(list)))
			Expect(part.Len()).To(Equal(length))
			n := int64(200)
			if length >= 0 {
				n = length
				Expect(part.Index(length)).To(Equal(int64(-1)), "past the end")
			}
			last := int64(-1)
			for k := range n {
				i := part.Index(k)
				Expect(i).To(BeNumerically(">", last), "in the whole stream's order")
				last = i
				event, eventType := part.Meta(i).Event()
				Expect(sub(list).Sends(event, eventType)).To(BeTrue(), "%d: %s", k, event)
				Expect(part.Body(i, at)).To(Equal(whole.Body(i, at)))
			}
		},
		Entry("updates only: endless", "sync.events.employee.update", int64(-1)),
		Entry("sessions only: endless", "sync.events.initiated", int64(-1)),
		Entry("initial adds only: the initial syncs, 3 orgs of 3 batches", "sync.events.employee.add/initial", int64(9)),
		Entry("nothing a stream sends", "connection.events.requested", int64(0)),
	)

	It("is the whole stream without one", func() {
		s := load.NewStream(opts(fixtures.All))
		Expect(s.Len()).To(Equal(int64(-1)))
		Expect(s.Index(12345)).To(Equal(int64(12345)))
	})

	It("ends a run when a finite stream is spent, short of the count", func(ctx SpecContext) {
		ref := consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		rep, err := load.Run(ctx, newSender(srv.URL+consumer.WebhookPath, 2), load.NewStream(opts(sub("sync.events.employee.add/initial"))),
			load.Options{Profile: load.Constant(2000), Events: 100, Concurrency: 2, Key: key})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Sent).To(Equal(int64(9)))
		Expect(rep.OK).To(Equal(int64(9)))
	})

	It("replays only the subscribed deliveries of a log, and counts the rest", func(ctx SpecContext) {
		var log bytes.Buffer
		w := deliverylog.NewWriter(&log)
		ref := consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		s := newSender(srv.URL+consumer.WebhookPath, 2)
		_, err := load.Run(ctx, s, load.NewStream(opts(fixtures.All)), load.Options{Profile: load.Constant(5000), Events: 40, Concurrency: 2, Key: key, Log: w})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Close()).To(Succeed())
		out, err := load.Replay(ctx, s, deliverylog.NewReader(bytes.NewReader(log.Bytes()), "log.ndjson"),
			load.ReplayOptions{Rate: 5000, Events: sub("sync.events.initiated")})
		Expect(err).NotTo(HaveOccurred())
		Expect(out.Sent).To(BeNumerically(">", 0))
		Expect(out.Sent + out.Unsubscribed).To(Equal(int64(40)))
		Expect(out.NotAcked).To(BeZero())
	})
})
