package sender

import (
	"bytes"
)

// head is what a Lane needs of an answer's status line and headers.
type head struct {
	status   int
	length   int64 // Content-Length
	close    bool  // Connection: close
	location string
	size     int // bytes of the status line and headers, blank line included
}

// maxFastHead is the longest head parseHead looks at; a longer one goes
// to http.ReadResponse.
const maxFastHead = 4 << 10

// parseHead reads the head at the start of b when it is the plain kind
// nearly every consumer sends: an HTTP/1.1 status line with a 2xx to 5xx
// code (204 and 304 aside), CRLF-terminated header lines with token names,
// one Content-Length of digits, no Transfer-Encoding, and a Connection
// header, if any, of just "close" or "keep-alive". It reports false for
// anything else, incomplete heads included, and the Lane then lets
// http.ReadResponse read the answer, so the fast path only ever agrees
// with net/http (FuzzParseHead holds it to that).
func parseHead(b []byte) (head, bool) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return head{}, false
	}
	h := head{size: end + 4, length: -1}
	lines := b[:end+2] // each line with its CRLF
	line, rest, ok := cutLine(lines)
	// "HTTP/1.1 200" with an optional " reason"
	if !ok || len(line) < 12 || string(line[:9]) != "HTTP/1.1 " || (len(line) > 12 && line[12] != ' ') {
		return head{}, false
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return head{}, false
		}
	}
	h.status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	if h.status < 200 || h.status > 599 || h.status == 204 || h.status == 304 || !printable(line[12:]) {
		return head{}, false
	}
	for len(rest) > 0 {
		line, rest, ok = cutLine(rest)
		if !ok {
			return head{}, false
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return head{}, false
		}
		name, value := line[:colon], trimSpace(line[colon+1:])
		if !printable(value) {
			return head{}, false
		}
		switch {
		case equalFold(name, "content-length"):
			if h.length >= 0 || len(value) == 0 || len(value) > 15 {
				return head{}, false
			}
			var n int64
			for _, c := range value {
				if c < '0' || c > '9' {
					return head{}, false
				}
				n = n*10 + int64(c-'0')
			}
			h.length = n
		case equalFold(name, "transfer-encoding"), equalFold(name, "trailer"):
			return head{}, false
		case equalFold(name, "connection"):
			switch {
			case equalFold(value, "close"):
				h.close = true
			case equalFold(value, "keep-alive"):
			default:
				return head{}, false
			}
		case equalFold(name, "location"):
			if h.location != "" {
				return head{}, false
			}
			h.location = string(value)
		}
	}
	return h, h.length >= 0
}

// cutLine splits off the first CRLF-terminated line of b, refusing a bare
// CR or LF inside it and a line that starts with white space (an obsolete
// folded header).
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	line = b[:i-1]
	if bytes.IndexByte(line, '\r') >= 0 || (len(line) > 0 && (line[0] == ' ' || line[0] == '\t')) {
		return nil, nil, false
	}
	return line, b[i+1:], true
}

// isToken reports whether b is an RFC 9110 token: a header name.
func isToken[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if c := b[i]; c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return len(b) > 0
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// printable reports whether b is free of control characters other than
// horizontal tab, and of bytes above ASCII.
func printable(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold compares b with lower, an ASCII lower-case name, ignoring case.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
