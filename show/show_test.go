package show_test

import (
	"fmt"
	"net/http"
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
