package load_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// BenchmarkDelivery measures what the load engine does per send before the
// HTTP exchange: build a 10-record batch from pre-encoded records into the
// worker's buffer and sign it with the worker's Signer. One op is one
// delivery.
func BenchmarkDelivery(b *testing.B) {
	key := []byte("bench-key")
	for _, l := range wire.Layouts() {
		b.Run(l.String(), func(b *testing.B) {
			s := load.NewStream(load.StreamOptions{Seed: 1, Orgs: 4, Employees: 200, Layout: l})
			at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
			signer := sender.NewSigner(key)
			b.ReportAllocs()
			var buf []byte
			i := int64(1) // an employee batch of the first org
			for b.Loop() {
				buf = s.AppendBody(buf[:0], i, at)
				signer.Sign(buf)
			}
			n := len(buf)
			b.SetBytes(int64(n))
		})
	}
}

// BenchmarkRecord measures what --record costs a load run: the run at
// --rate max against a loopback sink that discards, with no log, and with
// the delivery log written to a file (as --record does). One op is one
// delivery; compare the two sub-benchmarks' ns/op.
func BenchmarkRecord(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	const conc = 8
	s, err := sender.New(srv.URL, sender.MaxConns(conc), sender.Timeout(5*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	st := load.NewStream(load.StreamOptions{Seed: 1, Orgs: 4, Employees: 200})
	for _, record := range []bool{false, true} {
		name := "no-log"
		if record {
			name = "log"
		}
		b.Run(name, func(b *testing.B) {
			o := load.Options{Profile: load.Max{}, Events: int64(b.N), Concurrency: conc, Key: []byte("bench-key")}
			var f *os.File
			if record {
				var err error
				if f, err = os.Create(filepath.Join(b.TempDir(), "rec.ndjson")); err != nil {
					b.Fatal(err)
				}
				o.Log = deliverylog.NewWriter(f)
			}
			b.ResetTimer()
			rep, err := load.Run(context.Background(), s, st, o)
			if err == nil && f != nil {
				err = errors.Join(o.Log.Close(), f.Close()) // as --record ends: synced
			}
			b.StopTimer()
			if err != nil || rep.OK != int64(b.N) {
				b.Fatalf("err %v, %d of %d ok", err, rep.OK, b.N)
			}
		})
	}
}
