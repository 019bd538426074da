package wire

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestStampCompare(t *testing.T) {
	type st struct {
		ts, session string
		counter     int64
	}
	for _, c := range []struct {
		name string
		s, t st
		want Order
	}{
		{"an earlier time is older", st{"2025-05-26 03:18:30", "s1", 9}, st{"2025-05-26 03:18:31", "s1", 1}, Older},
		{"a later time is newer", st{"2025-05-26 03:18:31", "s1", 1}, st{"2025-05-26 03:18:30", "s1", 9}, Newer},
		{"unknown is older than known", st{"", "s1", 9}, st{"2025-05-26 03:18:30", "s1", 1}, Older},
		{"unparseable is unknown", st{"2025-05-26T03:18:30Z", "s1", 9}, st{"2025-05-26 03:18:30", "s1", 1}, Older},
		{"known is newer than unknown", st{"2025-05-26 03:18:30", "s1", 1}, st{"", "s1", 9}, Newer},
		{"same time, same session: lower counter is older", st{"2025-05-26 03:18:30", "s1", 1}, st{"2025-05-26 03:18:30", "s1", 2}, Older},
		{"same time, same session: higher counter is newer", st{"2025-05-26 03:18:30", "s1", 2}, st{"2025-05-26 03:18:30", "s1", 1}, Newer},
		{"both unknown, same session: counter decides", st{"", "s1", 1}, st{"", "s1", 2}, Older},
		{"same time, other session: a tie", st{"2025-05-26 03:18:30", "s1", 1}, st{"2025-05-26 03:18:30", "s2", 2}, Tie},
		{"same time, no session: a tie", st{"2025-05-26 03:18:30", "", 1}, st{"2025-05-26 03:18:30", "", 2}, Tie},
		{"equal stamps: a tie", st{"2025-05-26 03:18:30", "s1", 1}, st{"2025-05-26 03:18:30", "s1", 1}, Tie},
	} {
		a, b := NewStamp(c.s.ts, c.s.session, c.s.counter), NewStamp(c.t.ts, c.t.session, c.t.counter)
		if got := a.Compare(b); got != c.want {
			t.Errorf("%s: Compare = %d, want %d", c.name, got, c.want)
		}
		if got := a.OlderThan(b); got != (c.want == Older) {
			t.Errorf("%s: OlderThan = %v", c.name, got)
		}
		if got := b.Compare(a); got != -c.want {
			t.Errorf("%s: the reverse Compare = %d, want %d", c.name, got, -c.want)
		}
	}
}

func TestCounterReadsWhatItCanAndNeverFails(t *testing.T) {
	for in, want := range map[string]Counter{
		`7`: 7, `"12"`: 12, `1.5`: 0, `"abc"`: 0, `null`: 0, `{}`: 0,
	} {
		var c Counter
		if err := json.Unmarshal([]byte(in), &c); err != nil || c != want {
			t.Errorf("Counter from %s = %d, %v; want %d", in, c, err, want)
		}
	}
}

func TestReadEnvelope(t *testing.T) {
	env, err := ReadEnvelope([]byte(`{"syncSessionId":"s1","webhookCounter":"3","requestId":"r-1","orgId":"o-1","event":"sync.events.employee.add","eventType":"sync.events.delta","recordCount":null,"body":[{},{}],"timeStamp":"2025-05-26 03:18:30","statusCode":"200"}`))
	want := Envelope{RequestID: "r-1", OrgID: "o-1", Event: "sync.events.employee.add", EventType: "sync.events.delta",
		SyncSessionID: "s1", WebhookCounter: 3, TimeStamp: "2025-05-26 03:18:30", Len: 2}
	if err != nil || env != want {
		t.Fatalf("ReadEnvelope = %+v, %v; want %+v", env, err, want)
	}
	for _, c := range []struct {
		body string
		want error
	}{{`{"requestId":`, ErrNotJSON}, {`[1]`, ErrNotEnvelope}, {`{"orgId":7}`, ErrNotEnvelope}} {
		if _, err := ReadEnvelope([]byte(c.body)); !errors.Is(err, c.want) {
			t.Errorf("ReadEnvelope(%s) = %v, want %v", c.body, err, c.want)
		}
	}
}
