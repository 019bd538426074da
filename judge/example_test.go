package judge_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
)

// The truth of one acknowledged update, held against a consumer that kept
// a stale value: the difference names the delivery that carried the value.
func ExampleAwait() {
	t := judge.NewTruth()
	_ = t.Apply([]byte(`{"syncSessionId":"s1","webhookCounter":2,"requestId":"r-2","orgId":"org-7",` +
		`"event":"sync.events.employee.update","eventType":"sync.events.delta","timeStamp":"2025-05-26 03:19:30",` +
		`"body":[{"employeeId":"TRT-0042","designation":"VP"}]}`))
	consumer := func(context.Context, string) (probe.State, error) {
		return probe.State{OrgID: "org-7", Employees: []map[string]any{{"employeeId": "TRT-0042", "designation": "Manager"}}}, nil
	}
	v, err := judge.Await(context.Background(), consumer, "org-7", t.Org("org-7"), judge.CompareAll, time.Now(), judge.Settling{Budget: judge.JudgeAtOnce})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Judged, v.Converged, v.Ended)
	fmt.Println(v.Differences[0])
	// Output:
	// true false judged at once
	// employee TRT-0042 has designation="Manager", want "VP"; carried by r-2 (sync.events.employee.update #2)
}
