package judge

import (
	"testing"
	"time"
)

// TestPollSchedule: how many times a judgement reads the probe, at most,
// for a consumer that never converges, and how far apart the reads are at
// a given lag (which bounds the lag's error to half of it).
func TestPollSchedule(t *testing.T) {
	for _, tc := range []struct {
		budget    time.Duration
		maxReads  int
		lag       time.Duration
		maxSpaced time.Duration
	}{
		{DefaultSettle, 50, 500 * time.Millisecond, 150 * time.Millisecond},
		{time.Second, 16, 200 * time.Millisecond, 60 * time.Millisecond},
		{30 * time.Second, 115, 5 * time.Second, maxPoll},
	} {
		reads, at, interval, spaced := 1, time.Duration(0), firstPoll, time.Duration(0)
		for at+interval <= tc.budget {
			at += interval
			reads++
			if at <= tc.lag {
				spaced = interval
			}
			interval = nextPoll(interval)
		}
		if reads > tc.maxReads {
			t.Errorf("budget %s: %d reads, want at most %d", tc.budget, reads, tc.maxReads)
		}
		if spaced > tc.maxSpaced {
			t.Errorf("budget %s: reads %s apart at a lag of %s, want at most %s", tc.budget, spaced, tc.lag, tc.maxSpaced)
		}
	}
}
