package show_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tartansim/tartansim/show"
)

func TestCurl(t *testing.T) {
	cases := []struct {
		name   string
		target string
		header http.Header
		body   string
		want   string
	}{
		{"plain body, lower-case header kept", "http://127.0.0.1:8080/webhook",
			http.Header{"content-type": {"application/json"}, "tartan-signature": {"ab"}}, `{"name":"D'Souza"}`,
			`printf '%s' '{"name":"D'\''Souza"}' | curl -sS -X POST 'http://127.0.0.1:8080/webhook' -H 'content-type: application/json' -H 'tartan-signature: ab' --data-binary @-`},
		{"an empty signature is sent empty, not removed", "",
			http.Header{"tartan-signature": {""}}, `{}`,
			`printf '%s' '{}' | curl -sS -X POST "$TARTAN_TARGET_URL" -H 'tartan-signature;' --data-binary @-`},
		{"bytes a shell cannot hold go as octal", "http://h/x?token=secret",
			http.Header{}, "a\x00%\\",
			`printf 'a\000%%\\' | curl -sS -X POST 'http://h/x?token=xxxxx' --data-binary @-`},
	}
	for _, c := range cases {
		if got := show.Curl(c.target, c.header, []byte(c.body)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://127.0.0.1:8080/webhook", "http://127.0.0.1:8080/webhook"},
		{"https://u:pw@hooks.example/t?token=abc&x=1", "https://u:xxxxx@hooks.example/t?token=xxxxx&x=xxxxx"},
		{"://not a url", "://not a url"},
	} {
		if got := show.URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "''"},
		{"plain", "'plain'"},
		{"D'Souza", `'D'\''Souza'`},
	} {
		if got := show.Quote(c.in); got != c.want {
			t.Errorf("Quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func ExampleCurl() {
	h := http.Header{"content-type": {"application/json"}, "tartan-signature": {"88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e342"}}
	fmt.Println(show.Curl("http://127.0.0.1:8080/webhook", h, []byte(`{"a":1}`)))
	// Output:
	// printf '%s' '{"a":1}' | curl -sS -X POST 'http://127.0.0.1:8080/webhook' -H 'content-type: application/json' -H 'tartan-signature: 88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e342' --data-binary @-
}

func ExampleURL() {
	fmt.Println(show.URL("https://u:pw@hooks.example/tartan?token=abc"))
	// Output:
	// https://u:xxxxx@hooks.example/tartan?token=xxxxx
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n          int
		word, want string
	}{
		{0, "webhook", "0 webhooks"},
		{1, "webhook", "1 webhook"},
		{12, "webhook", "12 webhooks"},
		{1, "delivery", "1 delivery"},
		{2, "failed delivery", "2 failed deliveries"},
	} {
		if got := show.Plural(c.n, c.word); got != c.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", c.n, c.word, got, c.want)
		}
	}
}

func TestPrinterKeepsTheFirstFailedWrite(t *testing.T) {
	full := errors.New("no space left on device")
	w := &failAfter{n: 1, err: full}
	p := show.NewPrinter(w)
	p.Printf("one %d\n", 1)
	p.Printf("two\n")
	p.Printf("three\n")
	if !errors.Is(p.Err(), full) {
		t.Fatalf("Err() = %v, want %v", p.Err(), full)
	}
	if w.writes != 2 {
		t.Errorf("%d writes reached the writer, want 2 (none after the one that failed)", w.writes)
	}
	if got := w.b.String(); got != "one 1\n" {
		t.Errorf("wrote %q, want %q", got, "one 1\n")
	}
}

// failAfter is a writer whose writes fail after the first n.
type failAfter struct {
	n, writes int
	err       error
	b         strings.Builder
}

func (f *failAfter) Write(p []byte) (int, error) {
	f.writes++
	if f.writes > f.n {
		return 0, f.err
	}
	return f.b.Write(p)
}
