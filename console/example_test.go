package console_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/deliverylog"
)

// exampleServer starts a console on a free loopback port with a store in a
// temporary folder; done closes it and removes the folder.
func exampleServer(opts ...console.Option) (srv *console.Server, done func()) {
	dir, err := os.MkdirTemp("", "console-example-")
	if err != nil {
		panic(err)
	}
	srv, err = console.New(append([]console.Option{console.Addr("127.0.0.1:0"), console.StorePath(filepath.Join(dir, "console.db"))}, opts...)...)
	if err != nil {
		panic(err)
	}
	return srv, func() {
		_ = srv.Close()
		_ = os.RemoveAll(dir)
	}
}

// A console on a free loopback port, sending a test webhook to the built-in
// reference consumer and listing the log, as the page does.
func Example() {
	srv, done := exampleServer(console.Seed(7))
	defer done()

	a, err := srv.Send(context.Background(), console.TestSend{Event: "connection.events.requested"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.ID, a.Event, a.Status, a.Expect, a.Met())

	page, _ := srv.Log().List(console.Filter{Outcome: console.OutcomeOK}, 0, 10)
	fmt.Println(len(page.Attempts), "acknowledged")
	// Output:
	// 1 connection.events.requested 200 2xx true
	// 1 acknowledged
}

// The subscription is part of the settings: an event outside it is refused,
// in one sentence, and nothing is sent.
func ExampleServer_Update() {
	srv, done := exampleServer()
	defer done()

	events := []string{"connection.events.requested", "sync.events.employee.add/initial"}
	st, _ := srv.Update(console.Patch{Events: &events})
	fmt.Println(st.Events)
	_, err := srv.Send(context.Background(), console.TestSend{Event: "sync.events.initiated"})
	fmt.Println(err)
	fmt.Println(srv.Log().Counts().Total, "sent")
	// Output:
	// connection.events.requested,sync.events.employee.add/initial
	// console: not subscribed: sync.events.initiated (sync.events) is not among the subscribed events, so Tartan would not send it; tick it under Endpoint first
	// 0 sent
}

// The log exports as the NDJSON delivery log that `tartansim replay` reads:
// one line per attempt, a resend sharing its delivery's number.
func ExampleServer_Export() {
	srv, done := exampleServer()
	defer done()
	ctx := context.Background()
	first, _ := srv.Send(ctx, console.TestSend{Event: "sync.events.employee.add/delta"})
	_, _, _ = srv.Resend(ctx, first.ID)

	var log bytes.Buffer
	if err := srv.Export(&log, console.Filter{}); err != nil {
		fmt.Println(err)
		return
	}
	rd := deliverylog.NewReader(&log, "export.ndjson")
	for {
		e, err := rd.Next()
		if err != nil {
			break
		}
		fmt.Println(e.Delivery, e.Kind, e.Event, e.Status)
	}
	// Output:
	// 1 first sync.events.employee.add 200
	// 1 resend sync.events.employee.add 200
}
