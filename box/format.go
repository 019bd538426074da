package box

import (
	"strconv"
	"time"

	"github.com/tartansim/tartansim/wire"
)

// The three timestamp formats of Tartan's API, as its examples show them:
// webhooks carry fixtures.Stamp ("2025-05-15 03:11:10", UTC); the rest are
// here.

// connectionTime is vendor/connections' format: "10th July, 01:11 PM", in
// IST, without a year.
func connectionTime(t time.Time) string {
	t = t.In(wire.IST)
	return ordinal(t.Day()) + " " + t.Format("January, 03:04 PM")
}

// ordinal writes n with its English suffix: 1st, 2nd, 3rd, 4th, 11th, 22nd.
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// isoTime is org_details' format: ISO-8601 UTC with milliseconds and Z.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
