package console

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckPayload: any edited payload is accepted or refused with a
// sentence that wraps ErrBadInput; never a panic, and a position inside
// the text.
func FuzzCheckPayload(f *testing.F) {
	for _, s := range []string{
		`{"event":"sync.events.initiated","eventType":"sync.events"}`,
		"{\n \"event\": \"x\",,\n}", `[1,2]`, `"text"`, ``, `{"event": 7}`, `{"event":"a"} {}`, "\xff\xfe{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkPayload(body)
		if err != nil && !errors.Is(err, ErrBadInput) {
			t.Fatalf("%v does not wrap ErrBadInput", err)
		}
		if err != nil && !utf8.ValidString(err.Error()) && utf8.Valid(body) {
			t.Fatalf("the sentence is not UTF-8: %q", err)
		}
		line, col := position(body, int64(len(body)))
		if line < 1 || col < 0 {
			t.Fatalf("position %d:%d", line, col)
		}
	})
}

// FuzzMatchIndex: an index record read back from the store, however
// damaged, matches or not and never panics; and a record written from any
// summary reads back equal and matches its own fields.
func FuzzMatchIndex(f *testing.F) {
	good, _ := indexValue(&Summary{ID: 1, Outcome: OutcomeOK, Event: "e", EventType: "t", OrgID: "o"})
	f.Add(good, "o", "ok")
	f.Add([]byte("ok\x00e\x00"), "", "")
	f.Add([]byte{}, "", "failed")
	f.Fuzz(func(t *testing.T, v []byte, org, event string) {
		_, _ = matchIndex(v, Filter{Org: org})
		if strings.ContainsRune(org+event, 0) || !utf8.ValidString(org) || !utf8.ValidString(event) {
			return // NUL separates the prefix; JSON cannot keep invalid UTF-8
		}
		want := Summary{ID: 7, Outcome: OutcomeFailed, Event: event, EventType: "t", OrgID: org}
		rec, err := indexValue(&want)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := matchIndex(rec, Filter{Org: org, Outcome: OutcomeFailed})
		if !ok || got != want {
			t.Fatalf("%+v read back as %+v (%v)", want, got, ok)
		}
	})
}

// FuzzParseClock: an EOD time is HH:MM within the day, or off, or an
// error wrapping ErrBadSettings.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"23:59", "00:00", "off", "24:00", "9:5", "", "12:60", "-1:30", "+1:30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, m, err := parseClock(s)
		switch {
		case err != nil:
			if !errors.Is(err, ErrBadSettings) {
				t.Fatalf("%v does not wrap ErrBadSettings", err)
			}
		case s == EODOff:
			if h != -1 {
				t.Fatalf("off gave %d", h)
			}
		case h < 0 || h > 23 || m < 0 || m > 59:
			t.Fatalf("%q gave %d:%d", s, h, m)
		}
	})
}
