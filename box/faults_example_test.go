package box_test

import (
	"fmt"
	"time"

	"github.com/tartansim/tartansim/box"
)

// A client answered 429 with Retry-After: 2 called again 300 ms later: the
// verdict names it, with the call it is about.
func ExampleJudgeClient() {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	v := box.JudgeClient([]box.Call{
		{Method: "GET", Path: "/api/v2/employee_list", Query: "page=1", Endpoint: "employee_list", Status: 429, Fault: box.FaultStatus, RetryAfter: 2 * time.Second, Time: t0},
		{Method: "GET", Path: "/api/v2/employee_list", Query: "page=1", Endpoint: "employee_list", Status: 200, Time: t0.Add(300 * time.Millisecond)},
	})
	fmt.Println(v.Outcome)
	for _, f := range v.Findings {
		fmt.Println(f.Check, f.Why)
	}
	// Output:
	// failed
	// retry-after called again after 300ms although the answer said Retry-After: 2
}

// serve --api-faults takes the control's keys as key=value, faults
// separated by ";".
func ExampleParseAPIFaults() {
	fs, err := box.ParseAPIFaults("endpoint=employee_list,status=503,retryAfter=1s,next=2;endpoint=*,reset=true,fraction=0.05")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fs {
		fmt.Printf("%s status=%d retryAfter=%s reset=%t next=%d fraction=%g\n", f.Endpoint, f.Status, f.RetryAfter, f.Reset, f.Next, f.Fraction)
	}
	_, err = box.ParseAPIFaults("endpoint=employee_list,status=404,next=1")
	fmt.Println(err)
	// Output:
	// employee_list status=503 retryAfter=1s reset=false next=2 fraction=0
	// * status=0 retryAfter=0s reset=true next=0 fraction=0.05
	// status must be 429, 500, 502 or 503
}
