package load_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/sender"
)

// stalledReport is a finished run of 6 seconds at 2000/s whose consumer
// froze in its third second.
func stalledReport() *load.Report {
	r := load.NewReport()
	r.Target, r.Profile, r.Seed, r.Rate = "http://127.0.0.1:8080/webhook", "constant 2000/s", 42, 2000
	r.Planned, r.Elapsed = 12000, 6*time.Second
	for i := range 12000 {
		latency := time.Millisecond
		if i >= 4000 && i < 6000 {
			latency = time.Duration(6000-i) * time.Second / 2000
		}
		res := sender.Result{Status: 200, Latency: time.Millisecond}
		if i%1000 == 0 {
			res = sender.Result{Status: 503, Class: sender.ClassStatus, Latency: time.Millisecond}
		}
		r.Record(res, latency, latency-time.Millisecond)
	}
	for s := range 6 {
		sec := load.Second{At: s, Sent: 2000, Errors: 2, P50: 1, P99: 1.2, Max: 3}
		if s == 2 {
			sec.P50, sec.P99, sec.Max = 500, 990, 1000
		}
		r.Timeline = append(r.Timeline, sec)
	}
	return r
}

// pathData is the d attribute of the chart line of class series.
func pathData(page, series string) string {
	m := regexp.MustCompile(`<path class="` + series + `" d="([^"]*)"`).FindStringSubmatch(page)
	Expect(m).NotTo(BeNil(), "no line %q", series)
	return m[1]
}

// points are the x,y of the M and L commands of that line.
func points(page, series string) [][2]float64 {
	var out [][2]float64
	for _, m := range regexp.MustCompile(`[ML]([0-9.]+),([0-9.]+)`).FindAllStringSubmatch(pathData(page, series), -1) {
		x, err1 := strconv.ParseFloat(m[1], 64)
		y, err2 := strconv.ParseFloat(m[2], 64)
		Expect(err1).NotTo(HaveOccurred())
		Expect(err2).NotTo(HaveOccurred())
		out = append(out, [2]float64{x, y})
	}
	return out
}

func render(r *load.Report) string {
	var b bytes.Buffer
	Expect(load.WriteHTML(&b, r)).To(Succeed())
	return b.String()
}

// wellFormed reports the first XML error in page, nil when it parses to
// the end with every element closed.
func wellFormed(page string) error {
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict = true
	for {
		if _, err := d.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

var _ = Describe("the HTML report", Label("load", "html"), func() {
	It("is one well-formed page with the run's numbers and a latency chart of one point per second", func() {
		page := render(stalledReport())
		Expect(wellFormed(page)).To(Succeed())
		Expect(page).To(HavePrefix("<!DOCTYPE html>"))
		for _, want := range []string{"constant 2000/s", ">42<", "12000", "2000.0/s", "p99.9", "service time", "schedule lag", ">503<", ">status<"} {
			Expect(page).To(ContainSubstring(want))
		}
		for _, series := range []string{"p50", "p99", "max", "sent", "errors"} {
			Expect(points(page, series)).To(HaveLen(6), series)
		}
		Expect(strings.Count(page, `<rect class="hover"`)).To(Equal(2 * 6))
		Expect(page).To(ContainSubstring("2s: sent 2000, errors 2, p50 500ms, p99 990ms, max 1s"))
	})

	It("plots the stalled second above the others", func() {
		page := render(stalledReport())
		var ys []float64
		for _, pt := range points(page, "p99") {
			ys = append(ys, pt[1])
		}
		// SVG's y grows downwards: the stalled second is nearest the top.
		Expect(ys[2]).To(BeNumerically("<", ys[1]-100))
		Expect(ys[1]).To(Equal(ys[3]))
	})

	It("leaves a gap in latency, not a fast-looking point, for a second in which nothing completed", func() {
		r := stalledReport()
		r.Timeline[2] = load.Second{At: 2}
		page := render(r)
		Expect(points(page, "p99")).To(HaveLen(5))
		Expect(pathData(page, "p99")).To(MatchRegexp(`^M\S+ h0 L\S+ M\S+ h0 L\S+ L\S+$`))
		Expect(points(page, "sent")).To(HaveLen(6), "no sends is a value: zero")
	})

	It("loads nothing from anywhere: no script, no external stylesheet, image or font", func() {
		page := render(stalledReport())
		Expect(page).NotTo(MatchRegexp(`(?i)(src|href)\s*=\s*["']?[^"'>]*(http|//)`))
		Expect(page).NotTo(MatchRegexp(`(?i)<script|<link|<img|<iframe|@import|url\(`))
	})

	It("escapes a hostile target, profile and status", func() {
		r := stalledReport()
		r.Target = `http://x/"><script>alert(1)</script><img src=x onerror=alert(2)>`
		r.Profile = `</title><script>alert(3)</script>`
		r.Statuses[`<b>`] = 1
		page := render(r)
		Expect(wellFormed(page)).To(Succeed())
		Expect(page).NotTo(ContainSubstring("<script"))
		Expect(page).NotTo(ContainSubstring("<img"))
		Expect(page).NotTo(ContainSubstring("<b>"))
		Expect(page).To(ContainSubstring("&lt;script&gt;alert(1)&lt;/script&gt;"))
	})

	It("still renders an empty run: no seconds, no sends, nil histograms", func() {
		page := render(&load.Report{})
		Expect(wellFormed(page)).To(Succeed())
		Expect(page).To(ContainSubstring("No seconds recorded."))
		Expect(page).To(ContainSubstring("n/a"))
	})

	It("labels the sends axis of a slow run with whole numbers, each at its own height", func() {
		r := load.NewReport()
		r.Timeline = []load.Second{{At: 0, Sent: 1, P50: 1, P99: 1, Max: 1}, {At: 1, Sent: 2, P50: 1, P99: 1, Max: 1}}
		page := render(r)
		Expect(wellFormed(page)).To(Succeed())
		chart := page[strings.LastIndex(page, "<svg"):]
		labels := regexp.MustCompile(`text-anchor="end" dominant-baseline="middle">([^<]*)<`).FindAllStringSubmatch(chart, -1)
		var got []string
		for _, m := range labels {
			got = append(got, m[1])
		}
		Expect(got).To(Equal([]string{"0", "1", "2"}))
	})

	It("gives the same bytes for the same report", func() {
		Expect(render(stalledReport())).To(Equal(render(stalledReport())))
	})
})
