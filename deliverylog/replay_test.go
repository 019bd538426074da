package deliverylog_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
)

func TestWriteThenRead(t *testing.T) {
	var buf bytes.Buffer
	w := deliverylog.NewWriter(&buf)
	at := time.Date(2026, 11, 27, 9, 0, 0, 123, time.UTC)
	body := "{\"name\":\"Zoë D'Souza \\u0026 <Co>\"}\n"
	w.Write(deliverylog.Attempt{Time: at, Source: "run", Delivery: 7, Kind: "eod", Headers: map[string][]string{"tartan-signature": {"ab"}}, Body: body, Status: 200})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := deliverylog.NewReader(&buf, "log.ndjson")
	e, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if e.Body != body || !e.Time.Equal(at) || e.Header().Get("tartan-signature") != "" || e.Headers["tartan-signature"][0] != "ab" {
		t.Fatalf("round trip changed the entry: %+v", e)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("second Next = %v, want io.EOF", err)
	}
}

func TestReaderNamesFileAndLine(t *testing.T) {
	for in, want := range map[string]string{
		"{\"headers\":{},\"body\":\"\"}\n\nnot json\n": "log.ndjson:3",
		"{\"body\":\"x\"}\n":                           "log.ndjson:1: no headers",
		strings.Repeat("x", deliverylog.MaxLine+1):     "log.ndjson:1",
	} {
		r := deliverylog.NewReader(strings.NewReader(in), "log.ndjson")
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if !errors.Is(err, deliverylog.ErrBadLog) || !strings.Contains(err.Error(), want) {
			t.Errorf("%.30q: err = %v, want ErrBadLog naming %s", in, err, want)
		}
	}
}

func TestDeliveryResigns(t *testing.T) {
	key := []byte("another key")
	body := `{"event":"sync.events.initiated"}`
	e := deliverylog.Attempt{Body: body, Headers: map[string][]string{
		"Tartan-Signature": {"recorded"}, "content-type": {"application/json"},
	}}

	kept := e.Request(nil)
	if string(kept.Body) != body || kept.Header["Tartan-Signature"][0] != "recorded" {
		t.Fatalf("Delivery(nil) = %q %v, want the recorded body and signature", kept.Body, kept.Header)
	}
	kept.Header["Tartan-Signature"][0] = "changed"
	if e.Headers["Tartan-Signature"][0] != "recorded" {
		t.Fatal("Delivery shares its headers with the entry")
	}

	resigned := e.Request(key)
	if got, want := resigned.Header["Tartan-Signature"], []string{sender.Sign(key, []byte(body))}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("resigned signature = %v, want %v under the spelling logged", got, want)
	}
	//lint:ignore SA1008 the log keeps header names as sent, lower case, on purpose
	if len(resigned.Header) != 2 || resigned.Header["content-type"][0] != "application/json" {
		t.Errorf("resigning touched other headers: %v", resigned.Header)
	}

	e.Forged = true
	if got := e.Request(key).Header["Tartan-Signature"][0]; got != "recorded" {
		t.Errorf("a forged entry was resigned: %q", got)
	}
}
