package sender_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/sender"
)

var _ = Describe("sender.New", Label("config"), func() {
	DescribeTable("rejects a target that is not an http(s) URL",
		func(target string) {
			s, err := sender.New(target)
			Expect(err).To(MatchError(sender.ErrBadTarget))
			Expect(err.Error()).To(ContainSubstring(strconv.Quote(target)))
			Expect(s).To(BeNil())
		},
		Entry("empty", ""),
		Entry("no scheme", "consumer.example/hooks"),
		Entry("host and port only", "localhost:8080"),
		Entry("another scheme", "ftp://consumer.example/hooks"),
		Entry("no host", "http:///hooks"),
		Entry("only a port", "http://:8080/hooks"),
		Entry("opaque", "https:consumer.example"),
		Entry("unparsable", "http://[::1"),
	)

	DescribeTable("accepts http and https URLs and keeps them as given",
		func(target string) {
			s, err := sender.New(target)
			Expect(err).NotTo(HaveOccurred())
			defer s.Close()
			Expect(s.Target()).To(Equal(target))
		},
		Entry("http with a port", "http://127.0.0.1:8080/hooks/tartan"),
		Entry("https without a port", "https://consumer.example/hooks/tartan?tenant=7"),
		Entry("upper-case scheme", "HTTPS://consumer.example/"),
		Entry("IPv6 literal", "http://[::1]:9000/"),
	)

	DescribeTable("rejects option values out of range",
		func(opt sender.Option, name string) {
			_, err := sender.New("http://127.0.0.1:1/", opt)
			Expect(err).To(MatchError(sender.ErrBadOption))
			Expect(err.Error()).To(ContainSubstring(name))
		},
		Entry("zero timeout", sender.Timeout(0), "Timeout(0s)"),
		Entry("negative timeout", sender.Timeout(-time.Second), "Timeout(-1s)"),
		Entry("no connections", sender.MaxConns(0), "MaxConns(0)"),
		Entry("negative snippet", sender.SnippetBytes(-1), "SnippetBytes(-1)"),
		Entry("nil clock", sender.Clock(nil), "Clock(nil)"),
	)
})

var _ = Describe("a Sender delivering to a healthy consumer", Label("http"), func() {
	for _, v := range vias {
		Context("via "+v.name, func() {
			DescribeTable("posts the exact body with the header names spelled as given",
				func(ctx SpecContext, hc sender.HeaderCase) {
					raw := startRawConsumer()
					s := v.newPoster(raw.URL())
					d := sender.Prepare(testKey, testBody, sender.SignatureValid, hc)

					r := s.Send(ctx, d)
					Expect(r.OK()).To(BeTrue(), r.Summary())
					Expect(r.Status).To(Equal(http.StatusNoContent))

					lines, body := splitRequest(raw.next())
					Expect(body).To(Equal(string(testBody)))
					Expect(lines[0]).To(Equal("POST /hooks/tartan HTTP/1.1"))
					Expect(lines[1:]).To(ConsistOf(
						"Host: "+strings.TrimPrefix(strings.TrimSuffix(raw.URL(), "/hooks/tartan"), "http://"),
						"User-Agent: "+sender.DefaultUserAgent,
						"Content-Length: "+strconv.Itoa(len(testBody)),
						"content-type: application/json",
						hc.Name()+": "+sender.Sign(testKey, testBody),
					))
				},
				Entry("lower, as Tartan sends it", sender.HeaderLower, bounded),
				Entry("canonical", sender.HeaderCanonical, bounded),
				Entry("upper", sender.HeaderUpper, bounded),
			)

			DescribeTable("sends the User-Agent",
				func(ctx SpecContext, opts []sender.Option, extra http.Header, want []string) {
					raw := startRawConsumer()
					s := v.newPoster(raw.URL(), opts...)
					d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
					for k, v := range extra {
						d.Header[k] = v
					}
					Expect(s.Send(ctx, d).OK()).To(BeTrue())

					lines, _ := splitRequest(raw.next())
					var agents []string
					for _, line := range lines {
						if name, _, _ := strings.Cut(line, ":"); strings.EqualFold(name, "User-Agent") {
							agents = append(agents, line)
						}
					}
					Expect(agents).To(Equal(want))
				},
				Entry("by default", nil, nil, []string{"User-Agent: tartansim/dev"}, bounded),
				Entry("set by option", []sender.Option{sender.UserAgent("Tartan-HyperSync/2")}, nil,
					[]string{"User-Agent: Tartan-HyperSync/2"}, bounded),
				Entry("none when set to empty", []sender.Option{sender.UserAgent("")}, nil, []string(nil), bounded),
				Entry("the Delivery's own, spelled as given", nil, http.Header{"user-agent": {"mine/1"}},
					[]string{"user-agent: mine/1"}, bounded),
			)

			It("sends a target's user:password as Basic auth, as http.Client does, ack-lost sends too", func(ctx SpecContext) {
				var mu sync.Mutex
				var got []string
				c := startConsumer(func(w http.ResponseWriter, r *http.Request) {
					user, pass, _ := r.BasicAuth()
					mu.Lock()
					got = append(got, user+":"+pass)
					mu.Unlock()
				})
				s := v.newPoster(strings.Replace(c.URL, "http://", "http://hook-user:s%40cret@", 1))
				for _, f := range []sender.Fault{sender.FaultNone, sender.FaultAckLost} {
					d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
					d.Fault = f
					Expect(s.Send(ctx, d).Sent).To(BeTrue())
				}
				Eventually(func() []string {
					mu.Lock()
					defer mu.Unlock()
					return slices.Clone(got)
				}).WithContext(ctx).WithTimeout(2 * time.Second).Should(Equal([]string{"hook-user:s@cret", "hook-user:s@cret"}))
			}, bounded)

			DescribeTable("counts any 2xx answer as delivered",
				func(ctx SpecContext, code int) {
					c := startConsumer(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
					r := v.newPoster(c.URL).Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
					Expect(r.OK()).To(BeTrue(), r.Summary())
					Expect(r.Failed()).To(BeFalse())
					Expect(r.Status).To(Equal(code))
					Expect(r.Class).To(Equal(sender.ClassNone))
					Expect(r.Err).NotTo(HaveOccurred())
					Expect(r.Sent).To(BeTrue())
					Expect(r.Summary()).To(HavePrefix(strconv.Itoa(code) + " " + http.StatusText(code) + " in "))
				},
				Entry(nil, http.StatusOK, bounded),
				Entry(nil, http.StatusCreated, bounded),
				Entry(nil, http.StatusAccepted, bounded),
				Entry(nil, http.StatusNoContent, bounded),
			)

			It("stamps Start and measures Latency with the injected clock", func(ctx SpecContext) {
				c := startConsumer(func(w http.ResponseWriter, r *http.Request) {})
				frozen := time.Date(2025, 3, 31, 23, 59, 59, 0, time.UTC)
				s := v.newPoster(c.URL, sender.Clock(clock.NewFake(frozen)))
				r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
				Expect(r.OK()).To(BeTrue(), r.Summary())
				Expect(r.Start).To(Equal(frozen))
				Expect(r.Latency).To(BeZero())
			}, bounded)

			DescribeTable("reuses one kept-alive connection for sequential deliveries",
				func(ctx SpecContext, answerBytes int) {
					answer := bytes.Repeat([]byte("k"), answerBytes)
					c := startConsumer(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(answer) })
					s := v.newPoster(c.URL)
					d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
					for range 100 {
						r := s.Send(ctx, d)
						Expect(r.OK()).To(BeTrue(), r.Summary())
					}
					Expect(c.conns.Load()).To(BeEquivalentTo(1))
				},
				Entry("with a short answer", 2, bounded),
				Entry("with an answer longer than the snippet (drained)", 10<<10, bounded),
			)
		})
	}

	It("never has more than MaxConns requests or connections at the consumer", func(ctx SpecContext) {
		const maxConns, senders = 2, 20
		var inFlight, peak atomic.Int32
		full := make(chan struct{}) // closed once maxConns requests are in flight
		var once sync.Once
		c := startConsumer(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if n == maxConns {
				once.Do(func() { close(full) })
			}
			select { // hold the first requests until the cap is reached
			case <-full:
			case <-r.Context().Done():
			}
			time.Sleep(2 * time.Millisecond) // give excess requests, if any, a chance to pile up
		})
		s := newSender(c.URL, sender.MaxConns(maxConns))
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)

		results := make([]sender.Result, senders)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() { results[i] = s.Send(ctx, d) })
		}
		wg.Wait()
		for _, r := range results {
			Expect(r.OK()).To(BeTrue(), r.Summary())
		}
		Expect(peak.Load()).To(BeEquivalentTo(maxConns))
		Expect(c.conns.Load()).To(BeNumerically("<=", maxConns))
	}, bounded)
})

var _ = Describe("a Sender facing a consumer that does not acknowledge", Label("http", "failures"), func() {
	for _, v := range vias {
		Context("via "+v.name, func() {
			DescribeTable("fails on a non-2xx answer and keeps its start as a snippet",
				func(ctx SpecContext, code int) {
					c := startConsumer(func(w http.ResponseWriter, r *http.Request) {
						w.WriteHeader(code)
						_, _ = io.WriteString(w, "invalid signature")
					})
					r := v.newPoster(c.URL).Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureNearMiss, sender.HeaderLower))
					Expect(r.Failed()).To(BeTrue())
					Expect(r.Class).To(Equal(sender.ClassStatus))
					Expect(r.Status).To(Equal(code))
					Expect(r.Err).NotTo(HaveOccurred())
					Expect(r.Sent).To(BeTrue())
					Expect(string(r.Snippet)).To(Equal("invalid signature"))
					Expect(r.Summary()).To(HavePrefix(fmt.Sprintf("%d %s in ", code, http.StatusText(code))))
				},
				Entry(nil, http.StatusBadRequest, bounded),
				Entry(nil, http.StatusUnauthorized, bounded),
				Entry(nil, http.StatusNotFound, bounded),
				Entry(nil, http.StatusConflict, bounded),
				Entry(nil, http.StatusInternalServerError, bounded),
				Entry(nil, http.StatusServiceUnavailable, bounded),
			)

			DescribeTable("never follows a redirect",
				func(ctx SpecContext, code int) {
					var followed atomic.Int32
					mux := http.NewServeMux()
					mux.HandleFunc("/hooks", func(w http.ResponseWriter, r *http.Request) {
						http.Redirect(w, r, "/elsewhere", code)
					})
					mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { followed.Add(1) })
					c := startConsumer(mux.ServeHTTP)

					r := v.newPoster(c.URL+"/hooks").Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
					Expect(r.Failed()).To(BeTrue())
					Expect(r.Class).To(Equal(sender.ClassRedirect))
					Expect(r.Status).To(Equal(code))
					Expect(r.Location).To(Equal("/elsewhere"))
					Expect(r.Summary()).To(Equal(fmt.Sprintf("%d %s to /elsewhere (not followed)", code, http.StatusText(code))))
					Expect(followed.Load()).To(BeZero())
				},
				Entry(nil, http.StatusMovedPermanently, bounded),
				Entry(nil, http.StatusFound, bounded),
				Entry(nil, http.StatusSeeOther, bounded),
				Entry(nil, http.StatusTemporaryRedirect, bounded),
				Entry(nil, http.StatusPermanentRedirect, bounded),
			)

			DescribeTable("reads at most SnippetBytes of a 50 MB answer and returns promptly",
				func(ctx SpecContext, opts []sender.Option, want int) {
					chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
					c := startConsumer(func(w http.ResponseWriter, r *http.Request) {
						w.Header().Set("Content-Length", strconv.Itoa(50*len(chunk)))
						for range 50 {
							if _, err := w.Write(chunk); err != nil {
								return
							}
						}
					})
					s := v.newPoster(c.URL, opts...)
					began := time.Now()
					r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
					Expect(time.Since(began)).To(BeNumerically("<", 5*time.Second))
					Expect(r.OK()).To(BeTrue(), r.Summary())
					Expect(r.Snippet).To(Equal(chunk[:want]))
				},
				Entry("by default", nil, sender.DefaultSnippetBytes, bounded),
				Entry("with SnippetBytes(16)", []sender.Option{sender.SnippetBytes(16)}, 16, bounded),
				Entry("with SnippetBytes(0)", []sender.Option{sender.SnippetBytes(0)}, 0, bounded),
			)

			Context("that is too slow", func() {
				var release chan struct{}
				var stalling *consumer
				BeforeEach(func() {
					release = make(chan struct{})
					stalling = startConsumer(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/after-headers" {
							w.WriteHeader(http.StatusOK)
							w.(http.Flusher).Flush()
						}
						select {
						case <-release:
						case <-r.Context().Done():
						}
					})
					DeferCleanup(func() { close(release) }) // runs before the server closes
				})

				It("times out a consumer that never answers", func(ctx SpecContext) {
					s := v.newPoster(stalling.URL, sender.Timeout(200*time.Millisecond))
					r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
					Expect(r.Class).To(Equal(sender.ClassTimeout))
					Expect(r.Err).To(MatchError(context.DeadlineExceeded))
					Expect(r.Status).To(BeZero())
					Expect(r.Sent).To(BeTrue(), "the consumer got the request and may apply it")
					Expect(r.Failed()).To(BeTrue())
					Expect(r.Latency).To(BeNumerically(">=", 200*time.Millisecond))
					Expect(r.Summary()).To(HavePrefix("timed out after "))
				}, bounded)

				It("times out a consumer that answers 200 and then stalls its body", func(ctx SpecContext) {
					s := v.newPoster(stalling.URL+"/after-headers", sender.Timeout(200*time.Millisecond))
					r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
					Expect(r.Status).To(Equal(http.StatusOK))
					Expect(r.Class).To(Equal(sender.ClassTimeout))
					Expect(r.Failed()).To(BeTrue())
					Expect(r.Summary()).To(HavePrefix("200 OK, then timed out after "))
				}, bounded)

				It("honours the caller's deadline", func(ctx SpecContext) {
					s := v.newPoster(stalling.URL) // DefaultTimeout is far away
					short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
					defer cancel()
					r := s.Send(short, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
					Expect(r.Class).To(Equal(sender.ClassTimeout))
					Expect(r.Err).To(MatchError(context.DeadlineExceeded))
				}, bounded)

			})

			It("reports a cancelled context as other", func(ctx SpecContext) {
				arrived, release := make(chan struct{}), make(chan struct{})
				c := startConsumer(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.ReadAll(r.Body)
					close(arrived)
					<-release
				})
				DeferCleanup(func() { close(release) })
				s := v.newPoster(c.URL)
				cancellable, cancel := context.WithCancel(ctx)
				go func() {
					<-arrived
					cancel()
				}()
				r := s.Send(cancellable, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
				Expect(r.Class).To(Equal(sender.ClassOther))
				Expect(r.Err).To(MatchError(context.Canceled))
				Expect(r.Sent).To(BeTrue())
			}, bounded)

			It("reports a refused connection, not sent", func(ctx SpecContext) {
				s := v.newPoster("http://" + freeAddr() + "/hooks")
				r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
				Expect(r.Class).To(Equal(sender.ClassRefused))
				Expect(r.Sent).To(BeFalse())
				Expect(r.Failed()).To(BeTrue())
				Expect(r.Err.Error()).To(HavePrefix("sender: post http://127.0.0.1:"))
				Expect(r.Summary()).To(Equal("connection refused"))
			}, bounded)

			DescribeTable("reports a connection dropped before an answer as reset",
				func(ctx SpecContext, abort bool, summary string) {
					c := startConsumer(func(w http.ResponseWriter, r *http.Request) {
						conn, _, err := w.(http.Hijacker).Hijack()
						if err != nil {
							return
						}
						if abort {
							_ = conn.(*net.TCPConn).SetLinger(0) // RST instead of FIN
						}
						_ = conn.Close()
					})
					r := v.newPoster(c.URL).Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
					Expect(r.Class).To(Equal(sender.ClassReset), "%v", r.Err)
					Expect(r.Sent).To(BeTrue())
					Expect(r.Summary()).To(Equal(summary))
				},
				Entry("closed", false, "connection closed by the server", bounded),
				Entry("reset", true, "connection reset by the server", bounded),
			)

			It("fails TLS against a certificate it does not trust", func(ctx SpecContext) {
				c := startTLSConsumer(func(w http.ResponseWriter, r *http.Request) {})
				r := v.newPoster(c.URL).Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
				Expect(r.Class).To(Equal(sender.ClassTLS), "%v", r.Err)
				Expect(r.Sent).To(BeFalse())
				Expect(r.Summary()).To(HavePrefix("TLS: certificate signed by unknown authority"))
			}, bounded)

			It("fails TLS against a server that speaks plain HTTP", func(ctx SpecContext) {
				c := startConsumer(func(w http.ResponseWriter, r *http.Request) {})
				r := v.newPoster(strings.Replace(c.URL, "http://", "https://", 1)).
					Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
				Expect(r.Class).To(Equal(sender.ClassTLS), "%v", r.Err)
				Expect(r.Summary()).To(Equal("TLS: the server did not answer with TLS"))
			}, bounded)

			It("delivers over TLS with a TLSConfig that trusts the consumer", func(ctx SpecContext) {
				var proto string
				c := startTLSConsumer(func(w http.ResponseWriter, r *http.Request) { proto = r.Proto })
				s := v.newPoster(c.URL, sender.TLSConfig(trusting(c)))
				r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
				Expect(r.OK()).To(BeTrue(), r.Summary())
				Expect(proto).To(Equal("HTTP/1.1"))
			}, bounded)

			It("reports a host name that does not resolve", func(ctx SpecContext) {
				// .invalid never resolves (RFC 2606); a resolver that hangs
				// instead of answering NXDOMAIN makes it a timeout.
				s := v.newPoster("http://tartansim.invalid/hooks", sender.Timeout(2*time.Second))
				r := s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
				Expect(r.Class).To(BeElementOf(sender.ClassDNS, sender.ClassTimeout), "%v", r.Err)
				Expect(r.Sent).To(BeFalse())
				if r.Class == sender.ClassDNS {
					Expect(r.Summary()).To(Equal("DNS: no such host tartansim.invalid"))
				}
			}, bounded)
		})
	}
})
