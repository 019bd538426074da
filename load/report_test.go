package load_test

import (
	"testing"

	"github.com/tartansim/tartansim/load"
)

func TestReportUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sent    int64
		ok      int64
		classes map[string]int64
		want    bool
		why     string
	}{
		{"nothing sent", 0, 0, nil, false, "no answer"},
		{"every send refused", 3, 0, map[string]int64{"refused": 3}, true, "connection refused"},
		{"refused and TLS", 3, 0, map[string]int64{"refused": 1, "tls": 2}, true, "connection refused"},
		{"names that do not resolve", 2, 0, map[string]int64{"dns": 2}, true, "the name does not resolve"},
		{"one answer", 3, 1, map[string]int64{"refused": 2, "none": 1}, false, "connection refused"},
		{"timeouts: it may have been reached", 3, 0, map[string]int64{"timeout": 3}, false, "no answer"},
		{"a bad status is an answer", 3, 0, map[string]int64{"status": 3}, false, "no answer"},
	} {
		r := load.NewReport()
		r.Sent, r.OK = tc.sent, tc.ok
		for k, v := range tc.classes {
			r.Classes[k] = v
		}
		if got := r.Unreachable(); got != tc.want {
			t.Errorf("%s: Unreachable() = %v, want %v", tc.name, got, tc.want)
		}
		if got := r.UnreachableWhy(); got != tc.why {
			t.Errorf("%s: UnreachableWhy() = %q, want %q", tc.name, got, tc.why)
		}
	}
}
