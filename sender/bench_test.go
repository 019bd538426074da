package sender_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tartansim/tartansim/sender"
)

var benchSizes = []struct {
	name string
	size int
}{{"1KiB", 1 << 10}, {"16KiB", 16 << 10}}

var sink string

func BenchmarkSign(b *testing.B) {
	key := []byte("app-key-123")
	benchSigning(b, func(body []byte) string { return sender.Sign(key, body) })
}

// benchSigning runs sign over each of benchSizes.
func benchSigning(b *testing.B, sign func([]byte) string) {
	for _, bs := range benchSizes {
		body := bytes.Repeat([]byte("x"), bs.size)
		b.Run(bs.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				sink = sign(body)
			}
		})
	}
}

// BenchmarkRawHMAC is the floor for BenchmarkSign: crypto/hmac and hex
// with nothing around them.
func BenchmarkRawHMAC(b *testing.B) {
	key := []byte("app-key-123")
	benchSigning(b, func(body []byte) string {
		h := hmac.New(sha256.New, key)
		h.Write(body)
		return hex.EncodeToString(h.Sum(nil))
	})
}

// BenchmarkSend posts 1 KiB deliveries to a loopback consumer that answers
// 204, from GOMAXPROCS goroutines over kept-alive connections.
func BenchmarkSend(b *testing.B) {
	benchPost(b, func(s *sender.Sender) (post func(sender.Delivery) sender.Result, done func()) {
		return func(d sender.Delivery) sender.Result { return s.Send(context.Background(), d) }, func() {}
	})
}

// BenchmarkLaneSend is BenchmarkSend through Lanes, one per goroutine: the
// load engine's path. Compare ns/op and allocs/op with BenchmarkSend.
func BenchmarkLaneSend(b *testing.B) {
	benchPost(b, func(s *sender.Sender) (post func(sender.Delivery) sender.Result, done func()) {
		l := s.Lane()
		return func(d sender.Delivery) sender.Result { return l.Send(context.Background(), d) }, l.Close
	})
}

// benchPost runs a 1 KiB delivery through post, made once per goroutine,
// against a loopback consumer that answers 204.
func benchPost(b *testing.B, poster func(*sender.Sender) (post func(sender.Delivery) sender.Result, done func())) {
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer consumer.Close()
	s, err := sender.New(consumer.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	d := sender.Prepare([]byte("app-key-123"), bytes.Repeat([]byte("x"), 1<<10), sender.SignatureValid, sender.HeaderLower)

	b.ReportAllocs()
	b.SetBytes(int64(len(d.Body)))
	b.RunParallel(func(pb *testing.PB) {
		post, done := poster(s)
		defer done()
		for pb.Next() {
			if r := post(d); !r.OK() {
				b.Error(r.Summary())
				return
			}
		}
	})
}

// BenchmarkSigner is BenchmarkSign with one Signer kept between bodies, as
// each load worker keeps one.
func BenchmarkSigner(b *testing.B) {
	benchSigning(b, sender.NewSigner([]byte("app-key-123")).Sign)
}
