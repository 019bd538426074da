package box_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/consumer"
)

// The consumer's backend mints an SDK token; the box invites the corporate,
// which accepts at once, and the initial sync follows. employee_list then
// serves what the webhooks carried.
func ExampleBox_Handler() {
	key := []byte("the-app-key")
	c := consumer.New(key)
	hooks := httptest.NewServer(c.Handler())
	defer hooks.Close()

	b, err := box.New(hooks.URL+consumer.WebhookPath, key, "the-api-key",
		box.WithClock(clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))),
		box.AcceptAfter(0), box.Employees(12))
	if err != nil {
		panic(err)
	}
	defer b.Close()
	tartan := httptest.NewServer(b.Handler())
	defer tartan.Close()

	call := func(method, path, body string) string {
		req, _ := http.NewRequest(method, tartan.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Token the-api-key")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		return resp.Status
	}
	fmt.Println(call("POST", "/api/sdk/token/", `{"email":"hr@acme.in","org_name":"Acme Pvt Ltd","fullname":"Asha Rao","remote_org_id":"acme-42"}`))
	orgID := b.Orgs()[0]
	if err := b.Idle(context.TODO()); err != nil {
		panic(err)
	}
	for _, d := range b.Deliveries() {
		fmt.Println(d.Event, d.EventType, d.Records, d.Acknowledged())
	}
	fmt.Println(len(c.State(orgID).Employees), "employees at the consumer")
	fmt.Println(call("GET", "/api/v2/employee_list?org="+orgID+"&filter=status:active", ""))
	fmt.Println(call("GET", "/api/v2/employee_list?org="+orgID+"&page=0", ""))
	// Output:
	// 200 OK
	// connection.events.requested connection.events 1 true
	// sync.events.initiated sync.events 1 true
	// sync.events.employee.add sync.events.initial 10 true
	// sync.events.employee.add sync.events.initial 2 true
	// 12 employees at the consumer
	// 200 OK
	// 400 Bad Request
}

// What a corporate does on Tartan's side: one rejects its invite (Tartan
// documents no event for it, so no webhook goes), one invited from
// Tartan's console accepts and later ends the connection from its side.
func ExampleBox_Reject() {
	key := []byte("the-app-key")
	c := consumer.New(key)
	hooks := httptest.NewServer(c.Handler())
	defer hooks.Close()
	b, err := box.New(hooks.URL+consumer.WebhookPath, key, "the-api-key",
		box.WithClock(clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))),
		box.AcceptAfter(box.Never), box.Employees(3))
	if err != nil {
		panic(err)
	}
	defer b.Close()
	no, _, _ := b.Invite(box.Invitation{Email: "hr@nope.in", OrgName: "Nope Ltd", FullName: "N", RemoteOrgID: "nope"})
	fmt.Println(b.Reject(no))
	fmt.Println(errors.Is(b.Accept(no), box.ErrRejected))
	walkIn, _ := b.ConsoleInvite("Walk-in Traders", "hr@walkin.in", 0)
	fmt.Println(b.Accept(walkIn))
	if err := b.Idle(context.TODO()); err != nil {
		panic(err)
	}
	fmt.Println(b.TerminateByCorporate(walkIn))
	if err := b.Idle(context.TODO()); err != nil {
		panic(err)
	}
	for _, d := range b.Deliveries() {
		fmt.Println(d.OrgID == walkIn, d.Event)
	}
	// Output:
	// <nil>
	// true
	// <nil>
	// <nil>
	// false connection.events.requested
	// true connection.events.requested
	// true sync.events.initiated
	// true sync.events.employee.add
	// true connection.events.terminated
}
