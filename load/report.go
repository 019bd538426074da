package load

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// Histogram bounds: 1 µs to 5 minutes, 3 significant digits.
const (
	histMin    = 1
	histMax    = int64(5 * time.Minute / time.Microsecond)
	histDigits = 3
)

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histDigits) }

// Report is the outcome of a load run, mergeable across shards.
type Report struct {
	Target string `json:"target"` // redacted: sender.RedactURL
	// Seed, Profile, Duration, Count, Scenario and Stream say which run
	// this is, and are the whole run's in the report of a part of it:
	// Merge merges only the parts of one run.
	Seed     uint64        `json:"seed"`
	Profile  string        `json:"profile"`
	Duration time.Duration `json:"durationNs,omitempty"` // the run's Duration (0: none)
	Count    int64         `json:"count,omitempty"`      // the run's Events (0: none)
	Scenario string        `json:"scenario,omitempty"`   // the scenario that shaped the stream, set by the caller
	Stream   string        `json:"stream,omitempty"`     // Stream.Shape
	// Shard ("1/4", when given as a shard) and Segment ("1/4:1/2") say
	// which part of the run this is, with Corporates, how many corporates
	// it holds; all empty for the whole run.
	Shard      string `json:"shard,omitempty"`
	Segment    string `json:"segment,omitempty"`
	Corporates int    `json:"corporates,omitempty"`
	// Started is when the run began sending. With Options.StartAt,
	// StartAt is that instant and StartedLate how long after it the run
	// began (its schedule counts from StartAt all the same).
	Started     time.Time     `json:"started,omitzero"`
	StartAt     time.Time     `json:"startAt,omitzero"`
	StartedLate time.Duration `json:"startedLateNs,omitempty"`
	// Parts and Missing are a merged report's: the parts merged, and those
	// missing from a partial merge. StartSpread is the time from the
	// first part's start to the last one's.
	Parts       []string      `json:"parts,omitempty"`
	Missing     []string      `json:"missing,omitempty"`
	StartSpread time.Duration `json:"startSpreadNs,omitempty"`
	Rate        float64       `json:"targetRate"` // intended sends per second (this part's share)
	// Planned counts the sends that fell due before the run stopped;
	// Sent those started; Dropped those due but never started (the run
	// ended first); Late those started over LateAfter after their due time.
	Planned int64 `json:"planned"`
	Sent    int64 `json:"sent"`
	Dropped int64 `json:"dropped"`
	Late    int64 `json:"late"`
	OK      int64 `json:"ok"`
	// Statuses and Classes count answers by HTTP status and error class.
	Statuses map[string]int64 `json:"statuses"`
	Classes  map[string]int64 `json:"classes"`
	Elapsed  time.Duration    `json:"elapsedNs"`
	// Latency is measured from each send's intended time (no coordinated
	// omission); Service from when it actually started; Lag is the start
	// minus the intended time. All in microseconds.
	Latency *hdr.Histogram `json:"-"`
	Service *hdr.Histogram `json:"-"`
	Lag     *hdr.Histogram `json:"-"`
	// Timeline has one point per second of the run.
	Timeline    []Second `json:"timeline"`
	Interrupted bool     `json:"interrupted,omitempty"`
	// MaxInFlight is the most requests that were in flight at once.
	MaxInFlight int64 `json:"maxInFlight"`
}

// Second is one second of a run, by when sends completed: a stall shows as
// a quiet second, then a second of late completions carrying the latency.
type Second struct {
	At     int     `json:"t"`    // seconds since the start
	Sent   int64   `json:"sent"` // sends completed in this second
	Errors int64   `json:"errors"`
	P50    float64 `json:"p50Ms"`
	P99    float64 `json:"p99Ms"`
	Max    float64 `json:"maxMs"`
}

// LateAfter is how far behind its due time a send may start before it counts
// as late.
const LateAfter = time.Millisecond

// NewReport returns an empty report, for callers that send on their own
// (replay) and Record each result.
func NewReport() *Report {
	return &Report{Statuses: map[string]int64{}, Classes: map[string]int64{}, Latency: newHist(), Service: newHist(), Lag: newHist()}
}

// snapshot is a copy of r that shares nothing with it, for a reader on
// another goroutine while r goes on counting.
func (r *Report) snapshot() *Report {
	c := *r
	c.Statuses, c.Classes = maps.Clone(r.Statuses), maps.Clone(r.Classes)
	c.Latency, c.Service, c.Lag = r.Latency.Clone(), r.Service.Clone(), r.Lag.Clone()
	c.Timeline = slices.Clone(r.Timeline)
	return &c
}

// Unreachable reports whether the run reached the target not once: it sent,
// and every send failed for want of a connection (refused, a name that
// does not resolve, TLS). No figure of such a run says anything about the
// consumer.
func (r *Report) Unreachable() bool {
	if r.Sent == 0 || r.OK > 0 {
		return false
	}
	for name, n := range r.Classes {
		var c sender.ErrorClass
		if n > 0 && (c.UnmarshalText([]byte(name)) != nil || !c.Unreachable()) {
			return false
		}
	}
	return true
}

// UnreachableWhy says in a few words why an Unreachable run could not reach
// the target: "connection refused", "the name does not resolve", "TLS
// failed", or "no answer".
func (r *Report) UnreachableWhy() string {
	for _, c := range []struct {
		class sender.ErrorClass
		why   string
	}{
		{sender.ClassRefused, "connection refused"},
		{sender.ClassDNS, "the name does not resolve"},
		{sender.ClassTLS, "TLS failed"},
	} {
		if r.Classes[c.class.String()] > 0 {
			return c.why
		}
	}
	return "no answer"
}

// Unscheduled is the lag of a send that had no schedule to keep (a closed
// model, Max): Record counts no lag for it, rather than a lag of zero.
const Unscheduled time.Duration = -1

// Record counts one send: its result, its latency from the intended send
// time, and how late it started (or Unscheduled). Not safe for concurrent use.
func (r *Report) Record(res sender.Result, latency, lag time.Duration) {
	r.Sent++
	if res.OK() {
		r.OK++
	}
	if res.Status != 0 {
		r.Statuses[fmt.Sprint(res.Status)]++
	}
	r.Classes[res.Class.String()]++
	if lag > LateAfter {
		r.Late++
	}
	_ = r.Latency.RecordValue(clampUS(latency))
	_ = r.Service.RecordValue(clampUS(res.Latency))
	if lag != Unscheduled {
		_ = r.Lag.RecordValue(clampUS(lag))
	}
}

func clampUS(d time.Duration) int64 {
	us := d.Microseconds()
	return max(histMin, min(us, histMax))
}

// Errors counts sends not acknowledged with a 2xx.
func (r *Report) Errors() int64 { return r.Sent - r.OK }

// ErrorRate is Errors over Sent.
func (r *Report) ErrorRate() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.Errors()) / float64(r.Sent)
}

// AchievedRate is sends started per second of the run.
func (r *Report) AchievedRate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Elapsed.Seconds()
}

// Percentiles reported by Summary.
var Percentiles = []float64{50, 90, 99, 99.9, 100}

// PercentileName names percentile p as the summaries do: "p99", or "max"
// for 100.
func PercentileName(p float64) string {
	if p >= 100 {
		return "max"
	}
	return fmt.Sprintf("p%g", p)
}

// Histogram is one of a report's histograms, under the name the summaries
// give it.
type Histogram struct {
	Name string
	*hdr.Histogram
}

// Histograms returns latency, service time and schedule lag, in the order
// the summaries show them.
func (r *Report) Histograms() []Histogram {
	return []Histogram{
		{"latency (from intended send time)", r.Latency},
		{"service time (from actual send)", r.Service},
		{"schedule lag", r.Lag},
	}
}

// Quantile returns the latency at percentile p (100 is the maximum).
func (r *Report) Quantile(h *hdr.Histogram, p float64) time.Duration {
	if p >= 100 {
		return time.Duration(h.Max()) * time.Microsecond
	}
	return time.Duration(h.ValueAtPercentile(p)) * time.Microsecond
}

// reportJSON is Report with its histograms encoded, for --json and merge.
type reportJSON struct {
	*alias
	Latency     string            `json:"latency"`
	Service     string            `json:"service"`
	Lag         string            `json:"lag"`
	Percentiles map[string]string `json:"percentiles"`
	Achieved    float64           `json:"achievedRate"`
	ErrorRate   float64           `json:"errorRate"`
}

type alias Report

// MarshalJSON writes the report with its histograms in HdrHistogram's
// compressed V2 encoding, so that shards merge exactly.
func (r *Report) MarshalJSON() ([]byte, error) {
	enc := func(h *hdr.Histogram) string {
		b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
		if err != nil {
			return ""
		}
		return string(b)
	}
	pct := map[string]string{}
	for _, p := range Percentiles {
		pct[fmt.Sprintf("p%g", p)] = r.Quantile(r.Latency, p).String()
	}
	return json.Marshal(reportJSON{alias: (*alias)(r), Latency: enc(r.Latency), Service: enc(r.Service), Lag: enc(r.Lag),
		Percentiles: pct, Achieved: r.AchievedRate(), ErrorRate: r.ErrorRate()})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Report) UnmarshalJSON(b []byte) error {
	var j reportJSON
	j.alias = (*alias)(r)
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	for _, h := range []struct {
		dst  **hdr.Histogram
		text string
	}{{&r.Latency, j.Latency}, {&r.Service, j.Service}, {&r.Lag, j.Lag}} {
		decoded, err := hdr.Decode([]byte(h.text))
		if err != nil {
			return show.Refuse("load", "report histogram: %w", err)
		}
		*h.dst = decoded
	}
	return nil
}
