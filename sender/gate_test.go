package sender_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/sender"
)

var _ = Describe("a Gate", Label("gate"), func() {
	It("holds each delivery until every one of the gate is ready, then lets them all go", func(ctx SpecContext) {
		var got atomic.Int32
		c := startConsumer(func(http.ResponseWriter, *http.Request) { got.Add(1) })
		s := newSender(c.URL)
		gate := s.NewGate(3)
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		d.Gate = gate

		var wg sync.WaitGroup
		results := make([]sender.Result, 3)
		for i := range 2 {
			wg.Go(func() { results[i] = s.Send(ctx, d) })
		}
		Consistently(got.Load, 200*time.Millisecond).Should(BeZero(), "two of three sent before the third was ready")

		wg.Go(func() { results[2] = s.Send(ctx, d) })
		wg.Wait()
		Expect(got.Load()).To(BeEquivalentTo(3))
		for _, r := range results {
			Expect(r.OK()).To(BeTrue(), r.Summary())
		}
		Expect(c.conns.Load()).To(BeEquivalentTo(3), "each on its own connection")
	}, bounded)

	It("counts a delivery that fails before its connection, so the others do not wait for it", func(ctx SpecContext) {
		c := startConsumer(func(http.ResponseWriter, *http.Request) {})
		s := newSender(c.URL)
		gate := s.NewGate(2)
		dropped := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		dropped.Fault, dropped.Gate = sender.FaultDrop, gate
		sent := dropped
		sent.Fault = sender.FaultNone

		Expect(s.Send(ctx, dropped).Class).To(Equal(sender.ClassDropped))
		Expect(s.Send(ctx, sent).OK()).To(BeTrue())
	}, bounded)

	It("lets a delivery go when its context ends, and never holds more than the Sender's connections", func(ctx SpecContext) {
		c := startConsumer(func(http.ResponseWriter, *http.Request) {})
		s := newSender(c.URL, sender.MaxConns(2))
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)

		d.Gate = s.NewGate(5) // more than MaxConns: two are enough
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { Expect(s.Send(ctx, d).OK()).To(BeTrue()) })
		}
		wg.Wait()

		d.Gate = s.NewGate(2) // the second never comes
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		// It returns (the spec's timeout would end it otherwise); whether
		// the request, let go at the deadline, still got its answer is a
		// race between the transport and the cancellation.
		_ = s.Send(short, d)
		Expect(short.Err()).To(MatchError(context.DeadlineExceeded))

		var skipped *sender.Gate
		skipped.Skip() // a nil gate is no gate
		d.Gate = s.NewGate(2)
		d.Gate.Skip()
		Expect(s.Send(ctx, d).OK()).To(BeTrue())
	}, bounded)
})
