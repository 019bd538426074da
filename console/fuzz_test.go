package console

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tartansim/tartansim/deliverylog"
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
// attempt matches a filter of its own fields, and not another org's.
func FuzzMatchIndex(f *testing.F) {
	good := indexValue(&deliverylog.Attempt{ID: 1, Status: 200, Expect: deliverylog.Expect2xx, Event: "e", EventType: "t", OrgID: "o"})
	f.Add(good, "o", "ok")
	f.Add([]byte("ok\x00e\x00"), "", "")
	f.Add([]byte{}, "", "failed")
	f.Fuzz(func(t *testing.T, v []byte, org, event string) {
		_ = matchIndex(v, Filter{Org: org})
		if strings.ContainsRune(org+event, 0) {
			return // NUL separates the fields
		}
		a := deliverylog.Attempt{ID: 7, Status: 503, Expect: deliverylog.Expect2xx, Event: event, EventType: "t", OrgID: org, RequestID: org,
			Time: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
		rec := indexValue(&a)
		own := Filter{Org: org, RequestID: org, Event: event, Outcome: OutcomeFailed, Expected: ExpectedUnmet, Status: "5xx", Since: a.Time, Until: a.Time.Add(1)}
		if !matchIndex(rec, own) || !own.Match(&a) {
			t.Fatalf("%+v does not match its own fields", a)
		}
		if other := (Filter{Org: org + "x"}); matchIndex(rec, other) {
			t.Fatalf("%+v matches org %q", a, other.Org)
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

// FuzzDecodeBody: any request body is taken or refused as an *Error of
// ErrBadInput, never a panic; a refused body leaves the value as it was,
// and an unknown key is refused by its own name.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"webhookUrl": "http://x/"}`, `{"webhookURL": 1}`, `{"events": "all"}`, `[1]`, `{"a":1} {}`,
		`{"events": ["x"], "eodAt": null}`, "{\"\xff\": 1}", `{"layout": {"x": 1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p Patch
		err := decodeBody(bytes.NewReader(body), &p)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrBadInput) {
			t.Fatalf("%v is not an *Error of ErrBadInput", err)
		}
		if p != (Patch{}) {
			t.Fatalf("a refused body changed the value: %+v", p)
		}
		if e.Field != "" && strings.Contains(e.Why, "is not one this endpoint takes") && !strings.Contains(e.Why, strconv.Quote(e.Field)) {
			t.Fatalf("the refusal %q does not name the key %q", e.Why, e.Field)
		}
	})
}
