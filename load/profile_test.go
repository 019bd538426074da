package load

import (
	"math"
	"testing"
	"time"
)

func TestProfilesDueIsTheInverseOfTheRate(t *testing.T) {
	for _, p := range []Profile{
		Constant(1000),
		Ramp{From: 100, To: 1000, Over: 4 * time.Second},
		Burst{Base: 200, Factor: 10, At: 2 * time.Second, Window: time.Second},
	} {
		// Sends due within 6 s equal the integral of the rate over 6 s.
		var want float64
		for t0 := time.Duration(0); t0 < 6*time.Second; t0 += time.Millisecond {
			want += p.Rate(t0) / 1000
		}
		got := float64(CountDue(p, 6*time.Second, 0))
		if math.Abs(got-want) > want*0.002+2 {
			t.Errorf("%s: %v sends due in 6s, the rate integrates to %.0f", p, got, want)
		}
		for i := int64(1); i < 5000; i++ {
			if p.Due(i) < p.Due(i-1) {
				t.Fatalf("%s: Due(%d) < Due(%d)", p, i, i-1)
			}
		}
	}
}

func TestParseProfile(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "constant 100/s",
		"constant":             "constant 100/s",
		"ramp":                 "ramp 10/s to 100/s over 5s",
		"ramp:20:3s":           "ramp 20/s to 100/s over 3s",
		"eod-burst":            "eod-burst 100/s, x10 at 5s for 1s",
		"eod-burst:5:1s:500ms": "eod-burst 100/s, x5 at 1s for 500ms",
	} {
		p, err := ParseProfile(in, 100, 10*time.Second)
		if err != nil || p.String() != want {
			t.Errorf("ParseProfile(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"sine", "ramp:x:1s", "ramp:10", "eod-burst:0:1s:1s", "constant:5"} {
		if _, err := ParseProfile(bad, 100, time.Second); err == nil {
			t.Errorf("ParseProfile(%q) = nil error", bad)
		}
	}
	if _, err := ParseProfile("constant", 0, time.Second); err == nil {
		t.Error("a zero rate was accepted")
	}
}

func TestThresholds(t *testing.T) {
	r := NewReport()
	for i := range 1000 {
		_ = r.Latency.RecordValue(int64(1000 + i)) // 1 ms to 2 ms
	}
	r.Sent, r.OK, r.Rate, r.Elapsed = 1000, 998, 1000, 2*time.Second
	cases := []struct {
		t    Thresholds
		want int
	}{
		{NoThresholds, 0},
		{Thresholds{MaxP99: 5 * time.Millisecond, MaxErrorRate: 0.01, MinRate: 0.4}, 0},
		{Thresholds{MaxP99: time.Millisecond, MaxErrorRate: -1}, 1},
		{Thresholds{MaxErrorRate: 0}, 1},
		{Thresholds{MaxErrorRate: 0.001}, 1},
		{Thresholds{MaxErrorRate: -1, MinRate: 0.99}, 1},
	}
	for _, c := range cases {
		if got := c.t.Breaches(r); len(got) != c.want {
			t.Errorf("%+v: %v", c.t, got)
		}
	}
	for in, want := range map[string]float64{"0.1%": 0.001, "0.001": 0.001, "5%": 0.05, "0": 0} {
		if got, err := ParseErrorRate(in); err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("ParseErrorRate(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"x", "-1%", "200%"} {
		if _, err := ParseErrorRate(bad); err == nil {
			t.Errorf("ParseErrorRate(%q) = nil error", bad)
		}
	}
}
