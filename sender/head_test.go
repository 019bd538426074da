package sender

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"
)

// FuzzParseHead holds the Lane's fast path to net/http: whenever parseHead
// accepts a head, http.ReadResponse must read the same bytes as the same
// answer (status, Content-Length, Close, Location), with the body starting
// where parseHead says the head ends.
func FuzzParseHead(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nDate: Fri, 27 Nov 2026 09:00:00 GMT\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}",
		"HTTP/1.1 401 Unauthorized\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad",
		"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/x\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200\r\ncontent-length:  7 \r\nCONNECTION: Keep-Alive\r\n\r\naccepted",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"HTTP/1.1 500 Internal Server Error\r\nContent-Length: +3\r\n\r\nabc",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := parseHead(b)
		if !ok {
			return
		}
		req := &http.Request{Method: http.MethodPost}
		br := bufio.NewReader(bytes.NewReader(b))
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("parseHead accepted %q, http.ReadResponse refused it: %v", b, err)
		}
		if resp.StatusCode != h.status || resp.ContentLength != h.length || resp.Close != h.close {
			t.Fatalf("%q: parseHead status %d length %d close %v; net/http %d %d %v",
				b, h.status, h.length, h.close, resp.StatusCode, resp.ContentLength, resp.Close)
		}
		if got := resp.Header.Get("Location"); got != h.location {
			t.Fatalf("%q: parseHead Location %q; net/http %q", b, h.location, got)
		}
		// The body starts where parseHead says the head ends.
		body, _ := io.ReadAll(resp.Body)
		want := b[h.size:]
		if int64(len(want)) > h.length {
			want = want[:h.length]
		}
		if !bytes.Equal(body, want) {
			t.Fatalf("%q: body after the head %q; net/http read %q", b, want, body)
		}
	})
}

func TestParseHeadFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name, head string
	}{
		{"incomplete", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"no length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"1xx", "HTTP/1.1 100 Continue\r\n\r\n"},
		{"204", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n"},
		{"folded", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx"},
		{"connection list", "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n"},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"},
		{"non-ASCII value", "HTTP/1.1 200 OK\r\nX: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n"},
	} {
		if h, ok := parseHead([]byte(tc.head)); ok {
			t.Errorf("%s: parseHead accepted %q as %+v; want the net/http path", tc.name, tc.head, h)
		}
	}
}

func TestParseHeadPlain(t *testing.T) {
	for _, tc := range []struct {
		head, body string
		want       head // size is len(head)
	}{
		{"HTTP/1.1 200 OK\r\nDate: Fri, 27 Nov 2026 09:00:00 GMT\r\nContent-Length: 0\r\n\r\n", "",
			head{status: 200, length: 0}},
		{"HTTP/1.1 503\r\ncontent-length:  12 \r\nConnection: Close\r\n\r\n", "try later...",
			head{status: 503, length: 12, close: true}},
		{"HTTP/1.1 307 Temporary Redirect\r\nLocation: /v2/webhook\r\nContent-Length: 0\r\n\r\n", "",
			head{status: 307, length: 0, location: "/v2/webhook"}},
	} {
		tc.want.size = len(tc.head)
		got, ok := parseHead([]byte(tc.head + tc.body))
		if !ok || got != tc.want {
			t.Errorf("parseHead(%q) = %+v, %v; want %+v, true", tc.head+tc.body, got, ok, tc.want)
		}
	}
}
