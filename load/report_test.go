package load_test

import (
	"testing"
	"time"

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

func TestOptionsForShard(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       load.Options
		events  int64
		profile string
	}{
		{"no shards", load.Options{Profile: load.Constant(900), Events: 100}, 100, "constant 900/s"},
		{"shard 0 of 3", load.Options{Profile: load.Constant(900), Events: 100, Shard: 0, Shards: 3}, 34, "constant 300/s"},
		{"shard 2 of 3", load.Options{Profile: load.Constant(900), Events: 100, Shard: 2, Shards: 3}, 33, "constant 300/s"},
		{"a ramp, from and to", load.Options{Profile: load.Ramp{From: 100, To: 1000, Over: time.Second}, Shard: 1, Shards: 2}, 0, "ramp 50/s to 500/s over 1s"},
		{"a burst's base", load.Options{Profile: load.Burst{Base: 400, Factor: 10, At: time.Second, Window: time.Second}, Shard: 0, Shards: 4}, 0, "eod-burst 100/s, x10 at 1s for 1s"},
		{"max has no rate", load.Options{Profile: load.Max{}, Events: 10, Shard: 1, Shards: 2}, 5, load.Max{}.String()},
	} {
		got := tc.o.ForShard()
		if got.Events != tc.events || got.Profile.String() != tc.profile {
			t.Errorf("%s: ForShard() = %d events, %s; want %d, %s", tc.name, got.Events, got.Profile, tc.events, tc.profile)
		}
	}
}
