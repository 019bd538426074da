package load

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tartansim/tartansim/show"
)

// Profile is an open-model arrival schedule: when the i-th send is due,
// counted from the start, whatever happened to the sends before it.
type Profile interface {
	// Due returns the intended send time of send i (from 0) after the start.
	Due(i int64) time.Duration
	// Rate returns the target rate at elapsed time t, in sends per second.
	Rate(t time.Duration) float64
	String() string
}

// Constant sends at a fixed rate per second.
type Constant float64

func (c Constant) Due(i int64) time.Duration {
	return time.Duration(float64(i) / float64(c) * float64(time.Second))
}
func (c Constant) Rate(time.Duration) float64 { return float64(c) }
func (c Constant) String() string             { return fmt.Sprintf("constant %g/s", float64(c)) }

// Max is no schedule at all: each worker sends its next delivery as soon
// as its last one is answered, a closed model, as hey and wrk measure. A
// send falls due when a worker begins it, so its latency is its service
// time plus the time to build and sign it, nothing is late or dropped, and
// there is no target rate (Rate is 0).
type Max struct{}

func (Max) Due(int64) time.Duration    { return 0 }
func (Max) Rate(time.Duration) float64 { return 0 }
func (Max) String() string             { return "max (closed model: each worker sends as soon as it is answered)" }

// Ramp goes linearly from From to To sends per second over Over, then stays
// at To.
type Ramp struct {
	From, To float64
	Over     time.Duration
}

func (r Ramp) Rate(t time.Duration) float64 {
	if t >= r.Over || r.Over <= 0 {
		return r.To
	}
	return r.From + (r.To-r.From)*t.Seconds()/r.Over.Seconds()
}

// Due solves sends(t) = i, where sends(t) is the integral of the rate.
func (r Ramp) Due(i int64) time.Duration {
	d := r.Over.Seconds()
	slope := (r.To - r.From) / d
	inRamp := r.From*d + slope*d*d/2
	n := float64(i)
	if r.Over <= 0 || n >= inRamp {
		return r.Over + time.Duration((n-inRamp)/r.To*float64(time.Second))
	}
	if slope == 0 {
		return time.Duration(n / r.From * float64(time.Second))
	}
	t := (-r.From + math.Sqrt(r.From*r.From+2*slope*n)) / slope
	return time.Duration(t * float64(time.Second))
}

func (r Ramp) String() string { return fmt.Sprintf("ramp %g/s to %g/s over %s", r.From, r.To, r.Over) }

// Burst is the end-of-day profile: Base sends per second, then at At a
// burst of Factor times the base for Window, then the base again: the EOD
// retry storm on top of the day's traffic.
type Burst struct {
	Base   float64
	Factor float64
	At     time.Duration
	Window time.Duration
}

func (b Burst) Rate(t time.Duration) float64 {
	if t >= b.At && t < b.At+b.Window {
		return b.Base * b.Factor
	}
	return b.Base
}

func (b Burst) Due(i int64) time.Duration {
	n := float64(i)
	before := b.Base * b.At.Seconds()
	if n < before {
		return time.Duration(n / b.Base * float64(time.Second))
	}
	during := b.Base * b.Factor * b.Window.Seconds()
	if n < before+during {
		return b.At + time.Duration((n-before)/(b.Base*b.Factor)*float64(time.Second))
	}
	return b.At + b.Window + time.Duration((n-before-during)/b.Base*float64(time.Second))
}

func (b Burst) String() string {
	return fmt.Sprintf("eod-burst %g/s, x%g at %s for %s", b.Base, b.Factor, b.At, b.Window)
}

// ParseProfile reads a profile for a target rate: "constant", "ramp" (from
// a tenth of the rate up to it over the first half of duration),
// "ramp:FROM:OVER" (e.g. ramp:100:30s), "eod-burst" (x10 for a tenth of the
// duration, from its middle) or "eod-burst:FACTOR:AT:WINDOW".
func ParseProfile(s string, rate float64, duration time.Duration) (Profile, error) {
	if !finite(rate) {
		return nil, show.Refuse("load", "the rate must be a positive number, not %g", rate)
	}
	if duration <= 0 {
		duration = 10 * time.Second
	}
	parts := strings.Split(s, ":")
	bad := func() (Profile, error) {
		return nil, show.Refuse("load", "profile %q: want constant, ramp, ramp:FROM:OVER, eod-burst or eod-burst:FACTOR:AT:WINDOW", s)
	}
	switch parts[0] {
	case "", "constant":
		if len(parts) > 1 {
			return bad()
		}
		return Constant(rate), nil
	case "ramp":
		r := Ramp{From: rate / 10, To: rate, Over: duration / 2}
		if len(parts) == 3 {
			from, err1 := strconv.ParseFloat(parts[1], 64)
			over, err2 := time.ParseDuration(parts[2])
			if err1 != nil || err2 != nil || !finite(from) || over <= 0 {
				return bad()
			}
			r.From, r.Over = from, over
		} else if len(parts) != 1 {
			return bad()
		}
		return r, nil
	case "eod-burst":
		b := Burst{Base: rate, Factor: 10, At: duration / 2, Window: duration / 10}
		if len(parts) == 4 {
			f, err1 := strconv.ParseFloat(parts[1], 64)
			at, err2 := time.ParseDuration(parts[2])
			w, err3 := time.ParseDuration(parts[3])
			if err1 != nil || err2 != nil || err3 != nil || !finite(f) || at < 0 || w <= 0 {
				return bad()
			}
			b.Factor, b.At, b.Window = f, at, w
		} else if len(parts) != 1 {
			return bad()
		}
		return b, nil
	}
	return bad()
}

// finite reports whether f is a positive number (not NaN, not infinite).
func finite(f float64) bool { return f > 0 && !math.IsInf(f, 0) }
