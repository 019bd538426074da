package sender_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/tartansim/tartansim/sender"
)

func TestCurl(t *testing.T) {
	cases := []struct {
		name   string
		target string
		d      sender.Delivery
		want   string
	}{
		{"plain body, lower-case header kept", "http://127.0.0.1:8080/webhook",
			sender.Delivery{Body: []byte(`{"name":"D'Souza"}`), Header: http.Header{"content-type": {"application/json"}, "tartan-signature": {"ab"}}},
			`printf '%s' '{"name":"D'\''Souza"}' | curl -sS -X POST 'http://127.0.0.1:8080/webhook' -H 'content-type: application/json' -H 'tartan-signature: ab' --data-binary @-`},
		{"an empty signature is sent empty, not removed", "",
			sender.Delivery{Body: []byte(`{}`), Header: http.Header{"tartan-signature": {""}}},
			`printf '%s' '{}' | curl -sS -X POST "$TARTAN_TARGET_URL" -H 'tartan-signature;' --data-binary @-`},
		{"bytes a shell cannot hold go as octal", "http://h/x?token=secret",
			sender.Delivery{Body: []byte("a\x00%\\"), Header: http.Header{}},
			`printf 'a\000%%\\' | curl -sS -X POST 'http://h/x?token=xxxxx' --data-binary @-`},
	}
	for _, c := range cases {
		if got := sender.Curl(c.target, c.d); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func ExampleCurl() {
	d := sender.Prepare([]byte("key"), []byte(`{"a":1}`), sender.SignatureValid, sender.HeaderLower)
	fmt.Println(sender.Curl("http://127.0.0.1:8080/webhook", d))
	// Output:
	// printf '%s' '{"a":1}' | curl -sS -X POST 'http://127.0.0.1:8080/webhook' -H 'content-type: application/json' -H 'tartan-signature: 88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e342' --data-binary @-
}
