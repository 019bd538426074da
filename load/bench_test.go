package load_test

import (
	"testing"
	"time"

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
