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
// with them, for the person who gave it: "is negative: give how many
// sends, 1 or more". A front end maps Field to its own name for it (a
// flag). It has the shape of conformance.OptionError.
type OptionError struct {
	Field string
	Value string
	Why   string
}

func (e *OptionError) Error() string { return "load: " + e.Reason() }

// Reason is "FIELD VALUE WHY", for people.
func (e *OptionError) Reason() string { return fmt.Sprintf("%s %s %s", e.Field, e.Value, e.Why) }

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
		return &OptionError{"Events", fmt.Sprint(o.Events), "is negative: give how many sends, 1 or more"}
	case o.Duration < 0:
		return &OptionError{"Duration", o.Duration.String(), "is negative: give how long the run lasts, such as 5m"}
	case o.Events == 0 && o.Duration == 0:
		return ErrUnbounded
	case o.Concurrency < 0:
		return &OptionError{"Concurrency", fmt.Sprint(o.Concurrency), "is negative: give how many requests may be in flight, 1 or more"}
	case o.Concurrency > 0 && o.Segment.Share(o.Concurrency) < 1:
		return &OptionError{"Concurrency", fmt.Sprint(o.Concurrency),
			fmt.Sprintf("is too few to split across the parts of the run, as the rate is: %s would get no connection, so give at least %d", o.Segment.Name(), o.Segment.enough())}
	case o.Profile == nil:
		return &OptionError{"Profile", "nil", "is no arrival profile: give one (Max for none)"}
	}
	if err := validProfile(o.Profile); err != nil {
		return err
	}
	if !o.StartAt.IsZero() {
		now := time.Now()
		at := o.StartAt.Format(time.RFC3339Nano)
		if ago := now.Sub(o.StartAt); ago > StartAtPast {
			return &OptionError{"StartAt", at, fmt.Sprintf("was %s ago: give an instant ahead, the same for every shard", ago.Round(time.Second))}
		}
		if ahead := o.StartAt.Sub(now); ahead > StartAtAhead {
			return &OptionError{"StartAt", at, fmt.Sprintf("is %s ahead, more than %s: give an instant within a day", ahead.Round(time.Minute), StartAtAhead)}
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
			return &OptionError{"Profile", v.String(), "has a rate that is not a positive number"}
		}
	case Ramp:
		if !ok(v.From) || !ok(v.To) || v.Over < 0 {
			return &OptionError{"Profile", v.String(), "has a rate that is not a positive number, or a negative duration"}
		}
	case Burst:
		if !ok(v.Base) || !ok(v.Factor) || v.At < 0 || v.Window <= 0 {
			return &OptionError{"Profile", v.String(), "needs a positive rate and factor, a start that is not negative and a positive window"}
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
		{"Orgs", o.Orgs, "is negative: give how many corporates, 1 or more"},
		{"Employees", o.Employees, "is negative: give how many employees a corporate has, 1 or more"},
		{"Changes", o.Changes, "is negative: give how many records a delta session changes, 1 or more"},
	} {
		if f.v < 0 {
			return &OptionError{f.name, fmt.Sprint(f.v), f.why}
		}
	}
	for _, n := range o.Sizes {
		if n < 0 {
			return &OptionError{"Sizes", fmt.Sprint(n), "is negative: a corporate has 1 employee or more"}
		}
	}
	return nil
}

// Validate refuses thresholds that cannot be met or make no sense: a
// negative MaxP99, a MaxErrorRate over 1, a MinRate outside 0 to 1.
func (t Thresholds) Validate() error {
	switch {
	case t.MaxP99 < 0:
		return &OptionError{"MaxP99", t.MaxP99.String(), "is negative: give a latency limit such as 500ms"}
	case t.MaxErrorRate > 1 || math.IsNaN(t.MaxErrorRate):
		return &OptionError{"MaxErrorRate", fmt.Sprint(t.MaxErrorRate), "is not a fraction from 0 to 1: give one such as 0.001"}
	case t.MinRate < 0 || t.MinRate > 1 || math.IsNaN(t.MinRate):
		return &OptionError{"MinRate", fmt.Sprint(t.MinRate), "is not a ratio from 0 to 1: give one such as 0.99"}
	}
	return nil
}

// Validate refuses a negative or non-finite Rate, a negative Limit or
// Concurrency.
func (o ReplayOptions) Validate() error {
	switch {
	case o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return &OptionError{"Rate", fmt.Sprint(o.Rate), "is not deliveries per second: give a positive number such as 500, or 0 for the recorded pacing"}
	case o.Limit < 0:
		return &OptionError{"Limit", fmt.Sprint(o.Limit), "is negative: give how many deliveries, 1 or more"}
	case o.Concurrency < 0:
		return &OptionError{"Concurrency", fmt.Sprint(o.Concurrency), "is negative: give how many deliveries may be in flight, 1 or more"}
	}
	return nil
}
