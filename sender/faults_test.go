package sender_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/sender"
)

var _ = Describe("a Sender injecting faults", Label("faults"), func() {
	// bodies records every request body a consumer receives, in order.
	type bodies struct {
		mu  sync.Mutex
		got [][]byte
	}
	recording := func() (*consumer, *bodies) {
		b := &bodies{}
		c := startConsumer(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				body = append(body, "<read error: "+err.Error()+">"...)
			}
			b.mu.Lock()
			b.got = append(b.got, body)
			b.mu.Unlock()
		})
		return c, b
	}
	received := func(b *bodies) func() [][]byte {
		return func() [][]byte {
			b.mu.Lock()
			defer b.mu.Unlock()
			return slices.Clone(b.got)
		}
	}

	It("sends nothing for FaultDrop", func(ctx SpecContext) {
		c, b := recording()
		frozen := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
		s := newSender(c.URL, sender.Clock(clock.NewFake(frozen)))
		dropped := sender.Prepare(testKey, []byte(`{"dropped":true}`), sender.SignatureValid, sender.HeaderLower)
		dropped.Fault = sender.FaultDrop

		r := s.Send(ctx, dropped)
		Expect(r).To(Equal(sender.Result{Start: frozen, Class: sender.ClassDropped}))
		Expect(r.Failed()).To(BeTrue())
		Expect(r.Summary()).To(Equal("dropped (nothing sent)"))

		Expect(s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)).OK()).To(BeTrue())
		Expect(received(b)()).To(Equal([][]byte{testBody}))
		Expect(c.conns.Load()).To(BeEquivalentTo(1))
	}, bounded)

	It("sends nothing for an unknown fault", func(ctx SpecContext) {
		c, _ := recording()
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		d.Fault = sender.Fault(42)
		r := newSender(c.URL).Send(ctx, d)
		Expect(r.Class).To(Equal(sender.ClassOther))
		Expect(r.Err).To(MatchError(ContainSubstring("Fault(42)")))
		Expect(r.Sent).To(BeFalse())
		Expect(c.conns.Load()).To(BeZero())
	}, bounded)

	DescribeTable("FaultAckLost: the consumer receives the whole request, the answer is ignored",
		func(ctx SpecContext, size int) {
			c, b := recording()
			body := bytes.Repeat([]byte("x"), size)
			d := sender.Prepare(testKey, body, sender.SignatureValid, sender.HeaderLower)
			d.Fault = sender.FaultAckLost
			s := newSender(c.URL)
			for range 20 {
				r := s.Send(ctx, d)
				Expect(r.Class).To(Equal(sender.ClassAckLost), "%v", r.Err)
				Expect(r.Sent).To(BeTrue())
				Expect(r.Status).To(BeZero())
				Expect(r.Failed()).To(BeTrue())
			}
			Eventually(received(b)).WithContext(ctx).Should(HaveLen(20))
			Expect(received(b)()).To(HaveEach(Equal(body)))
		},
		// A request this small sits entirely in net/http's write buffer
		// when httptrace reports WroteRequest.
		Entry("a small body", 7, bounded),
		Entry("a body across a write-buffer boundary", 6<<10, bounded),
		Entry("a 1 MiB body", 1<<20, bounded),
	)

	It("returns from FaultAckLost once the consumer has answered, not before, so the next delivery comes after it was handled", func(ctx SpecContext) {
		var handled atomic.Int32
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			<-release // a consumer still at work
			handled.Add(1)
			w.WriteHeader(http.StatusOK)
		}))
		DeferCleanup(srv.Close)
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		DeferCleanup(free) // before srv.Close, which waits for the handler
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		d.Fault = sender.FaultAckLost
		done := make(chan sender.Result, 1)
		go func() { done <- newSender(srv.URL).Send(ctx, d) }()
		Consistently(done, "100ms").ShouldNot(Receive(), "it returned while the consumer was still at work")
		free()
		var r sender.Result
		Eventually(done).WithContext(ctx).Should(Receive(&r))
		Expect(handled.Load()).To(BeEquivalentTo(1))
		Expect(r.Class).To(Equal(sender.ClassAckLost))
		Expect(r.Status).To(BeZero(), "the answer is never read")
	}, bounded)

	It("writes the same bytes for FaultAckLost as for a normal delivery", func(ctx SpecContext) {
		raw := startRawConsumer()
		s := newSender(raw.URL())
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderUpper)
		Expect(s.Send(ctx, d).OK()).To(BeTrue())
		normal := raw.next()

		d.Fault = sender.FaultAckLost
		Expect(s.Send(ctx, d).Class).To(Equal(sender.ClassAckLost))
		Expect(raw.next()).To(Equal(normal))
	}, bounded)

	It("delivers FaultAckLost over TLS", func(ctx SpecContext) {
		got := make(chan []byte, 1)
		c := startTLSConsumer(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			got <- body
		})
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		d.Fault = sender.FaultAckLost
		r := newSender(c.URL, sender.TLSConfig(trusting(c))).Send(ctx, d)
		Expect(r.Class).To(Equal(sender.ClassAckLost), "%v", r.Err)
		Eventually(got).WithContext(ctx).Should(Receive(Equal(testBody)))
	}, bounded)

	It("reports FaultAckLost against a closed port as refused, not sent", func(ctx SpecContext) {
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		d.Fault = sender.FaultAckLost
		r := newSender("http://"+freeAddr()).Send(ctx, d)
		Expect(r.Class).To(Equal(sender.ClassRefused))
		Expect(r.Sent).To(BeFalse())
	}, bounded)

	It("finds a connection slot for FaultAckLost when idle connections hold them all", func(ctx SpecContext) {
		c, b := recording()
		s := newSender(c.URL, sender.MaxConns(1), sender.Timeout(2*time.Second))
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		lost := d
		lost.Fault = sender.FaultAckLost
		for range 5 {
			Expect(s.Send(ctx, d).OK()).To(BeTrue())
			r := s.Send(ctx, lost)
			Expect(r.Class).To(Equal(sender.ClassAckLost), "%v", r.Err)
		}
		Eventually(received(b)).WithContext(ctx).Should(HaveLen(10))
	}, bounded)

	It("mixes faults from many goroutines within MaxConns", func(ctx SpecContext) {
		c, b := recording()
		s := newSender(c.URL, sender.MaxConns(4))
		faults := []sender.Fault{sender.FaultNone, sender.FaultDrop, sender.FaultAckLost}
		results := make([]sender.Result, 60)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
				d.Fault = faults[i%len(faults)]
				results[i] = s.Send(ctx, d)
			})
		}
		wg.Wait()
		want := map[sender.Fault]sender.ErrorClass{
			sender.FaultNone: sender.ClassNone, sender.FaultDrop: sender.ClassDropped, sender.FaultAckLost: sender.ClassAckLost,
		}
		for i, r := range results {
			Expect(r.Class).To(Equal(want[faults[i%len(faults)]]), "%v", r.Err)
		}
		Eventually(received(b)).WithContext(ctx).Should(HaveLen(40)) // 20 normal + 20 ack-lost
	}, bounded)
})
