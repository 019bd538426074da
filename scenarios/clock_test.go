package scenarios

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/tartansim/tartansim/wire"
)

// at builds a moment from a day and a time of day.
func at(d int, clock time.Duration) Moment {
	return Moment(time.Duration(d-1)*24*time.Hour + clock)
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

func TestParseAt(t *testing.T) {
	prev := at(2, hm(10, 0))
	tests := []struct {
		in   string
		prev Moment
		want Moment
	}{
		{"day 1 09:30", 0, at(1, hm(9, 30))},
		{"day 2 23:59:59", 0, at(2, hm(23, 59)+59*time.Second)},
		{"day 1 00:00", 0, 0},
		{"day 8 02:00", prev, at(8, hm(2, 0))},
		{"  day   3   7:05  ", 0, at(3, hm(7, 5))},
		{"day 1 09:30:00.5", 0, at(1, hm(9, 30)+500*time.Millisecond)},
		{"09:30", prev, at(2, hm(9, 30))}, // same day as prev, even if earlier
		{"18:45:10", prev, at(2, hm(18, 45)+10*time.Second)},
		{"09:30", 0, at(1, hm(9, 30))},
		{"+15m", prev, prev + Moment(15*time.Minute)},
		{"+2h30m", prev, prev + Moment(hm(2, 30))},
		{"+90s", prev, prev + Moment(90*time.Second)},
		{"+7d", prev, prev + Moment(7*24*time.Hour)},
		{"+1d2h", prev, prev + Moment(26*time.Hour)},
		{"+0s", prev, prev},
		{"", prev, prev + Moment(time.Minute)},
		{"   ", 0, Moment(time.Minute)},
	}
	for _, tt := range tests {
		got, err := ParseAt(tt.in, tt.prev)
		if err != nil || got != tt.want {
			t.Errorf("ParseAt(%q, %s) = %s, %v; want %s", tt.in, tt.prev, got, err, tt.want)
		}
	}
}

func TestParseAtErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"day 0 09:30", `scenarios: bad time "day 0 09:30": days count from 1, there is no day 0`},
		{"day -1 09:30", `scenarios: bad time "day -1 09:30": "-1" is not a day number (days count from 1)`},
		{"day x 09:30", `scenarios: bad time "day x 09:30": "x" is not a day number (days count from 1)`},
		{"day 10000 09:30", `scenarios: bad time "day 10000 09:30": day 10000 is too far (at most day 9999)`},
		{"day 2", `scenarios: bad time "day 2": give a time of day too, e.g. "day 2 09:30"`},
		{"day 1 24:00", `scenarios: bad time "day 1 24:00": hour 24 is out of range (00 to 23)`},
		{"day 1 9:60", `scenarios: bad time "day 1 9:60": minute 60 is out of range (00 to 59)`},
		{"day 1 09:5", `scenarios: bad time "day 1 09:5": "5" is not a minute; want two digits, 00 to 59`},
		{"09:30:61", `scenarios: bad time "09:30:61": second 61 is out of range (00 to 59)`},
		{"09:30:00.", `scenarios: bad time "09:30:00.": "00." is not a second; want two digits, 00 to 59`},
		{"123:00", `scenarios: bad time "123:00": "123" is not an hour; want 00 to 23`},
		{"9:30:00:00", `scenarios: bad time "9:30:00:00": "9:30:00:00" is not a time of day; want HH:MM or HH:MM:SS`},
		{"tomorrow", `scenarios: bad time "tomorrow": want "day N HH:MM[:SS]", "HH:MM[:SS]", "+DURATION" (e.g. +15m) or nothing`},
		{"Day 1 09:30", `scenarios: bad time "Day 1 09:30": want "day N HH:MM[:SS]", "HH:MM[:SS]", "+DURATION" (e.g. +15m) or nothing`},
		{"+", `scenarios: bad time "+": nothing after +; write e.g. +15m, +2h30m, +90s or +7d`},
		{"+-5m", `scenarios: bad time "+-5m": time only goes forward; write the duration after a single +, e.g. +15m`},
		{"+5x", `scenarios: bad time "+5x": "5x" is not a duration; write e.g. +15m, +2h30m, +90s or +7d`},
		{"+1.5d", `scenarios: bad time "+1.5d": "1.5d" is not a duration; write e.g. +15m, +2h30m, +90s or +7d`},
		{"+99999d", `scenarios: bad time "+99999d": 99999 days is too far (at most 9999)`},
		{"+9999d", `scenarios: bad time "+9999d": it is past day 9999`},
	}
	for _, tt := range tests {
		_, err := ParseAt(tt.in, Moment(time.Hour))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseAt(%q) error\n got: %v\nwant: %s", tt.in, err, tt.want)
		}
	}
}

func TestMomentString(t *testing.T) {
	tests := []struct {
		m    Moment
		want string
		day  int
	}{
		{0, "day 1 00:00:00", 1},
		{at(1, hm(9, 30)), "day 1 09:30:00", 1},
		{EndOfDay(1), "day 1 23:59:59", 1},
		{EndOfDay(1) + Moment(time.Second), "day 2 00:00:00", 2},
		{at(8, hm(2, 0)+1500*time.Millisecond), "day 8 02:00:01.5", 8},
		{Moment(-time.Hour), "day 0 23:00:00", 0},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Moment(%d).String() = %q, want %q", int64(tt.m), got, tt.want)
		}
		if got := tt.m.Day(); got != tt.day {
			t.Errorf("Moment(%d).Day() = %d, want %d", int64(tt.m), got, tt.day)
		}
		if tt.m >= 0 {
			if back, err := ParseAt(tt.want, 0); err != nil || back != tt.m {
				t.Errorf("ParseAt(%q) = %s, %v; want it back", tt.want, back, err)
			}
		}
	}
}

func TestEndOfDay(t *testing.T) {
	for d, want := range map[int]string{1: "day 1 23:59:59", 2: "day 2 23:59:59", 8: "day 8 23:59:59"} {
		if got := EndOfDay(d).String(); got != want {
			t.Errorf("EndOfDay(%d) = %s, want %s", d, got, want)
		}
	}
}

func TestMomentTimeIsIST(t *testing.T) {
	base := Midnight(time.Date(2026, time.January, 5, 20, 0, 0, 0, time.UTC)) // 01:30 on the 6th in India
	if want := time.Date(2026, time.January, 6, 0, 0, 0, 0, wire.IST); !base.Equal(want) {
		t.Fatalf("Midnight = %s, want %s", base, want)
	}
	tests := []struct {
		m    Moment
		want string // UTC
	}{
		{0, "2026-01-05 18:30:00"},
		{at(1, hm(10, 0)), "2026-01-06 04:30:00"},
		{EndOfDay(1), "2026-01-06 18:29:59"},
		{at(8, hm(2, 0)), "2026-01-12 20:30:00"},
	}
	for _, tt := range tests {
		if got := tt.m.Time(base).UTC().Format(time.DateTime); got != tt.want {
			t.Errorf("%s.Time(base) = %s UTC, want %s", tt.m, got, tt.want)
		}
	}
}

func TestMoments(t *testing.T) {
	sc := &Scenario{Steps: []Step{{At: "day 1 10:00"}, {At: "+15m"}, {}, {At: "day 2 09:00"}}}
	got, err := sc.Moments()
	if err != nil {
		t.Fatal(err)
	}
	want := []Moment{at(1, hm(10, 0)), at(1, hm(10, 15)), at(1, hm(10, 16)), at(2, hm(9, 0))}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d at %s, want %s", i, got[i], want[i])
		}
	}
	sc.Steps[3] = Step{At: "10:00", Line: 12}
	_, err = sc.Moments()
	if err == nil || err.Error() != "line 12: steps[3].at: day 1 10:00:00 is before the step above it (day 1 10:16:00); time only goes forward" {
		t.Errorf("Moments going back: %v", err)
	}
}

func TestDurationEncodings(t *testing.T) {
	type holder struct {
		Delay Duration `yaml:"delay" json:"delay"`
	}
	var h holder
	if err := yaml.Unmarshal([]byte("delay: 1m30s\n"), &h); err != nil || h.Delay != Duration(90*time.Second) {
		t.Fatalf("YAML: %v, %v", h.Delay, err)
	}
	out, err := yaml.Marshal(h)
	if err != nil || strings.TrimSpace(string(out)) != "delay: 1m30s" {
		t.Errorf("YAML out: %q, %v", out, err)
	}
	if err := yaml.Unmarshal([]byte("delay: soon\n"), &h); err == nil {
		t.Error("YAML: want an error for delay: soon")
	}
	j, err := json.Marshal(holder{Duration(2 * time.Hour)})
	if err != nil || string(j) != `{"delay":"2h0m0s"}` {
		t.Errorf("JSON out: %s, %v", j, err)
	}
	if err := json.Unmarshal([]byte(`{"delay":"90s"}`), &h); err != nil || h.Delay != Duration(90*time.Second) {
		t.Errorf("JSON in: %v, %v", h.Delay, err)
	}
	if err := json.Unmarshal([]byte(`{"delay":90}`), &h); err == nil {
		t.Error("JSON: want an error for a bare number")
	}
}
