package load

import (
	"fmt"
	"math"
	"time"
)

// OptionError is a value of Options, StreamOptions, ReplayOptions or
// Thresholds that makes no sense: it is refused, never replaced by a
// default. Field names the field ("Events", "Orgs", "MaxP99", "Segment"),
// Value is the value as given, and Why completes a sentence that starts
// with them, for the person who gave it.
type OptionError struct {
	Field string
	Value string
	Why   string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("load: %s %s: %s", e.Field, e.Value, e.Why)
}

// StartAtPast is how far in the past Options.StartAt may be: a copy
// started a little after the instant still joins the run (and says how
// late it started); one given an instant long gone was given the wrong one.
const StartAtPast = time.Minute

// StartAtAhead is how far ahead Options.StartAt may be.
const StartAtAhead = 24 * time.Hour

// Validate refuses the values of o that make no sense: a negative count,
// duration or concurrency, a run that would not stop by itself
// (ErrUnbounded), a concurrency that leaves o's segment no worker, a
// profile without a rate, or a StartAt over StartAtPast ago or over
// StartAtAhead ahead. Zero values mean the defaults the fields document.
func (o Options) Validate() error {
	switch {
	case o.Events < 0:
		return &OptionError{"Events", fmt.Sprint(o.Events), "a count of sends cannot be negative"}
	case o.Duration < 0:
		return &OptionError{"Duration", o.Duration.String(), "a duration cannot be negative"}
	case o.Events == 0 && o.Duration == 0:
		return ErrUnbounded
	case o.Concurrency < 0:
		return &OptionError{"Concurrency", fmt.Sprint(o.Concurrency), "want at least 1 request in flight"}
	case o.Concurrency > 0 && o.Segment.Share(o.Concurrency) < 1:
		return &OptionError{"Concurrency", fmt.Sprint(o.Concurrency),
			fmt.Sprintf("too few to split across the parts of the run, as the rate is: %s would get no connection, so give at least %d", o.Segment.Name(), o.Segment.enough())}
	case o.Profile == nil:
		return &OptionError{"Profile", "nil", "a run needs an arrival profile (Max for none)"}
	}
	if err := validProfile(o.Profile); err != nil {
		return err
	}
	if !o.StartAt.IsZero() {
		now := time.Now()
		at := o.StartAt.Format(time.RFC3339Nano)
		if ago := now.Sub(o.StartAt); ago > StartAtPast {
			return &OptionError{"StartAt", at, fmt.Sprintf("that was %s ago: give an instant ahead, the same for every shard", ago.Round(time.Second))}
		}
		if ahead := o.StartAt.Sub(now); ahead > StartAtAhead {
			return &OptionError{"StartAt", at, fmt.Sprintf("that is %s ahead, more than %s", ahead.Round(time.Minute), StartAtAhead)}
		}
	}
	return nil
}

// validProfile refuses rates that are not positive finite numbers.
func validProfile(p Profile) error {
	ok := finite
	switch v := p.(type) {
	case Constant:
		if !ok(float64(v)) {
			return &OptionError{"Profile", v.String(), "want a positive rate"}
		}
	case Ramp:
		if !ok(v.From) || !ok(v.To) || v.Over < 0 {
			return &OptionError{"Profile", v.String(), "want positive rates and a duration that is not negative"}
		}
	case Burst:
		if !ok(v.Base) || !ok(v.Factor) || v.At < 0 || v.Window <= 0 {
			return &OptionError{"Profile", v.String(), "want a positive rate and factor, a start that is not negative and a positive window"}
		}
	}
	return nil
}

// Validate refuses negative sizes.
func (o StreamOptions) Validate() error {
	for _, f := range []struct {
		name string
		v    int
		why  string
	}{
		{"Orgs", o.Orgs, "a number of corporates cannot be negative"},
		{"Employees", o.Employees, "a number of employees cannot be negative"},
		{"Changes", o.Changes, "a number of changed records cannot be negative"},
	} {
		if f.v < 0 {
			return &OptionError{f.name, fmt.Sprint(f.v), f.why}
		}
	}
	for _, n := range o.Sizes {
		if n < 0 {
			return &OptionError{"Sizes", fmt.Sprint(n), "a corporate's number of employees cannot be negative"}
		}
	}
	return nil
}

// Validate refuses thresholds that cannot be met or make no sense: a
// negative MaxP99, a MaxErrorRate over 1, a MinRate outside 0 to 1.
func (t Thresholds) Validate() error {
	switch {
	case t.MaxP99 < 0:
		return &OptionError{"MaxP99", t.MaxP99.String(), "a latency limit cannot be negative"}
	case t.MaxErrorRate > 1 || math.IsNaN(t.MaxErrorRate):
		return &OptionError{"MaxErrorRate", fmt.Sprint(t.MaxErrorRate), "want a fraction from 0 to 1, such as 0.001"}
	case t.MinRate < 0 || t.MinRate > 1 || math.IsNaN(t.MinRate):
		return &OptionError{"MinRate", fmt.Sprint(t.MinRate), "want a ratio from 0 to 1, such as 0.99"}
	}
	return nil
}

// Validate refuses a negative or non-finite Rate, a negative Limit or
// Concurrency.
func (o ReplayOptions) Validate() error {
	switch {
	case o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return &OptionError{"Rate", fmt.Sprint(o.Rate), "want deliveries per second, such as 500, or 0 for the recorded pacing"}
	case o.Limit < 0:
		return &OptionError{"Limit", fmt.Sprint(o.Limit), "a count of deliveries cannot be negative"}
	case o.Concurrency < 0:
		return &OptionError{"Concurrency", fmt.Sprint(o.Concurrency), "want at least 1 delivery in flight"}
	}
	return nil
}
