package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"
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
		return 0, fmt.Errorf("load: error rate %q: want a fraction like 0.001 or a percentage like 0.1%%", s)
	}
	if pct {
		f /= 100
	}
	if f > 1 {
		return 0, fmt.Errorf("load: error rate %q is over 100%%", s)
	}
	return f, nil
}

// Breaches returns one plain line per threshold the report breaks, naming
// the threshold as the flag that set it.
func (t Thresholds) Breaches(r *Report) []string {
	var out []string
	if t.MaxP99 > 0 {
		if p99 := r.Quantile(r.Latency, 99); p99 > t.MaxP99 {
			out = append(out, fmt.Sprintf("--max-p99 %s breached: latency p99 was %s", t.MaxP99, p99.Round(time.Microsecond)))
		}
	}
	if t.MaxErrorRate >= 0 {
		if er := r.ErrorRate(); er > t.MaxErrorRate {
			out = append(out, fmt.Sprintf("--max-error-rate %s breached: %d of %d sends failed (%s)", pct(t.MaxErrorRate), r.Errors(), r.Sent, pct(er)))
		}
	}
	if t.MinRate > 0 && r.Rate > 0 {
		if ratio := r.AchievedRate() / r.Rate; ratio < t.MinRate {
			out = append(out, fmt.Sprintf("--min-rate %g breached: achieved %.1f/s of a %.1f/s target (%.3f)", t.MinRate, r.AchievedRate(), r.Rate, ratio))
		}
	}
	return out
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'g', 4, 64) + "%" }
