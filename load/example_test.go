package load_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/sender"
)

// A run of 200 deliveries at 1,000/s against the reference consumer, on
// loopback: every one distinct and signed when sent.
func ExampleRun() {
	appKey := []byte("example-app-key")
	srv := httptest.NewServer(consumer.New(appKey).Handler())
	defer srv.Close()
	s, err := sender.New(srv.URL+consumer.WebhookPath, sender.MaxConns(4), sender.Timeout(5*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	stream := load.NewStream(load.StreamOptions{Seed: 7, Orgs: 2, Employees: 20})
	rep, err := load.Run(context.Background(), s, stream,
		load.Options{Profile: load.Constant(1000), Events: 200, Concurrency: 4, Key: appKey})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sent %d, acknowledged %d, dropped %d\n", rep.Sent, rep.OK, rep.Dropped)
	for _, h := range rep.Histograms() {
		fmt.Printf("%s: %d sends measured\n", h.Name, h.TotalCount())
	}
	// Output:
	// sent 200, acknowledged 200, dropped 0
	// latency (from intended send time): 200 sends measured
	// service time (from actual send): 200 sends measured
	// schedule lag: 200 sends measured
}

// The same stream, run as a closed model: each worker sends as soon as it
// is answered, so there is no target rate and no schedule lag.
func ExampleMax() {
	appKey := []byte("example-app-key")
	srv := httptest.NewServer(consumer.New(appKey).Handler())
	defer srv.Close()
	s, err := sender.New(srv.URL+consumer.WebhookPath, sender.MaxConns(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	stream := load.NewStream(load.StreamOptions{Seed: 7, Orgs: 1, Employees: 10})
	rep, err := load.Run(context.Background(), s, stream,
		load.Options{Profile: load.Max{}, Events: 100, Concurrency: 2, Key: appKey})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sent %d, late %d, target rate %g, lag measured %d\n", rep.Sent, rep.Late, rep.Rate, rep.Lag.TotalCount())
	fmt.Println(load.PercentileName(99.9), load.PercentileName(100))
	// Output:
	// sent 100, late 0, target rate 0, lag measured 0
	// p99.9 max
}
