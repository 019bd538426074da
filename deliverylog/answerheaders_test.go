package deliverylog_test

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
)

var _ = Describe("an attempt's answer headers", func() {
	d := sender.Delivery{Body: []byte(`{"event":"sync.events.initiated"}`), Header: http.Header{"Content-Type": {"application/json"}}}
	start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

	DescribeTable("go through a log and its Reader as they came",
		func(res sender.Result, wantKey bool, want map[string][]string) {
			a := deliverylog.New(deliverylog.FromConsole, deliverylog.First, d, false, res)
			var buf bytes.Buffer
			w := deliverylog.NewWriter(&buf)
			w.Write(a)
			Expect(w.Close()).To(Succeed())
			Expect(strings.Contains(buf.String(), `"answerHeaders"`)).To(Equal(wantKey))
			got, err := deliverylog.NewReader(&buf, "log.ndjson").Next()
			Expect(err).NotTo(HaveOccurred())
			Expect(got.AnswerHeaders).To(Equal(want))
		},
		Entry("kept: written and read back", sender.Result{Start: start, Status: 200, Header: http.Header{"X-Seen": {"yes"}, "Set-Cookie": {"a=1", "b=2"}}},
			true, map[string][]string{"X-Seen": {"yes"}, "Set-Cookie": {"a=1", "b=2"}}),
		Entry("not kept (the load path): no field, as before", sender.Result{Start: start, Status: 200}, false, nil),
		Entry("no answer: no field", sender.Result{Start: start, Class: sender.ClassRefused}, false, nil),
	)

	It("are absent from a line written before they were kept", func() {
		got, err := deliverylog.NewReader(strings.NewReader(`{"seq":1,"attempt":"first","headers":{},"body":"{}","status":200}`+"\n"), "old.ndjson").Next()
		Expect(err).NotTo(HaveOccurred())
		Expect(got.AnswerHeaders).To(BeNil())
		Expect(got.Status).To(Equal(200))
	})

	It("are a copy: changing the Result's afterwards changes nothing", func() {
		h := http.Header{"X-Seen": {"yes"}}
		a := deliverylog.New(deliverylog.FromConsole, deliverylog.First, d, false, sender.Result{Start: start, Status: 200, Header: h})
		h["X-Seen"][0] = "changed"
		Expect(a.AnswerHeaders["X-Seen"]).To(Equal([]string{"yes"}))
	})
})
