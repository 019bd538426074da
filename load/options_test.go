package load_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/tartansim/tartansim/load"
)

// Every value that makes no sense is refused with the field it came from,
// never replaced by a default.
func TestValidateRefusesWhatMakesNoSense(t *testing.T) {
	first := mustSegment(t, "0/4") // a quarter of 3 is 0
	ok := load.Options{Profile: load.Constant(100), Events: 10}
	with := func(f func(*load.Options)) load.Options { o := ok; f(&o); return o }
	for _, tc := range []struct {
		name  string
		err   error
		field string // "" for valid
	}{
		{"valid", ok.Validate(), ""},
		{"a duration alone", with(func(o *load.Options) { o.Events, o.Duration = 0, time.Second }).Validate(), ""},
		{"a start ahead", with(func(o *load.Options) { o.StartAt = time.Now().Add(time.Minute) }).Validate(), ""},
		{"a start a little late", with(func(o *load.Options) { o.StartAt = time.Now().Add(-10 * time.Second) }).Validate(), ""},
		{"a negative count", with(func(o *load.Options) { o.Events = -1 }).Validate(), "Events"},
		{"a negative duration", with(func(o *load.Options) { o.Duration = -time.Second }).Validate(), "Duration"},
		{"a negative concurrency", with(func(o *load.Options) { o.Concurrency = -1 }).Validate(), "Concurrency"},
		{"too little concurrency to split", with(func(o *load.Options) { o.Concurrency, o.Segment = 3, first }).Validate(), "Concurrency"},
		{"no profile", with(func(o *load.Options) { o.Profile = nil }).Validate(), "Profile"},
		{"a NaN rate", with(func(o *load.Options) { o.Profile = load.Constant(math.NaN()) }).Validate(), "Profile"},
		{"a negative ramp", with(func(o *load.Options) { o.Profile = load.Ramp{From: -1, To: 10} }).Validate(), "Profile"},
		{"a burst without a window", with(func(o *load.Options) { o.Profile = load.Burst{Base: 1, Factor: 2} }).Validate(), "Profile"},
		{"a start long gone", with(func(o *load.Options) { o.StartAt = time.Now().Add(-2 * time.Minute) }).Validate(), "StartAt"},
		{"a start days ahead", with(func(o *load.Options) { o.StartAt = time.Now().Add(48 * time.Hour) }).Validate(), "StartAt"},
		{"negative corporates", load.StreamOptions{Orgs: -1}.Validate(), "Orgs"},
		{"negative employees", load.StreamOptions{Employees: -5}.Validate(), "Employees"},
		{"negative changes", load.StreamOptions{Changes: -1}.Validate(), "Changes"},
		{"a negative size", load.StreamOptions{Sizes: []int{3, -1}}.Validate(), "Sizes"},
		{"stream defaults", load.StreamOptions{}.Validate(), ""},
		{"a negative p99", load.Thresholds{MaxP99: -time.Millisecond, MaxErrorRate: -1}.Validate(), "MaxP99"},
		{"an error rate over 1", load.Thresholds{MaxErrorRate: 2}.Validate(), "MaxErrorRate"},
		{"a min rate over 1", load.Thresholds{MinRate: 1.5, MaxErrorRate: -1}.Validate(), "MinRate"},
		{"no thresholds", load.NoThresholds.Validate(), ""},
		{"a negative replay rate", load.ReplayOptions{Rate: -1}.Validate(), "Rate"},
		{"an infinite replay rate", load.ReplayOptions{Rate: math.Inf(1)}.Validate(), "Rate"},
		{"a negative replay limit", load.ReplayOptions{Limit: -1}.Validate(), "Limit"},
		{"a negative replay concurrency", load.ReplayOptions{Concurrency: -2}.Validate(), "Concurrency"},
		{"replay defaults", load.ReplayOptions{}.Validate(), ""},
	} {
		var oe *load.OptionError
		switch {
		case tc.field == "" && tc.err != nil:
			t.Errorf("%s: %v, want it accepted", tc.name, tc.err)
		case tc.field == "":
		case !errors.As(tc.err, &oe):
			t.Errorf("%s: %v, want an *OptionError for %s", tc.name, tc.err, tc.field)
		case oe.Field != tc.field || oe.Why == "":
			t.Errorf("%s: field %q (%q), want %q with a reason", tc.name, oe.Field, oe.Why, tc.field)
		}
	}
	if err := (load.Options{Profile: load.Constant(1)}).Validate(); !errors.Is(err, load.ErrUnbounded) {
		t.Errorf("no count and no duration: %v, want ErrUnbounded", err)
	}
}
