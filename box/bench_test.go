package box_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/clock"
)

// discard is a consumer that answers 200 and keeps nothing, on loopback.
func discard(b *testing.B) string {
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	b.Cleanup(hooks.Close)
	return hooks.URL
}

// accepted is a box with one accepted corporate of n employees whose
// initial sync has been answered; the caller closes the box.
func accepted(b *testing.B, target string, n int) (*box.Box, string) {
	b.Helper()
	bx, err := box.New(target, []byte(appKey), apiKey, box.WithClock(clock.NewFake(monday)), box.AcceptAfter(0), box.Employees(n))
	if err != nil {
		b.Fatal(err)
	}
	org, _, err := bx.Invite(box.Invitation{Email: "hr@bench.in", OrgName: "Bench Ltd", FullName: "B"})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := bx.Idle(ctx); err != nil {
		b.Fatal(err)
	}
	return bx, org
}

// A page of 100 records of an org of 10,000, filtered, over loopback.
func BenchmarkEmployeeListPage(b *testing.B) {
	bx, org := accepted(b, discard(b), 10_000)
	b.Cleanup(bx.Close)
	api := httptest.NewServer(bx.Handler())
	b.Cleanup(api.Close)
	req, _ := http.NewRequest(http.MethodGet, api.URL+"/api/v2/employee_list?org="+org+"&page=7&page_size=100&filter=status:active", nil)
	req.Header.Set("Authorization", apiKey)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := api.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
}

// An initial sync of 105 employees, from accept to the last of its 12
// webhooks answered, over loopback.
func BenchmarkInitialSync105(b *testing.B) { benchInvite(b, 105) }

// An invite of a corporate of 2,000 employees, accepted at once, to the
// last of its 202 webhooks answered, over loopback.
func BenchmarkInviteSync2000(b *testing.B) { benchInvite(b, 2000) }

// benchInvite times invites of a corporate of n, each to its initial
// sync's last answer.
func benchInvite(b *testing.B, n int) {
	target := discard(b)
	b.ReportAllocs()
	for b.Loop() {
		bx, _ := accepted(b, target, n)
		bx.Close()
	}
}

// A restart of a box whose journal holds a corporate of 10,000 employees,
// its initial sync of 1,001 webhooks and their answers: made again from
// the journal, sending nothing.
func BenchmarkRestore10000(b *testing.B) {
	j := &memJournal{}
	target := discard(b)
	bx, err := box.New(target, []byte(appKey), apiKey, box.WithClock(clock.NewFake(monday)), box.AcceptAfter(0), box.Employees(10_000), box.Persist(j))
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := bx.Invite(box.Invitation{Email: "hr@bench.in", OrgName: "Bench Ltd", FullName: "B"}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := bx.Idle(ctx); err != nil {
		b.Fatal(err)
	}
	bx.Close()
	entries, _ := j.Load()
	b.ReportMetric(float64(len(entries)), "entries")
	b.ReportAllocs()
	for b.Loop() {
		again := &memJournal{entries: entries}
		bx, err := box.New(target, []byte(appKey), apiKey, box.WithClock(clock.NewFake(monday)), box.AcceptAfter(0), box.Persist(again))
		if err != nil {
			b.Fatal(err)
		}
		if r := bx.Restored(); r.Discarded != "" || r.Deliveries == 0 {
			b.Fatalf("not restored: %+v", r)
		}
		bx.Close()
	}
}
