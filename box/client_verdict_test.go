package box

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tartansim/tartansim/judge"
)

func TestJudgeClient(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ok := func(ms int) Call {
		return Call{Method: "GET", Path: "/api/v2/employee_list", Query: "page=1", Status: 200, Time: at(ms)}
	}
	bad := func(ms, status int, after time.Duration) Call {
		c := ok(ms)
		c.Status, c.Fault, c.RetryAfter = status, FaultStatus, after
		return c
	}
	other := ok(5)
	other.Query = "page=2"
	for _, c := range []struct {
		name  string
		calls []Call
		want  judge.RunOutcome
		found []ClientCheck
	}{
		{"never called", nil, judge.NothingJudged, nil},
		{"met no fault", []Call{ok(0), ok(10)}, judge.NothingJudged, nil},
		{"retried after Retry-After", []Call{bad(0, 429, 2*time.Second), ok(2000)}, judge.RunPassed, nil},
		{"backed off from 5xx", []Call{bad(0, 500, 0), bad(100, 502, 0), bad(300, 503, 0), ok(700)}, judge.RunPassed, nil},
		{"a 4xx the API answered is no fault", []Call{{Method: "GET", Path: "/x", Status: 404, Time: at(0)}}, judge.NothingJudged, nil},
		{"gave up", []Call{bad(0, 503, 0)}, judge.RunFailed, []ClientCheck{CheckRetried}},
		{"another page is not a retry", []Call{bad(0, 500, 0), other}, judge.RunFailed, []ClientCheck{CheckRetried}},
		{"too early", []Call{bad(0, 429, 2*time.Second), ok(1999)}, judge.RunFailed, []ClientCheck{CheckRetryAfter}},
		{"hammered", []Call{bad(0, 500, 0), bad(1, 500, 0), bad(2, 500, 0), bad(3, 500, 0), ok(4)}, judge.RunFailed, []ClientCheck{CheckBackoff}},
		{"never got through", []Call{bad(0, 500, 0), bad(500, 500, 0)}, judge.RunFailed, []ClientCheck{CheckConverged, CheckRetried}},
		{"a reset is a failure", []Call{{Method: "GET", Path: "/p", Fault: FaultReset, Time: at(0)}}, judge.RunFailed, []ClientCheck{CheckRetried}},
	} {
		v := JudgeClient(c.calls)
		var found []ClientCheck
		for _, f := range v.Findings {
			found = append(found, f.Check)
		}
		if v.Outcome != c.want || !slices.Equal(found, c.found) || v.Why == "" {
			t.Errorf("%s: got %s %v (%s), want %s %v", c.name, v.Outcome, found, v.Why, c.want, c.found)
		}
	}
}

func TestParseAPIFaults(t *testing.T) {
	got, err := ParseAPIFaults("endpoint=employee_list,status=429,retryAfter=2s,next=3; endpoint=*,reset=true,fraction=0.1")
	want := []APIFault{{Endpoint: "employee_list", Status: 429, RetryAfter: 2 * time.Second, Next: 3}, {Endpoint: "*", Reset: true, Fraction: 0.1}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	for spec, field := range map[string]string{
		"":                                    "endpoint",
		"endpoint=*":                          "status",
		"endpoint=*,status=500":               "next",
		"endpoint=*,status=500,next=1,next=2": "next",
		"endpoint=*,status=abc,next=1":        "status",
		"endpoint=*,oops":                     "oops",
		"endpoint=*,status=500,next=1,x=1":    "x",
		"endpoint=*,delay=soon,next=1":        "delay",
	} {
		_, err := ParseAPIFaults(spec)
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("ParseAPIFaults(%q) = %v, want a refusal of %s", spec, err, field)
		}
	}
}

func FuzzParseAPIFaults(f *testing.F) {
	for _, s := range []string{"endpoint=*,status=503,retryAfter=1s,next=2", "endpoint=token,reset=true,fraction=0.5;endpoint=*,delay=1s,next=1", "a=b,,;", `endpoint="x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		fs, err := ParseAPIFaults(spec)
		if err != nil {
			wantFieldError(t, err)
			return
		}
		for _, x := range fs {
			if x.Check() != nil {
				t.Fatalf("%q parsed to a fault Check refuses: %+v", spec, x)
			}
		}
	})
}

// A full call log (MaxCalls), one in ten failed and retried 100 ms later.
func BenchmarkJudgeClient(b *testing.B) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	calls := make([]Call, 0, MaxCalls)
	for i := range MaxCalls {
		c := Call{Method: "GET", Path: "/api/v2/employee_list", Query: "page=" + strconv.Itoa(i/2), Status: 200, Time: t0.Add(time.Duration(i) * 100 * time.Millisecond)}
		if i%20 == 0 {
			c.Status, c.Fault = 503, FaultStatus
		}
		calls = append(calls, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v := JudgeClient(calls); v.Outcome != judge.RunPassed {
			b.Fatal(v.Why)
		}
	}
}

func TestJudgeClientPerOrg(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	call := func(org string, ms, status int) Call {
		c := Call{Method: "GET", Path: "/api/v2/employee_list", Query: "org=" + org, Org: org, Status: status, Time: t0.Add(time.Duration(ms) * time.Millisecond)}
		if status >= 500 {
			c.Fault = FaultStatus
		}
		return c
	}
	token := Call{Method: "POST", Path: "/api/sdk/token/", Status: 200, Time: t0}
	v := JudgeClient([]Call{token, call("b", 1, 200), call("a", 2, 503), call("b", 3, 503), call("a", 400, 200)})
	if v.Outcome != judge.RunFailed || v.Faults != 2 {
		t.Fatalf("overall: %s %d faults (%s)", v.Outcome, v.Faults, v.Why)
	}
	want := []struct {
		org     string
		outcome judge.RunOutcome
		faults  int
	}{{"b", judge.RunFailed, 1}, {"a", judge.RunPassed, 1}}
	if len(v.Orgs) != len(want) {
		t.Fatalf("orgs: %+v", v.Orgs)
	}
	for i, w := range want {
		if o := v.Orgs[i]; o.OrgID != w.org || o.Outcome != w.outcome || o.Faults != w.faults {
			t.Errorf("org %d: %+v, want %+v", i, o, w)
		}
	}
	if len(v.Orgs[0].Findings) != 1 || v.Orgs[0].Findings[0].Check != CheckRetried {
		t.Errorf("b gave up: %+v", v.Orgs[0].Findings)
	}
	if n := JudgeClient([]Call{token}); len(n.Orgs) != 0 || n.Outcome != judge.NothingJudged {
		t.Errorf("a call naming no org: %+v", n)
	}
}
