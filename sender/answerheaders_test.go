package sender_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/sender"
)

// headerCount and headerBytes measure a Result.Header as its bounds count:
// values, and name plus value bytes.
func headerCount(h http.Header) (n, size int) {
	for k, vs := range h {
		for _, v := range vs {
			n, size = n+1, size+len(k)+len(v)
		}
	}
	return n, size
}

var _ = Describe("the answer's headers in a Result", Label("results"), func() {
	// answering answers 200 with the headers set makes, and a short body.
	answering := func(set func(http.Header)) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			set(w.Header())
			_, _ = w.Write([]byte(`{"ok":true}`))
		}))
		DeferCleanup(srv.Close)
		return srv
	}
	send := func(viaLane bool, url string, opts ...sender.Option) sender.Result {
		s, err := sender.New(url, opts...)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		d := sender.Delivery{Body: []byte(`{"event":"x"}`), Header: http.Header{"Content-Type": {"application/json"}}}
		if viaLane {
			l := s.Lane()
			DeferCleanup(l.Close)
			return l.Send(context.Background(), d)
		}
		return s.Send(context.Background(), d)
	}
	for _, viaLane := range []bool{false, true} {
		path := map[bool]string{false: "Sender.Send", true: "Lane.Send"}[viaLane]

		It(path+" keeps none unless asked (the load path's)", func() {
			srv := answering(func(h http.Header) { h.Set("X-Seen", "yes") })
			r := send(viaLane, srv.URL)
			Expect(r.OK()).To(BeTrue(), r.Summary())
			Expect(r.Header).To(BeNil())
		})

		DescribeTable(path+" keeps a bounded copy when asked",
			func(set func(http.Header), wantN int, check func(http.Header)) {
				srv := answering(set)
				r := send(viaLane, srv.URL, sender.KeepAnswerHeaders())
				Expect(r.OK()).To(BeTrue(), r.Summary())
				n, size := headerCount(r.Header)
				Expect(n).To(Equal(wantN))
				Expect(n).To(BeNumerically("<=", sender.MaxAnswerHeaders))
				Expect(size).To(BeNumerically("<=", sender.MaxAnswerHeaderBytes))
				check(r.Header)
			},
			Entry("a few: all of them, as answered (Date, Content-Length and Content-Type are Go's)",
				func(h http.Header) { h.Set("X-Seen", "yes"); h.Add("Set-Cookie", "a=1"); h.Add("Set-Cookie", "b=2") },
				6, func(h http.Header) {
					Expect(h.Get("X-Seen")).To(Equal("yes"))
					Expect(h.Values("Set-Cookie")).To(Equal([]string{"a=1", "b=2"}))
					Expect(h.Get("Content-Length")).To(Equal("11"))
				}),
			Entry("40 of them: the first 32 by name",
				func(h http.Header) {
					for i := range 40 {
						h.Set(fmt.Sprintf("X-H-%02d", i), "v")
					}
				},
				sender.MaxAnswerHeaders, func(h http.Header) {
					Expect(h).To(HaveKey("Content-Length"), "C sorts before X")
					Expect(h).To(HaveKey("X-H-00"))
					Expect(h).NotTo(HaveKey("X-H-39"))
				}),
			Entry("three of 3,000 bytes: the ones that fit in 8 KiB, and the small ones after them",
				func(h http.Header) {
					for _, k := range []string{"X-A", "X-B", "X-C"} {
						h.Set(k, strings.Repeat("v", 3000))
					}
					h.Set("X-D", "small")
				},
				6, func(h http.Header) {
					Expect(h).To(HaveKey("X-A"))
					Expect(h).To(HaveKey("X-B"))
					Expect(h).NotTo(HaveKey("X-C"), "it would pass 8 KiB")
					Expect(h.Get("X-D")).To(Equal("small"))
				}),
		)
	}
})
