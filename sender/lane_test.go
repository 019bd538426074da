package sender_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/internal/conncount"
	"github.com/tartansim/tartansim/sender"
)

// The outcome contract of a Lane is the Sender's, and runs both ways in
// sender_test.go and hostile_test.go; these specs are about what is a
// Lane's own: its one connection, kept or replaced.
var _ = Describe("a Lane", Label("http", "lane"), func() {
	d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)

	DescribeTable("writes the very bytes Sender.Send writes",
		func(ctx SpecContext, opts []sender.Option, extra http.Header, hc sender.HeaderCase) {
			d := sender.Prepare(testKey, testBody, sender.SignatureValid, hc)
			for k, v := range extra {
				d.Header[k] = v
			}
			raw := startRawConsumer()
			Expect(viaSender.newPoster(raw.URL(), opts...).Send(ctx, d).OK()).To(BeTrue())
			pooled := raw.next()
			Expect(viaLane.newPoster(raw.URL(), opts...).Send(ctx, d).OK()).To(BeTrue())
			Expect(raw.next()).To(Equal(pooled))
		},
		Entry("as Tartan sends it", nil, nil, sender.HeaderLower, bounded),
		Entry("with the header upper-case", nil, nil, sender.HeaderUpper, bounded),
		Entry("with a User-Agent option", []sender.Option{sender.UserAgent("Tartan-HyperSync/2")}, nil, sender.HeaderCanonical, bounded),
		Entry("with no User-Agent", []sender.Option{sender.UserAgent("")}, nil, sender.HeaderLower, bounded),
		Entry("with the Delivery's own user-agent", nil, http.Header{"user-agent": {"mine/1"}}, sender.HeaderLower, bounded),
		Entry("with extra headers", nil, http.Header{"X-Tartan-Retry": {"1"}, "a-first": {"x", "y"}, "Empty": {""}}, sender.HeaderLower, bounded),
		Entry("with headers net/http writes itself or drops", nil,
			http.Header{"Content-Length": {"1"}, "Transfer-Encoding": {"chunked"}, "Trailer": {"X"}, "host": {"other.example"}}, sender.HeaderLower, bounded),
		// Values and names that are not plain go through Request.Write.
		Entry("with a value padded with white space", nil, http.Header{"X-Pad": {" \tpadded\t "}}, sender.HeaderLower, bounded),
		Entry("with a padded User-Agent", []sender.Option{sender.UserAgent(" spaced ")}, nil, sender.HeaderLower, bounded),
	)

	DescribeTable("refuses, unsent, the headers Sender.Send refuses, and so does an ack-lost send",
		func(ctx SpecContext, extra http.Header) {
			d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
			for k, v := range extra {
				d.Header[k] = v
			}
			var received atomic.Int32
			c := startConsumer(func(w http.ResponseWriter, r *http.Request) { received.Add(1) })
			pooled := viaSender.newPoster(c.URL).Send(ctx, d)
			laned := viaLane.newPoster(c.URL).Send(ctx, d)
			Expect(pooled.Class).To(Equal(sender.ClassOther))
			Expect(pooled.Sent).To(BeFalse())
			Expect(laned.Class).To(Equal(pooled.Class))
			Expect(laned.Sent).To(BeFalse())
			Expect(laned.Summary()).To(Equal(pooled.Summary()))
			ackLost := d
			ackLost.Fault = sender.FaultAckLost // writes the request itself, not through the transport
			abandoned := viaSender.newPoster(c.URL).Send(ctx, ackLost)
			Expect(abandoned.Class).To(Equal(pooled.Class), abandoned.Summary())
			Expect(abandoned.Sent).To(BeFalse())
			Expect(abandoned.Summary()).To(Equal(pooled.Summary()))
			Expect(received.Load()).To(BeZero())
		},
		Entry("a line break in a value", http.Header{"X-Break": {"one\r\ntwo"}}, bounded),
		Entry("a control character in a value", http.Header{"X-Nul": {"a\x00b"}}, bounded),
		Entry("a name that is not a token", http.Header{"bad name": {"x"}}, bounded),
	)

	It("keeps one connection for all its deliveries, and gives it back on Close", func(ctx SpecContext) {
		c := startConsumer(func(w http.ResponseWriter, r *http.Request) {})
		s := newSender(c.URL, sender.MaxConns(1))
		l := s.Lane()
		for range 50 {
			r := l.Send(ctx, d)
			Expect(r.OK()).To(BeTrue(), r.Summary())
		}
		Expect(c.conns.Load()).To(BeEquivalentTo(1))
		l.Close()
		// The slot is free again: the Sender itself can connect.
		Expect(s.Send(ctx, d).OK()).To(BeTrue())
	}, bounded)

	It("holds its slot while open: a Lane beyond MaxConns waits, and times out honestly", func(ctx SpecContext) {
		c := startConsumer(func(w http.ResponseWriter, r *http.Request) {})
		s := newSender(c.URL, sender.MaxConns(1))
		first, second := s.Lane(), s.Lane()
		DeferCleanup(second.Close)
		Expect(first.Send(ctx, d).OK()).To(BeTrue())

		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		r := second.Send(short, d)
		Expect(r.Class).To(Equal(sender.ClassTimeout), "%v", r.Err)
		Expect(r.Sent).To(BeFalse())

		first.Close()
		Expect(second.Send(ctx, d).OK()).To(BeTrue())
		Expect(c.conns.Load()).To(BeEquivalentTo(2))
	}, bounded)

	It("never has more connections open than MaxConns, one per Lane", func(ctx SpecContext) {
		const lanes = 4
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Millisecond)
		}))
		conns := conncount.Track(srv.Config)
		srv.Start()
		DeferCleanup(srv.Close)
		s := newSender(srv.URL, sender.MaxConns(lanes))
		var wg sync.WaitGroup
		for range lanes {
			wg.Go(func() {
				defer GinkgoRecover()
				l := s.Lane()
				defer l.Close()
				for range 25 {
					Expect(l.Send(ctx, d).OK()).To(BeTrue())
				}
			})
		}
		wg.Wait()
		Expect(conns.Peak()).To(BeEquivalentTo(lanes))
	}, bounded)

	It("connects again when the consumer closed its idle connection, without failing a delivery", func(ctx SpecContext) {
		c := startConsumer(func(w http.ResponseWriter, r *http.Request) {},
			func(srv *http.Server) { srv.IdleTimeout = 20 * time.Millisecond })
		l := viaLane.newPoster(c.URL)
		for i := range 3 {
			r := l.Send(ctx, d)
			Expect(r.OK()).To(BeTrue(), r.Summary())
			// The server closes the connection while it is idle: wait until
			// it has, however busy the machine, before the next send.
			Eventually(c.closed.Load).WithContext(ctx).WithPolling(5 * time.Millisecond).Should(BeEquivalentTo(i + 1))
		}
		Expect(c.conns.Load()).To(BeEquivalentTo(3))
	}, bounded)

	DescribeTable("connects again after an answer that ends its connection",
		func(ctx SpecContext, h http.HandlerFunc, conns int) {
			c := startConsumer(h)
			l := viaLane.newPoster(c.URL)
			for range 4 {
				r := l.Send(ctx, d)
				Expect(r.OK()).To(BeTrue(), r.Summary())
			}
			Expect(c.conns.Load()).To(BeEquivalentTo(conns))
		},
		Entry("Connection: close", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
		}), 4, bounded),
		Entry("a body longer than the drain", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(make([]byte, 200<<10))
		}), 4, bounded),
		Entry("a chunked body, read through net/http and kept", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"status":`)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, `"ok"}`)
		}), 1, bounded),
	)

	It("reads an answer without a length to its end, through net/http", func(ctx SpecContext) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(ln.Close)
		go func() {
			defer GinkgoRecover()
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				buf := make([]byte, 64<<10)
				_, _ = conn.Read(buf)
				_, _ = io.WriteString(conn, "HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\n\r\nqueued for later")
				_ = conn.Close()
			}
		}()
		l := viaLane.newPoster("http://" + ln.Addr().String() + "/hooks")
		for range 2 {
			r := l.Send(ctx, d)
			Expect(r.OK()).To(BeTrue(), r.Summary())
			Expect(string(r.Snippet)).To(Equal("queued for later"))
		}
	}, bounded)

	It("injects faults as the Sender does", func(ctx SpecContext) {
		var got atomic.Int32
		c := startConsumer(func(w http.ResponseWriter, r *http.Request) { got.Add(1) })
		l := viaLane.newPoster(c.URL)

		drop := d
		drop.Fault = sender.FaultDrop
		Expect(l.Send(ctx, drop).Class).To(Equal(sender.ClassDropped))

		lost := d
		lost.Fault = sender.FaultAckLost
		r := l.Send(ctx, lost)
		Expect(r.Class).To(Equal(sender.ClassAckLost))
		Expect(r.Sent).To(BeTrue())
		Eventually(got.Load).WithContext(ctx).Should(BeEquivalentTo(1))

		Expect(l.Send(ctx, d).OK()).To(BeTrue())
		Expect(got.Load()).To(BeEquivalentTo(2))
	}, bounded)
})

var _ = Describe("a Lane at the connection cap", Label("http", "lane"), func() {
	It("still sends an ack-lost delivery, giving its own slot up for it", func(ctx SpecContext) {
		var got atomic.Int32
		c := startConsumer(func(w http.ResponseWriter, r *http.Request) { got.Add(1) })
		l := viaLane.newPoster(c.URL, sender.MaxConns(1), sender.Timeout(2*time.Second))
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		Expect(l.Send(ctx, d).OK()).To(BeTrue()) // the Lane now holds the only slot

		lost := d
		lost.Fault = sender.FaultAckLost
		began := time.Now()
		r := l.Send(ctx, lost)
		Expect(r.Class).To(Equal(sender.ClassAckLost), "%v", r.Err)
		Expect(time.Since(began)).To(BeNumerically("<", time.Second))
		Expect(l.Send(ctx, d).OK()).To(BeTrue()) // and connects again afterwards
		Eventually(got.Load).WithContext(ctx).Should(BeEquivalentTo(3))
	}, bounded)

	It("refuses a bad header before connecting, as Sender.Send does", func(ctx SpecContext) {
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		d.Header["bad name"] = []string{"x"}
		dead := "http://" + freeAddr() + "/hooks"
		pooled := viaSender.newPoster(dead).Send(ctx, d)
		laned := viaLane.newPoster(dead).Send(ctx, d)
		Expect(pooled.Class).To(Equal(sender.ClassOther))
		Expect(laned.Class).To(Equal(pooled.Class), "%v", laned.Err)
		Expect(laned.Summary()).To(Equal(pooled.Summary()))
	}, bounded)
})
