package judge

import (
	"fmt"
	"slices"
	"time"
)

// LagSummary is the processing lag over many judged orgs.
type LagSummary struct {
	// Orgs counts the orgs that converged, whose lag is summarised;
	// AtMost those whose lag is only a bound (see Verdict.LagAtMost).
	Orgs   int           `json:"orgs"`
	AtMost int           `json:"atMost,omitempty"`
	Median time.Duration `json:"medianNs"`
	Max    time.Duration `json:"maxNs"`
}

// SummarizeLag returns the median and the largest processing lag of the
// verdicts that were judged and converged.
func SummarizeLag(vs []Verdict) LagSummary {
	var lags []time.Duration
	atMost := 0
	for _, v := range vs {
		if v.Passed() {
			lags = append(lags, v.Lag)
			if v.LagAtMost {
				atMost++
			}
		}
	}
	if len(lags) == 0 {
		return LagSummary{}
	}
	slices.Sort(lags)
	med := lags[len(lags)/2]
	if len(lags)%2 == 0 {
		med = (lags[len(lags)/2-1] + med) / 2
	}
	return LagSummary{Orgs: len(lags), AtMost: atMost, Median: med, Max: lags[len(lags)-1]}
}

// String is "median 120ms, max 410ms over 3 org(s)", with "; 2 at most
// (converged by the first read)" when some are bounds, or "none judged".
func (l LagSummary) String() string {
	if l.Orgs == 0 {
		return "none judged"
	}
	s := fmt.Sprintf("median %s, max %s over %d org(s)", FormatLag(l.Median), FormatLag(l.Max), l.Orgs)
	if l.AtMost > 0 {
		s += fmt.Sprintf("; %d at most (converged by the first read)", l.AtMost)
	}
	return s
}
