package boxtest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/box/boxtest"
	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// An org's life, end to end: the consumer's backend mints an SDK token (the
// box invites), the corporate accepts and its 105 employees arrive in 11
// webhooks, a delta loses a webhook that the EOD batch brings back, the
// consumer terminates, and after each step the box's verdict is asked for
// with a Gomega matcher.
func Example() {
	key := []byte("the-app-key")
	c := consumer.New(key) // the consumer under test: here the reference one
	hooks := httptest.NewServer(c.Handler())
	defer hooks.Close()

	srv, err := boxtest.NewServer(hooks.URL+consumer.WebhookPath, key, "the-api-key",
		box.WithClock(clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))),
		box.AcceptAfter(0), // the corporate accepts at once
		box.WithProbe(probe.HTTP(hooks.URL+consumer.ProbePath, nil)))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
	ctx := context.Background()

	// The consumer's own backend would make this call, to srv.URL.
	orgID, err := srv.Invite(ctx, "hr@acme-textiles.in", "Acme Textiles Pvt Ltd", "Asha Rao", "acme-42")
	if err != nil {
		panic(err)
	}
	g.Expect(srv.Org(orgID)).To(boxtest.Converge(0))
	for _, d := range srv.Box.Deliveries() {
		fmt.Printf("%s (%s): %d records\n", d.Event, d.EventType, d.Records)
	}
	fmt.Println("the consumer holds", len(c.State(orgID).Employees), "employees")

	srv.Box.FailNext(sender.FaultDrop, 1)
	s, err := srv.Box.SyncWith(orgID, fixtures.Delta{Joiners: 2, Leavers: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("delta: %d new, %d updated, in %d webhooks\n", s.New, s.Updated, s.Webhooks)
	fmt.Println("re-sent at EOD:", srv.Box.EOD())
	g.Expect(srv.Org(orgID)).To(boxtest.Converge(0))

	g.Expect(srv.Terminate(ctx, orgID)).To(gomega.Succeed())
	g.Expect(srv.Org(orgID)).To(boxtest.Converge(0))
	v, _ := srv.Box.Verdict(orgID)
	fmt.Printf("%s after %d sessions: %d of %d deliveries acknowledged; the consumer holds %d employees, %s\n",
		v, v.Sessions, v.Acknowledged, v.Deliveries, len(c.State(orgID).Employees), c.State(orgID).ConnectionStatus)
	// Output:
	// connection.events.requested (connection.events): 1 records
	// sync.events.initiated (sync.events): 1 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 10 records
	// sync.events.employee.add (sync.events.initial): 5 records
	// the consumer holds 105 employees
	// delta: 2 new, 1 updated, in 3 webhooks
	// re-sent at EOD: 1
	// converged after 5 sessions: 17 of 17 deliveries acknowledged; the consumer holds 107 employees, CONNECTION_TERMINATED
}
