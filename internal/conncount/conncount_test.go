package conncount_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tartansim/tartansim/internal/conncount"
)

func TestCounts(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	c := conncount.Track(srv.Config)
	srv.Start()
	defer srv.Close()

	// Two clients with their own transports: two connections, both open.
	var clients []*http.Client
	for range 2 {
		cl := &http.Client{Transport: &http.Transport{}}
		clients = append(clients, cl)
		resp, err := cl.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if c.Accepted() != 2 || c.Peak() != 2 {
		t.Fatalf("accepted %d, peak %d; want 2 and 2", c.Accepted(), c.Peak())
	}
	for _, cl := range clients {
		cl.CloseIdleConnections()
	}
	srv.Close() // waits for the server to see the connections close
	if c.Open() != 0 || c.Peak() != 2 {
		t.Fatalf("open %d, peak %d after closing; want 0 and 2", c.Open(), c.Peak())
	}
}
