package hostile_test

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tartansim/tartansim/internal/hostile"
)

// Every behaviour, caught mid-act, ends when its consumer is closed: no
// test that uses one can hang on it.
func TestCloseEndsEveryBehaviour(t *testing.T) {
	for _, b := range []hostile.Behaviour{
		hostile.Reset, hostile.BlackHole, hostile.Silent, hostile.StallBody, hostile.TrickleHeaders,
		hostile.TrickleBody, hostile.CloseMidHeaders, hostile.CloseMidBody, hostile.HugeBody(200),
		hostile.EndlessBody(200), hostile.Redirect(307, "/x"), hostile.RetryAfter(503, "1"),
		hostile.NonJSON(502), hostile.H2C, hostile.H2Frames, hostile.H2TLS,
	} {
		t.Run(b.Name, func(t *testing.T) {
			c := hostile.Start(b)
			client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: c.RootCAs()},
			}}
			done := make(chan struct{})
			go func() {
				defer close(done)
				resp, err := client.Post(c.URL, "application/json", strings.NewReader(`{}`))
				if err == nil {
					resp.Body.Close() // mid-body: closes the connection
				}
			}()
			time.Sleep(50 * time.Millisecond) // let the behaviour start
			closed := make(chan struct{})
			go func() { c.Close(); close(closed) }()
			select {
			case <-closed:
			case <-time.After(2 * time.Second):
				t.Fatalf("Close did not return: a consumer that %s still runs", b)
			}
			<-done
			c.Close() // twice is fine
		})
	}
}

// Only picks the requests to misbehave on; the others are healthy.
func TestOnlySelectsRequests(t *testing.T) {
	c := hostile.Start(hostile.RetryAfter(503, "1"), hostile.Only(2))
	defer c.Close()
	var codes []int
	for range 3 {
		resp, err := http.Post(c.URL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 503 || codes[2] != 200 || c.Requests() != 3 || c.Hostile() != 1 {
		t.Fatalf("codes %v, %d requests, %d hostile; want [200 503 200], 3, 1", codes, c.Requests(), c.Hostile())
	}
}
