package console

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// DefaultEOD is when the EOD batch runs each day, Indian Standard Time, as
// Tartan's does.
const DefaultEOD = "23:59"

// EODOff turns the EOD schedule off ("Run the EOD batch now" still works).
const EODOff = "off"

// Settings are what the Endpoint section edits; the store keeps them across
// restarts. The app key is not among them: it comes only from serve's flags
// or environment and is never shown or returned.
type Settings struct {
	// WebhookURL is where webhooks go; "" is the built-in reference
	// consumer.
	WebhookURL string `json:"webhookUrl"`
	// ProbeURL is the consumer's state probe; "" judges no state (with
	// the built-in consumer: its own state).
	ProbeURL string `json:"probeUrl"`
	// Events is the subscription, as fixtures.Subscription.String writes
	// it: "all", "none" or catalogue IDs.
	Events string `json:"events"`
	// Layout is the byte layout of test webhooks' bodies.
	Layout string `json:"layout"`
	// EOD is the time of day ("23:59", IST) of the EOD batch, or "off".
	EOD string `json:"eodAt"`
}

// DefaultSettings are a new store's settings: the built-in consumer, every
// event, the compact layout, EOD at 23:59 IST.
func DefaultSettings() Settings {
	return Settings{Events: fixtures.All.String(), Layout: wire.DefaultLayout.String(), EOD: DefaultEOD}
}

// Patch changes some settings: nil fields stay as they are. It is the body
// of PUT /api/console/settings.
type Patch struct {
	WebhookURL *string `json:"webhookUrl,omitempty"`
	ProbeURL   *string `json:"probeUrl,omitempty"`
	// Events lists catalogue IDs or event names; [] subscribes to none.
	Events *[]string `json:"events,omitempty"`
	Layout *string   `json:"layout,omitempty"`
	EOD    *string   `json:"eodAt,omitempty"`
}

// ErrBadSettings is wrapped by the error of a setting that cannot be used.
var ErrBadSettings = error(&show.Refusal{Pkg: "console", Why: "bad setting"})

// Apply returns s changed by p, or the first bad value as an error
// wrapping ErrBadSettings, in one sentence; s itself is unchanged.
func (s Settings) Apply(p Patch) (Settings, error) {
	if p.WebhookURL != nil {
		u := strings.TrimSpace(*p.WebhookURL)
		if err := checkURL("webhookUrl", "webhook URL", u); err != nil {
			return s, err
		}
		s.WebhookURL = u
	}
	if p.ProbeURL != nil {
		u := strings.TrimSpace(*p.ProbeURL)
		if err := checkURL("probeUrl", "probe URL", u); err != nil {
			return s, err
		}
		s.ProbeURL = u
	}
	if p.Events != nil {
		list := strings.Join(*p.Events, ",")
		if len(*p.Events) == 0 {
			list = "none"
		}
		sub, err := fixtures.ParseSubscription(list)
		if err != nil {
			return s, refuse(ErrBadSettings, "events", "%s", show.Reason(err))
		}
		s.Events = sub.String()
	}
	if p.Layout != nil {
		if _, err := wire.ParseLayout(*p.Layout); err != nil {
			return s, refuse(ErrBadSettings, "layout", "the byte layout %q is not one of compact, python or indented", *p.Layout)
		}
		s.Layout = *p.Layout
	}
	if p.EOD != nil {
		v := strings.TrimSpace(*p.EOD)
		if _, _, err := parseClock(v); err != nil {
			return s, err
		}
		s.EOD = v
	}
	return s, nil
}

// checkURL accepts "" or an http(s) URL with a host; field is its key.
func checkURL(field, what, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return refuse(ErrBadSettings, field, "the %s %q is not an http:// or https:// URL", what, raw)
	}
	return nil
}

// parseClock reads "HH:MM" (24-hour) or "off" (ok false).
func parseClock(v string) (hour, minute int, err error) {
	if v == EODOff {
		return -1, -1, nil
	}
	h, m, ok := strings.Cut(v, ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 || len(m) != 2 {
		return 0, 0, refuse(ErrBadSettings, "eodAt", "the EOD time %q is not a time of day like 23:59 (IST), or off", v)
	}
	return hour, minute, nil
}

// Subscription parses s.Events; a stored value that no longer parses is
// every event.
func (s Settings) Subscription() fixtures.Subscription {
	sub, err := fixtures.ParseSubscription(s.Events)
	if err != nil {
		return fixtures.All
	}
	return sub
}

// ByteLayout parses s.Layout; a stored value that no longer parses is the
// default layout.
func (s Settings) ByteLayout() wire.Layout {
	l, err := wire.ParseLayout(s.Layout)
	if err != nil {
		return wire.DefaultLayout
	}
	return l
}

// nextEOD returns the first EOD moment after now, or the zero time when
// the schedule is off.
func (s Settings) nextEOD(now time.Time) time.Time {
	h, m, err := parseClock(s.EOD)
	if err != nil || h < 0 {
		return time.Time{}
	}
	ist := now.In(wire.IST)
	t := time.Date(ist.Year(), ist.Month(), ist.Day(), h, m, 0, 0, wire.IST)
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}
