package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tartansim/tartansim/console"
)

// A console on a free loopback port, sending a test webhook to the built-in
// reference consumer and listing the log, as the page does.
func Example() {
	dir, _ := os.MkdirTemp("", "console-example-")
	defer os.RemoveAll(dir)
	srv, err := console.New(console.Addr("127.0.0.1:0"), console.StorePath(filepath.Join(dir, "console.db")), console.Seed(7))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	a, err := srv.Send(context.Background(), console.TestSend{Event: "connection.events.requested"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.ID, a.Event, a.Status, a.Outcome)

	page, _ := srv.Log().List(console.Filter{Outcome: console.OutcomeOK}, 0, 10)
	fmt.Println(len(page.Attempts), "acknowledged")
	// Output:
	// 1 connection.events.requested 200 ok
	// 1 acknowledged
}

// The subscription is part of the settings: an event outside it is refused,
// in one sentence, and nothing is sent.
func ExampleServer_Update() {
	dir, _ := os.MkdirTemp("", "console-example-")
	defer os.RemoveAll(dir)
	srv, err := console.New(console.Addr("127.0.0.1:0"), console.StorePath(filepath.Join(dir, "console.db")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	events := []string{"connection.events.requested", "sync.events.employee.add/initial"}
	st, _ := srv.Update(console.Patch{Events: &events})
	fmt.Println(st.Events)
	_, err = srv.Send(context.Background(), console.TestSend{Event: "sync.events.initiated"})
	fmt.Println(err)
	fmt.Println(srv.Log().Counts().Total, "sent")
	// Output:
	// connection.events.requested,sync.events.employee.add/initial
	// console: not subscribed: sync.events.initiated (sync.events) is not among the subscribed events, so Tartan would not send it; tick it under Endpoint first
	// 0 sent
}
