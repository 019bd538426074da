package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// Moment is a point on a scenario's virtual clock: the time since day 1
// 00:00 IST. Moments before day 1 do not occur in scenarios.
type Moment time.Duration

const (
	oneDay = 24 * time.Hour
	// maxDay is the last day a scenario may use, far beyond any real one.
	maxDay = 9999
)

// Day returns the moment's day, counted from 1.
func (m Moment) Day() int {
	d := time.Duration(m) / oneDay
	if m < 0 && time.Duration(m)%oneDay != 0 {
		d-- // floor, so that the time of day stays positive
	}
	return int(d) + 1
}

// String returns the moment as "day 1 09:30:00" (IST), with a fraction of a
// second only when there is one. ParseAt reads it back.
func (m Moment) String() string {
	d := m.Day()
	rem := time.Duration(m) - time.Duration(d-1)*oneDay
	h, mi, s := rem/time.Hour, rem%time.Hour/time.Minute, rem%time.Minute/time.Second
	out := fmt.Sprintf("day %d %02d:%02d:%02d", d, h, mi, s)
	if ns := rem % time.Second; ns != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%09d", int64(ns)), "0")
	}
	return out
}

// Time returns the real time of the moment, given base, the real time of
// Moment 0 (day 1 00:00 IST): base + m. Use Midnight to pick a base.
func (m Moment) Time(base time.Time) time.Time { return base.Add(time.Duration(m)) }

// EndOfDay returns day's last second, 23:59:59 IST: when Tartan's EOD batch
// re-sends the day's failed webhooks at the latest.
func EndOfDay(d int) Moment {
	return Moment(time.Duration(d)*oneDay - time.Second)
}

// Midnight returns 00:00 IST of the day t falls on in India: a natural base
// for Moment.Time, so that day 1 is that day.
func Midnight(t time.Time) time.Time {
	y, mo, d := t.In(wire.IST).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, wire.IST)
}

// ParseAt reads a step's time, given prev, the moment of the step before
// (0 for the first step):
//
//	"day 1 09:30", "day 2 23:59:59"  that day and time (days count from 1)
//	"09:30", "18:45:10"              that time on prev's day
//	"+15m", "+2h30m", "+90s", "+7d"  that long after prev (d is 24 hours)
//	""                               one minute after prev
//
// Hours run 00–23, minutes and seconds 00–59; seconds may have a fraction
// ("09:30:00.5"), as Moment.String writes it. ParseAt does not check that
// the result is after prev: Parse does, since "09:30" after "day 1 10:00"
// is a step going back in time.
func ParseAt(s string, prev Moment) (Moment, error) {
	m, problem := parseAt(s, prev)
	if problem != "" {
		return 0, show.Refuse("scenarios", "%s", problem)
	}
	return m, nil
}

// parseAt is ParseAt with the problem in plain words, "" when there is none.
func parseAt(s string, prev Moment) (Moment, string) {
	bad := func(format string, args ...any) (Moment, string) {
		return 0, fmt.Sprintf("bad time %q: ", s) + fmt.Sprintf(format, args...)
	}
	text := strings.TrimSpace(s)
	if text == "" {
		return after(prev, time.Minute, s)
	}
	if rest, ok := strings.CutPrefix(text, "+"); ok {
		d, problem := parseAfter(rest)
		if problem != "" {
			return bad("%s", problem)
		}
		return after(prev, d, s)
	}
	fields := strings.Fields(text)
	dayNum := prev.Day()
	switch {
	case fields[0] == "day" && len(fields) == 3:
		n, err := strconv.Atoi(fields[1])
		switch {
		case err != nil || !isDigits(fields[1]):
			return bad("%q is not a day number (days count from 1)", fields[1])
		case n < 1:
			return bad("days count from 1, there is no day %d", n)
		case n > maxDay:
			return bad("day %d is too far (at most day %d)", n, maxDay)
		}
		dayNum = n
		fields = fields[2:]
	case fields[0] == "day" && len(fields) == 2:
		return bad("give a time of day too, e.g. \"day %s 09:30\"", fields[1])
	case len(fields) != 1 || !strings.Contains(fields[0], ":"):
		return bad(`want "day N HH:MM[:SS]", "HH:MM[:SS]", "+DURATION" (e.g. +15m) or nothing`)
	}
	if dayNum < 1 {
		dayNum = 1
	}
	clock, problem := parseClock(fields[0])
	if problem != "" {
		return bad("%s", problem)
	}
	return Moment(time.Duration(dayNum-1)*oneDay + clock), ""
}

// after returns prev+d unless it runs past the last day.
func after(prev Moment, d time.Duration, s string) (Moment, string) {
	if d > time.Duration(maxDay)*oneDay-time.Duration(prev) {
		return 0, fmt.Sprintf("bad time %q: it is past day %d", s, maxDay)
	}
	return prev + Moment(d), ""
}

// parseAfter reads what follows "+": whole days ("7d"), then a Go duration.
func parseAfter(s string) (time.Duration, string) {
	if s == "" {
		return 0, "nothing after +; write e.g. +15m, +2h30m, +90s or +7d"
	}
	var total time.Duration
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && s[i] == 'd' {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n > maxDay {
			return 0, fmt.Sprintf("%s days is too far (at most %d)", s[:i], maxDay)
		}
		total, s = time.Duration(n)*oneDay, s[i+1:]
		if s == "" {
			return total, ""
		}
	}
	if s[0] == '-' || s[0] == '+' {
		return 0, "time only goes forward; write the duration after a single +, e.g. +15m"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Sprintf("%q is not a duration; write e.g. +15m, +2h30m, +90s or +7d", s)
	}
	if d > time.Duration(maxDay)*oneDay-total {
		return 0, fmt.Sprintf("it is past day %d", maxDay)
	}
	return total + d, ""
}

// parseClock reads "HH:MM" or "HH:MM:SS[.fraction]".
func parseClock(s string) (time.Duration, string) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Sprintf("%q is not a time of day; want HH:MM or HH:MM:SS", s)
	}
	h, ok := clockPart(parts[0], 1)
	if !ok {
		return 0, fmt.Sprintf("%q is not an hour; want 00 to 23", parts[0])
	}
	if h > 23 {
		return 0, fmt.Sprintf("hour %d is out of range (00 to 23)", h)
	}
	mi, ok := clockPart(parts[1], 2)
	if !ok {
		return 0, fmt.Sprintf("%q is not a minute; want two digits, 00 to 59", parts[1])
	}
	if mi > 59 {
		return 0, fmt.Sprintf("minute %d is out of range (00 to 59)", mi)
	}
	d := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
	if len(parts) == 3 {
		whole, frac, hasFrac := strings.Cut(parts[2], ".")
		sec, ok := clockPart(whole, 2)
		if !ok || (hasFrac && (frac == "" || len(frac) > 9 || !isDigits(frac))) {
			return 0, fmt.Sprintf("%q is not a second; want two digits, 00 to 59", parts[2])
		}
		if sec > 59 {
			return 0, fmt.Sprintf("second %d is out of range (00 to 59)", sec)
		}
		d += time.Duration(sec) * time.Second
		if hasFrac {
			ns, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
			d += time.Duration(ns)
		}
	}
	return d, ""
}

// clockPart reads a field of one or two digits; minLen 2 demands two.
func clockPart(s string, minLen int) (int, bool) {
	if len(s) < minLen || len(s) > 2 || !isDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Moments returns when each step happens, reading every step's At after
// the moment of the step before it (the first after Moment 0). A step whose
// At does not parse or goes back in time is a *FileError; scenarios from
// Parse always have valid times.
func (s *Scenario) Moments() ([]Moment, error) {
	out := make([]Moment, len(s.Steps))
	var prev Moment
	for i := range s.Steps {
		m, problem := stepMoment(s.Steps[i].At, prev)
		if problem != "" {
			return nil, &FileError{File: s.File, Line: s.Steps[i].Line, Field: fmt.Sprintf("steps[%d].at", i), Msg: problem}
		}
		out[i], prev = m, m
	}
	return out, nil
}

// stepMoment is ParseAt plus the rule that time never goes back.
func stepMoment(at string, prev Moment) (Moment, string) {
	m, problem := parseAt(at, prev)
	if problem == "" && m < prev {
		problem = fmt.Sprintf("%s is before the step above it (%s); time only goes forward", m, prev)
	}
	return m, problem
}

// String returns the duration as Go writes it, e.g. "1m30s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as "1m30s", for JSON.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration such as "90s" or "2h"; a bare number is
// an error, since it has no unit.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return show.Refuse("scenarios", "%q is not a duration; write e.g. 90s, 2m or 1h30m", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string such as "1m30s".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a duration written as a string such as "90s"; it is
// goccy/go-yaml's (and go-yaml v2's) InterfaceUnmarshaler.
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return err
	}
	return d.UnmarshalText([]byte(s))
}
