package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tartansim/tartansim/internal/conncount"
)

func TestSinkCountsAndStalls(t *testing.T) {
	s := &sink{stall: 300 * time.Millisecond, stallAt: 100 * time.Millisecond}
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ConnState = s.logConn
	s.conns = conncount.Track(srv.Config)
	srv.Start()
	defer srv.Close()

	post := func() time.Duration {
		start := time.Now()
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	if d := post(); d > 100*time.Millisecond { // opens the stall's clock
		t.Fatalf("first request took %s", d)
	}
	time.Sleep(150 * time.Millisecond) // 50 ms into the window
	if d := post(); d < 200*time.Millisecond || d > 300*time.Millisecond {
		t.Errorf("a request 50 ms into a 300 ms stall took %s, want about 250 ms", d)
	}
	if d := post(); d > 100*time.Millisecond {
		t.Errorf("a request after the stall took %s", d)
	}

	line := s.stats(true)
	for _, want := range []string{"requests=3 ", "bytes=21 ", "accepted_conns=1 ", "peak_conns=1 "} {
		if !strings.Contains(line, want) {
			t.Errorf("stats %q lack %q", line, want)
		}
	}
	if line := s.stats(false); !strings.Contains(line, "requests=0 ") {
		t.Errorf("after a reset: %q", line)
	}
}
