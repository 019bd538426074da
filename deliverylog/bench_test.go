package deliverylog_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/load"
)

// BenchmarkWriter measures one log line as load --record writes it: a
// signed 10-record batch with its headers, encoded and handed to a file,
// from 8 goroutines at once. One op is one line.
func BenchmarkWriter(b *testing.B) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	body := string(load.NewStream(load.StreamOptions{Seed: 1, Orgs: 4, Employees: 200}).Body(1, at))
	e := deliverylog.Attempt{Time: at, Source: deliverylog.FromLoad, Delivery: 1, Kind: deliverylog.Load, Event: "sync.events.employee.add",
		Headers: map[string][]string{"content-type": {"application/json"}, "tartan-signature": {"97a722de97cb806f2f01428b64484efc2d66c460707763614956fc4643a6d11f"}},
		Body:    body, Status: 200, Class: "none", Latency: 1.25}
	f, err := os.Create(filepath.Join(b.TempDir(), "rec.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := deliverylog.NewWriter(f)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Write(e)
		}
	})
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}
