package sender_test

import (
	"crypto/tls"
	"net/http"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/internal/hostile"
	"github.com/tartansim/tartansim/sender"
)

// hostileTimeout is the Sender's Timeout against hostile consumers: short,
// so that the whole suite stays fast.
const hostileTimeout = 300 * time.Millisecond

// hostileSlack is how much later than its Timeout a Send may return: the
// drain after the Snippet and scheduling under -race on a busy machine.
const hostileSlack = 700 * time.Millisecond

// hostileSpec bounds each hostile spec, so that no consumer can hang CI.
var hostileSpec = SpecTimeout(5 * time.Second)

// startHostile serves b on loopback until the spec ends.
func startHostile(b hostile.Behaviour, opts ...hostile.Option) *hostile.Consumer {
	c := hostile.Start(b, opts...)
	DeferCleanup(c.Close)
	return c
}

// sendTo sends one valid delivery to c with a Sender bounded by
// hostileTimeout, and checks that Send came back in time.
func sendTo(ctx SpecContext, c *hostile.Consumer, opts ...sender.Option) sender.Result {
	GinkgoHelper()
	return sendVia(ctx, viaSender, c, opts...)
}

// sendVia is sendTo through Sender.Send or a Lane, as v says.
func sendVia(ctx SpecContext, v via, c *hostile.Consumer, opts ...sender.Option) sender.Result {
	GinkgoHelper()
	if pool := c.RootCAs(); pool != nil {
		opts = append(opts, sender.TLSConfig(&tls.Config{RootCAs: pool}))
	}
	s := v.newPoster(c.URL, append([]sender.Option{sender.Timeout(hostileTimeout)}, opts...)...)
	began := time.Now()
	r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
	elapsed := time.Since(began)
	Expect(elapsed).To(BeNumerically("<", hostileTimeout+hostileSlack), "Send took %s against a consumer that %s", elapsed, c)
	Expect(r.Latency).To(BeNumerically("<=", elapsed))
	return r
}

var _ = Describe("a Sender against a hostile consumer", Label("hostile"), func() {
	for _, v := range vias {
		Context("via "+v.name, func() {
			DescribeTable("finishes within its Timeout and classifies what happened",
				func(ctx SpecContext, b hostile.Behaviour, class sender.ErrorClass, status int, summary string) {
					c := startHostile(b)
					r := sendVia(ctx, v, c)
					Expect(r.Class).To(Equal(class), "%s: %v", b, r.Err)
					Expect(r.Status).To(Equal(status))
					Expect(r.Failed()).To(BeTrue(), "a consumer that %s has not acknowledged", b)
					Expect(r.Summary()).To(ContainSubstring(summary))
					Expect(r.Summary()).NotTo(ContainSubstring(string(testKey)))
					if b.PerRequest() {
						Expect(r.Sent).To(BeTrue(), "the consumer read the whole request")
						Expect(c.Requests()).To(Equal(1), "never re-sent")
					}
				},
				Entry("resets the connection", hostile.Reset, sender.ClassReset, 0, "connection reset by the server", hostileSpec),
				Entry("accepts and never reads or answers", hostile.BlackHole, sender.ClassTimeout, 0, "timed out after ", hostileSpec),
				Entry("reads the request and never answers", hostile.Silent, sender.ClassTimeout, 0, "timed out after ", hostileSpec),
				Entry("answers headers, then stalls the body", hostile.StallBody, sender.ClassTimeout, 200, "200 OK, then timed out", hostileSpec),
				Entry("trickles the headers", hostile.TrickleHeaders, sender.ClassTimeout, 0, "timed out after ", hostileSpec),
				Entry("trickles the body", hostile.TrickleBody, sender.ClassTimeout, 200, "200 OK, then timed out", hostileSpec),
				Entry("closes in the middle of the headers", hostile.CloseMidHeaders, sender.ClassReset, 0, "connection closed by the server", hostileSpec),
				// bufio gives net/http the part of the status line that came, which
				// it calls a malformed status code: the Timeout ended it all the same
				Entry("stalls in the middle of the status code", hostile.StallAfter("HTTP/1.1 2"), sender.ClassTimeout, 0, "timed out after ", hostileSpec),
				// net/http reads a header name cut short as a malformed header,
				// not as an early close: no class says "malformed answer", so other.
				Entry("closes in the middle of a header name", hostile.CloseAfter("HTTP/1.1 200 OK\r\nContent-Ty"), sender.ClassOther, 0, "malformed MIME header", hostileSpec),
				Entry("closes in the middle of the body", hostile.CloseMidBody, sender.ClassReset, 200, "200 OK, then connection closed by the server", hostileSpec),
				Entry("answers 500 with a 1 GiB body", hostile.HugeBody(500), sender.ClassStatus, 500, "500 Internal Server Error in", hostileSpec),
				Entry("answers 503 with an endless body", hostile.EndlessBody(503), sender.ClassStatus, 503, "503 Service Unavailable in", hostileSpec),
				Entry("answers 301", hostile.Redirect(301, "/elsewhere"), sender.ClassRedirect, 301, "301 Moved Permanently to /elsewhere (not followed)", hostileSpec),
				Entry("answers 307", hostile.Redirect(307, "/elsewhere"), sender.ClassRedirect, 307, "307 Temporary Redirect to /elsewhere (not followed)", hostileSpec),
				Entry("answers 429 with Retry-After", hostile.RetryAfter(429, "1"), sender.ClassStatus, 429, "429 Too Many Requests in", hostileSpec),
				Entry("answers 503 with Retry-After", hostile.RetryAfter(503, "120"), sender.ClassStatus, 503, "503 Service Unavailable in", hostileSpec),
				Entry("answers 502 with an HTML page", hostile.NonJSON(502), sender.ClassStatus, 502, "502 Bad Gateway in", hostileSpec),
				Entry("speaks only HTTP/2 in cleartext (h2c)", hostile.H2C, sender.ClassReset, 0, "by the server", hostileSpec),
				Entry("answers HTTP/2 frames to an HTTP/1.1 request", hostile.H2Frames, sender.ClassOther, 0, "malformed HTTP response", hostileSpec),
				Entry("requires h2 in its TLS ALPN", hostile.H2TLS, sender.ClassTLS, 0, "TLS: internal error", hostileSpec),
			)

			DescribeTable("reads at most the Snippet and 64 KiB of an enormous body, and never allocates it",
				func(ctx SpecContext, b hostile.Behaviour, ok bool) {
					c := startHostile(b)
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					r := sendVia(ctx, v, c, sender.SnippetBytes(64))
					runtime.ReadMemStats(&after)
					Expect(r.OK()).To(Equal(ok), "%s: %s", b, r.Summary())
					Expect(r.Snippet).To(HaveLen(64))
					// The client stopped reading: the server could only fill the
					// socket buffers, far below the body's size.
					Eventually(c.Written).WithContext(ctx).Should(BeNumerically(">", 0))
					Expect(c.Written()).To(BeNumerically("<", 64<<20), "bytes the consumer could write before the Sender hung up")
					Expect(after.TotalAlloc-before.TotalAlloc).To(BeNumerically("<", 32<<20), "bytes allocated during Send (consumer included)")
				},
				Entry("200 with a Content-Length of 1 GiB", hostile.HugeBody(200), true, hostileSpec),
				Entry("200 with an endless chunked body", hostile.EndlessBody(200), true, hostileSpec),
				Entry("500 with a Content-Length of 1 GiB", hostile.HugeBody(500), false, hostileSpec),
			)
		})
	}

	It("does not follow a redirect to another host, so the signature goes nowhere else", func(ctx SpecContext) {
		elsewhere := startHostile(hostile.Behaviour{}) // a healthy consumer
		to := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)
		for _, code := range []int{http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			c := startHostile(hostile.Redirect(code, to))
			r := sendTo(ctx, c)
			Expect(r.Class).To(Equal(sender.ClassRedirect))
			Expect(r.Status).To(Equal(code))
			Expect(r.Location).To(Equal(to))
			Expect(r.Summary()).To(HaveSuffix("to " + to + " (not followed)"))
			Expect(c.Requests()).To(Equal(1))
		}
		Consistently(elsewhere.Conns).WithContext(ctx).WithTimeout(100 * time.Millisecond).Should(BeZero())
	}, hostileSpec)

	It("does not retry 429 or 503 on its own, whatever Retry-After says: the EOD batch re-sends", func(ctx SpecContext) {
		for _, b := range []hostile.Behaviour{hostile.RetryAfter(429, "0"), hostile.RetryAfter(503, "Wed, 21 Oct 2015 07:28:00 GMT")} {
			c := startHostile(b)
			r := sendTo(ctx, c)
			Expect(r.Class).To(Equal(sender.ClassStatus))
			Expect(string(r.Snippet)).To(Equal(`{"error":"slow down"}`))
			Consistently(c.Requests).WithContext(ctx).WithTimeout(100 * time.Millisecond).Should(Equal(1))
		}
	}, hostileSpec)

	It("acknowledges a 2xx whatever its body, as Tartan does, and keeps the start of it", func(ctx SpecContext) {
		c := startHostile(hostile.NonJSON(200))
		r := sendTo(ctx, c)
		Expect(r.OK()).To(BeTrue(), r.Summary())
		Expect(string(r.Snippet)).To(Equal(hostile.NonJSONPage))

		r = sendTo(ctx, c, sender.SnippetBytes(16))
		Expect(r.OK()).To(BeTrue())
		Expect(string(r.Snippet)).To(Equal(hostile.NonJSONPage[:16]))
	}, hostileSpec)

	It("never puts the target's password or query values in an error or a Summary", func(ctx SpecContext) {
		c := startHostile(hostile.H2Frames) // an error that names the target
		target := strings.Replace(c.URL, "http://", "http://ci:pa55word@", 1) + "?token=t0ps3cret&tenant=7"
		r := newSender(target, sender.Timeout(hostileTimeout)).Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
		Expect(r.Class).To(Equal(sender.ClassOther))
		for _, text := range []string{r.Err.Error(), r.Summary()} {
			Expect(text).To(ContainSubstring("post http://ci:xxxxx@127.0.0.1:"))
			Expect(text).To(ContainSubstring("/webhook?tenant=xxxxx&token=xxxxx: "))
			Expect(text).NotTo(ContainSubstring("pa55word"))
			Expect(text).NotTo(ContainSubstring("t0ps3cret"))
		}
	}, hostileSpec)

	for _, v := range vias {
		Context("via "+v.name, func() {
			It("gives its connection slot back after every hostile answer", func(ctx SpecContext) {
				for _, b := range []hostile.Behaviour{hostile.Silent, hostile.Reset, hostile.StallBody, hostile.CloseMidBody, hostile.HugeBody(200)} {
					c := startHostile(b)
					s := v.newPoster(c.URL, sender.Timeout(100*time.Millisecond), sender.MaxConns(1))
					d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
					began := time.Now()
					for range 3 {
						s.Send(ctx, d)
					}
					Expect(time.Since(began)).To(BeNumerically("<", 3*(100*time.Millisecond)+hostileSlack), "%s: a slot was kept", b)
					// the server may count a request after the sender gave up on
					// it (a loaded machine runs its goroutine late); one never sent
					// for want of a slot never comes
					Eventually(ctx, c.Requests).Should(Equal(3), "%s", b)
				}
			}, SpecTimeout(10*time.Second))
		})
	}
})
