package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tartansim/tartansim/show"
)

// Thresholds are the CI limits of a run. MaxP99 and MinRate are not
// checked when zero; MaxErrorRate is not checked when negative (0 means no
// error at all is allowed).
type Thresholds struct {
	MaxP99       time.Duration // latency p99, from the intended send time
	MaxErrorRate float64       // a fraction: 0.001 is 0.1%
	MinRate      float64       // achieved rate over target rate, e.g. 0.99
}

// NoThresholds checks nothing.
var NoThresholds = Thresholds{MaxErrorRate: -1}

// ParseErrorRate reads "0.1%" or "0.001".
func ParseErrorRate(s string) (float64, error) {
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, show.Refuse("load", "error rate %q: want a fraction like 0.001 or a percentage like 0.1%%", s)
	}
	if pct {
		f /= 100
	}
	if f > 1 {
		return 0, show.Refuse("load", "error rate %q is over 100%%", s)
	}
	return f, nil
}

// Limit names a threshold of Thresholds.
type Limit string

// The thresholds.
const (
	LimitP99       Limit = "max-p99"        // Thresholds.MaxP99
	LimitErrorRate Limit = "max-error-rate" // Thresholds.MaxErrorRate
	LimitRate      Limit = "min-rate"       // Thresholds.MinRate
)

// Breach is a threshold a run broke, with what it measured.
type Breach struct {
	Limit Limit
	// Set is the threshold as given ("1ms", "0.1%", "0.99"); Got says what
	// the run did instead, in a few words ("latency p99 was 1.4ms").
	Set, Got string
}

// String is "the max-p99 limit of 1ms breached: latency p99 was 1.4ms".
func (b Breach) String() string {
	return fmt.Sprintf("the %s limit of %s breached: %s", b.Limit, b.Set, b.Got)
}

// Breaches returns the thresholds the report breaks, in the order of
// Thresholds' fields.
func (t Thresholds) Breaches(r *Report) []Breach {
	var out []Breach
	if t.MaxP99 > 0 {
		if p99 := r.Quantile(r.Latency, 99); p99 > t.MaxP99 {
			out = append(out, Breach{LimitP99, t.MaxP99.String(), fmt.Sprintf("latency p99 was %s", p99.Round(time.Microsecond))})
		}
	}
	if t.MaxErrorRate >= 0 {
		if er := r.ErrorRate(); er > t.MaxErrorRate {
			out = append(out, Breach{LimitErrorRate, pct(t.MaxErrorRate), fmt.Sprintf("%d of %d sends failed (%s)", r.Errors(), r.Sent, pct(er))})
		}
	}
	if t.MinRate > 0 && r.Rate > 0 {
		if ratio := r.AchievedRate() / r.Rate; ratio < t.MinRate {
			out = append(out, Breach{LimitRate, strconv.FormatFloat(t.MinRate, 'g', -1, 64), fmt.Sprintf("achieved %.1f/s of a %.1f/s target (%.3f)", r.AchievedRate(), r.Rate, ratio)})
		}
	}
	return out
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'g', 4, 64) + "%" }
