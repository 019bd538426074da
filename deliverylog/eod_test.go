package deliverylog_test

import (
	"encoding/json"
	"testing"

	"github.com/tartansim/tartansim/deliverylog"
)

func TestDueAtEOD(t *testing.T) {
	ok := deliverylog.Attempt{Kind: deliverylog.First, Status: 200, Class: "none"}
	refused := deliverylog.Attempt{Kind: deliverylog.First, Class: "refused"}
	dropped := deliverylog.Attempt{Kind: deliverylog.First, Class: "dropped"}
	answered500 := deliverylog.Attempt{Kind: deliverylog.First, Status: 500, Class: "status"}
	eodFailed := deliverylog.Attempt{Kind: deliverylog.EOD, Status: 503, Class: "status"}
	eodOK := deliverylog.Attempt{Kind: deliverylog.EOD, Status: 202, Class: "none"}
	resendFailed := deliverylog.Attempt{Kind: deliverylog.Resend, Status: 500, Class: "status"}
	dupOK := deliverylog.Attempt{Kind: deliverylog.Duplicate, Status: 200, Class: "none"}
	for _, c := range []struct {
		name     string
		forged   bool
		attempts []deliverylog.Attempt
		due      bool
	}{
		{"never tried", false, nil, false},
		{"acknowledged", false, []deliverylog.Attempt{ok}, false},
		{"refused", false, []deliverylog.Attempt{refused}, true},
		{"dropped on purpose", false, []deliverylog.Attempt{dropped}, true},
		{"answered 500", false, []deliverylog.Attempt{answered500}, true},
		{"a duplicate was acknowledged", false, []deliverylog.Attempt{answered500, dupOK}, false},
		{"forged, rejected", true, []deliverylog.Attempt{{Kind: deliverylog.First, Status: 401, Class: "status"}}, false},
		{"re-sent at EOD and failed again: failed for good", false, []deliverylog.Attempt{answered500, eodFailed}, false},
		{"re-sent at EOD and acknowledged", false, []deliverylog.Attempt{answered500, eodOK}, false},
		{"a failed resend by hand before any EOD", false, []deliverylog.Attempt{answered500, resendFailed}, true},
	} {
		if got := deliverylog.DueAtEOD(c.forged, c.attempts); got != c.due {
			t.Errorf("%s: DueAtEOD = %v, want %v", c.name, got, c.due)
		}
	}
}

func TestMet(t *testing.T) {
	for _, c := range []struct {
		a    deliverylog.Attempt
		want bool
	}{
		{deliverylog.Attempt{Expect: deliverylog.Expect2xx, Status: 204, Class: "none"}, true},
		{deliverylog.Attempt{Expect: deliverylog.Expect2xx, Status: 401, Class: "status"}, false},
		{deliverylog.Attempt{Expect: deliverylog.Expect4xx, Status: 401, Class: "status"}, true},
		{deliverylog.Attempt{Expect: deliverylog.Expect4xx, Status: 200, Class: "none"}, false},
		{deliverylog.Attempt{Expect: deliverylog.Expect4xx, Status: 500, Class: "status"}, false},
		{deliverylog.Attempt{Expect: deliverylog.ExpectNothing, Class: "dropped"}, true},
	} {
		if got := c.a.Met(); got != c.want {
			t.Errorf("%+v: Met = %v, want %v", c.a, got, c.want)
		}
	}
}

func TestReadsLinesOfTheLogBeforeOneAttempt(t *testing.T) {
	var a deliverylog.Attempt
	old := `{"time":"2026-11-27T09:00:00Z","source":"run","scenario":"eod-retry","seq":7,"step":2,"attempt":"eod","event":"sync.events.employee.add","requestId":"r-7","headers":{},"body":"{}","status":200,"class":"none","latencyMs":1.5}`
	if err := json.Unmarshal([]byte(old), &a); err != nil {
		t.Fatal(err)
	}
	if a.Kind != deliverylog.EOD || a.Delivery != 7 || a.Run != "eod-retry" || a.RequestID != "r-7" || !a.OK() {
		t.Fatalf("%+v", a)
	}
	b, _ := json.Marshal(a)
	var back deliverylog.Attempt
	if err := json.Unmarshal(b, &back); err != nil || back.Kind != a.Kind || back.Delivery != a.Delivery || back.Run != a.Run {
		t.Fatalf("round trip %s: %+v, %v", b, back, err)
	}
}
