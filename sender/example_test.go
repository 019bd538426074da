package sender_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/tartansim/tartansim/sender"
)

func ExampleSign() {
	key := []byte("app-key-123")
	body := []byte(`{"event":"sync.events.initiated","recordCount":null}`)
	fmt.Println(sender.Sign(key, body))
	// Output:
	// 6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65a1
}

func ExampleVerify() {
	key := []byte("app-key-123")
	body := []byte(`{"event":"sync.events.initiated","recordCount":null}`)
	for _, sig := range []string{
		"6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65a1", // as signed
		"6D947ECB66761D4377926D8A50811F1FFEE4140DB78BE637BF6A9EC8363E65A1", // upper case
		"6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65a0", // near miss
		"6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65",   // truncated
		"",
	} {
		fmt.Println(sender.Verify(key, body, sig))
	}
	// Output:
	// <nil>
	// <nil>
	// sender: signature does not match body
	// sender: malformed signature: 62 characters, want 64
	// sender: missing signature
}

func ExamplePrepare() {
	key := []byte("app-key-123")
	body := []byte(`{"event":"sync.events.initiated","recordCount":null}`)
	d := sender.Prepare(key, body, sender.SignatureNearMiss, sender.HeaderLower)
	for _, name := range slices.Sorted(maps.Keys(d.Header)) {
		fmt.Printf("%s: %s\n", name, d.Header[name][0])
	}
	//lint:ignore SA1008 Prepare spells the header as Tartan does, lower case, on purpose
	fmt.Println(sender.Verify(key, d.Body, d.Header[sender.HeaderSignature][0]))
	// Output:
	// content-type: application/json
	// tartan-signature: 6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65a0
	// sender: signature does not match body
}

func ExampleSender() {
	key := []byte("app-key-123")

	// A consumer that verifies the raw body, as a correct one does.
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, _ := sender.SignatureHeader(r.Header)
		if sender.Verify(key, body, sig) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
		}
	}))
	defer consumer.Close()

	s, err := sender.New(consumer.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	body := []byte(`{"event":"sync.events.initiated","recordCount":null}`)
	for _, sig := range []sender.Signature{sender.SignatureValid, sender.SignatureNearMiss} {
		r := s.Send(context.Background(), sender.Prepare(key, body, sig, sender.HeaderLower))
		fmt.Println(sig, r.Status, r.Class, r.Failed())
	}
	// Output:
	// valid 200 none false
	// near-miss 401 status true
}

func ExampleSigner() {
	signer := sender.NewSigner([]byte("app-key-123"))
	for _, body := range []string{
		`{"event":"sync.events.initiated","recordCount":null}`,
		`{"event":"sync.events.initiated","recordCount":null}`, // the same body: the same signature
	} {
		fmt.Println(signer.Sign([]byte(body)))
	}
	// Output:
	// 6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65a1
	// 6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65a1
}

func ExampleLane() {
	key := []byte("app-key-123")
	var conns int
	consumer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, _ := sender.SignatureHeader(r.Header)
		if sender.Verify(key, body, sig) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
		}
	}))
	consumer.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns++ // one Lane, so one connection at a time
		}
	}
	consumer.Start()
	defer consumer.Close()

	s, err := sender.New(consumer.URL, sender.MaxConns(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	l := s.Lane() // one connection, for this goroutine only
	defer l.Close()

	signer := sender.NewSigner(key)
	for i := range 3 {
		body := fmt.Appendf(nil, `{"event":"sync.events.employee.update","webhookCounter":%d}`, i+2)
		r := l.Send(context.Background(), sender.Delivery{Body: body, Header: http.Header{
			sender.HeaderContentType: {sender.ContentType},
			sender.HeaderSignature:   {signer.Sign(body)},
		}})
		fmt.Println(r.Status, r.Class)
	}
	fmt.Println("connections:", conns)
	// Output:
	// 200 none
	// 200 none
	// 200 none
	// connections: 1
}

func ExampleKeepAnswerHeaders() {
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "try later", http.StatusServiceUnavailable)
	}))
	defer consumer.Close()

	for _, opts := range [][]sender.Option{nil, {sender.KeepAnswerHeaders()}} {
		s, err := sender.New(consumer.URL, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		r := s.Send(context.Background(), sender.Delivery{Body: []byte(`{"event":"sync.events.initiated"}`)})
		fmt.Printf("%d kept=%v Retry-After=%q\n", r.Status, r.Header != nil, r.Header.Get("Retry-After"))
		s.Close()
	}
	// Output:
	// 503 kept=false Retry-After=""
	// 503 kept=true Retry-After="120"
}
