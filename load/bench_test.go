package load_test

import (
	"testing"
	"time"

	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// BenchmarkDelivery measures what the load engine does per send before the
// HTTP exchange: build a 10-record batch from pre-encoded records and sign
// it. One op is one delivery.
func BenchmarkDelivery(b *testing.B) {
	key := []byte("bench-key")
	for _, l := range wire.Layouts() {
		b.Run(l.String(), func(b *testing.B) {
			s := load.NewStream(load.StreamOptions{Seed: 1, Orgs: 4, Employees: 200, Layout: l})
			at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
			b.ReportAllocs()
			var n int
			i := int64(1) // an employee batch of the first org
			for b.Loop() {
				body := s.Body(i, at)
				sender.Prepare(key, body, sender.SignatureValid, sender.HeaderLower)
				n = len(body)
			}
			b.SetBytes(int64(n))
		})
	}
}
