// Package hostile serves webhook consumers that misbehave on purpose, on
// loopback, so that tests can show tartansim's sender and runner stay
// bounded and account for every delivery whatever a consumer does.
//
// A Consumer misbehaves in one way, chosen by its Behaviour, for the
// requests Only selects (by default every one) and hands the others to a
// healthy handler, so that a scenario can meet one bad answer and then
// recover at the EOD batch:
//
//	ref := consumer.New(key)
//	c := hostile.Start(hostile.Silent, hostile.Healthy(ref), hostile.Only(3))
//	defer c.Close()
//	s, _ := sender.New(c.URL, sender.Timeout(300*time.Millisecond))
//
// Every behaviour ends when its Consumer is closed, and no behaviour holds
// more than a few KiB in memory: the 1 GiB body is streamed from one buffer.
// A Consumer is for tests only; it never prints.
package hostile

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HugeSize is the length HugeBody declares and streams: 1 GiB.
const HugeSize = 1 << 30

// TrickleEvery is the pause between two bytes of a trickled answer: an
// answer of 40 bytes takes a second.
const TrickleEvery = 25 * time.Millisecond

// level says where a Behaviour acts.
type level int

const (
	levelHTTP  level = iota // on each selected request, HTTP/1.1
	levelConn               // on each accepted TCP connection, before HTTP
	levelH2C                // the server speaks only cleartext HTTP/2
	levelH2TLS              // the server offers only h2 in its TLS ALPN
)

// Behaviour is one way of misbehaving. The package's variables and
// functions make them; the zero Behaviour answers like the healthy handler.
type Behaviour struct {
	// Name says what the consumer does, for test names and reports.
	Name  string
	level level
	// applies: the healthy handler sees the request before the behaviour
	// answers it (the consumer processed it, then answered badly).
	applies bool
	http    func(c *Consumer, w http.ResponseWriter, r *http.Request)
	conn    func(c *Consumer, conn net.Conn)
}

// Applies reports whether the behaviour hands the request to the healthy
// handler before answering badly, so that the consumer may have applied a
// delivery it did not acknowledge.
func (b Behaviour) Applies() bool { return b.applies }

// PerRequest reports whether Only can select the requests the behaviour
// acts on. Behaviours below HTTP (BlackHole, H2C, H2TLS) act on every
// connection.
func (b Behaviour) PerRequest() bool { return b.level == levelHTTP }

func (b Behaviour) String() string { return b.Name }

// The behaviours.
var (
	// Reset reads the request, then resets the connection (TCP RST).
	Reset = Behaviour{Name: "resets the connection after reading the request", http: reset}
	// BlackHole accepts connections and never reads from them nor answers.
	BlackHole = Behaviour{Name: "accepts the connection and never reads or answers", level: levelConn, conn: blackHole}
	// Silent reads the request and never answers.
	Silent = Behaviour{Name: "reads the request and never answers", http: silent}
	// StallBody applies the request, answers 200 with a Content-Length of
	// 64, writes 8 bytes of body and stalls.
	StallBody = Behaviour{Name: "answers 200 headers, then stalls the body", applies: true, http: stallBody}
	// TrickleHeaders writes a 200 answer one byte every TrickleEvery.
	TrickleHeaders = Behaviour{Name: "trickles the status line and headers a byte at a time", http: trickleHeaders}
	// TrickleBody applies the request, answers 200 headers at once, then
	// a 4 KiB body one byte every TrickleEvery.
	TrickleBody = Behaviour{Name: "answers 200 headers, then trickles the body a byte at a time", applies: true, http: trickleBody}
	// CloseMidHeaders reads the request, writes the status line and half a
	// header value, and closes the connection.
	CloseMidHeaders = CloseAfter("HTTP/1.1 200 OK\r\nContent-Type: appl")
	// CloseMidBody applies the request, answers 200 with a Content-Length
	// of 100, writes 6 bytes of body and closes the connection.
	CloseMidBody = Behaviour{Name: "answers 200, then closes in the middle of the body", applies: true,
		http: closeAfter("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\":")}
	// H2Frames reads an HTTP/1.1 request and answers with HTTP/2 frames
	// (SETTINGS, then GOAWAY), as a server that speaks nothing else.
	H2Frames = Behaviour{Name: "answers an HTTP/1.1 request with HTTP/2 frames", http: h2Frames}
	// H2C serves only HTTP/2 over cleartext (prior knowledge), as a gRPC
	// style proxy may.
	H2C = Behaviour{Name: "speaks only HTTP/2 in cleartext (h2c)", level: levelH2C}
	// H2TLS serves TLS that requires h2 in ALPN: a client that does not
	// offer h2 gets a TLS alert instead of a handshake. (Go's own TLS
	// server lets an http/1.1 client in without ALPN; a strict server does
	// not.)
	H2TLS = Behaviour{Name: "requires h2 in TLS ALPN", level: levelH2TLS}
)

// CloseAfter reads the request, writes prefix, the start of an answer, and
// closes the connection.
func CloseAfter(prefix string) Behaviour {
	return Behaviour{Name: "writes " + strconv.Quote(prefix) + " and closes", http: closeAfter(prefix)}
}

// StallAfter reads the request, writes prefix, the start of an answer, and
// then nothing more until the client goes away: an answer cut off by the
// client's timeout in the middle of its status line or headers.
func StallAfter(prefix string) Behaviour {
	return Behaviour{Name: "writes " + strconv.Quote(prefix) + " and stalls", http: stallAfter(prefix)}
}

// HugeBody answers status with a body of HugeSize bytes (Content-Length
// set), streamed from one small buffer until the client goes away. A 2xx
// answer applies the request first.
func HugeBody(status int) Behaviour {
	return Behaviour{
		Name: "answers " + strconv.Itoa(status) + " with a 1 GiB body", applies: ok(status),
		http: func(c *Consumer, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(HugeSize))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			c.stream(w, HugeSize)
		},
	}
}

// EndlessBody answers status with a chunked body that never ends. A 2xx
// answer applies the request first.
func EndlessBody(status int) Behaviour {
	return Behaviour{
		Name: "answers " + strconv.Itoa(status) + " with an endless chunked body", applies: ok(status),
		http: func(c *Consumer, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			c.stream(w, -1)
		},
	}
}

// Redirect answers code with a Location header of location; the body says
// where to go, as web servers do.
func Redirect(code int, location string) Behaviour {
	return Behaviour{
		Name: "redirects with " + strconv.Itoa(code) + " to " + location,
		http: func(_ *Consumer, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, location, code)
		},
	}
}

// RetryAfter answers code (429 or 503) with a Retry-After header of after.
func RetryAfter(code int, after string) Behaviour {
	return Behaviour{
		Name: "answers " + strconv.Itoa(code) + " with Retry-After: " + after,
		http: func(_ *Consumer, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", after)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_, _ = io.WriteString(w, `{"error":"slow down"}`)
		},
	}
}

// NonJSONPage is the body NonJSON answers: a proxy's HTML page.
const NonJSONPage = "<html>\r\n<head><title>Bad Gateway</title></head>\r\n<body><center><h1>Bad Gateway</h1></center><hr><center>nginx</center></body>\r\n</html>\r\n"

// NonJSON answers status with an HTML page where JSON was expected. A 2xx
// answer applies the request first.
func NonJSON(status int) Behaviour {
	return Behaviour{
		Name: "answers " + strconv.Itoa(status) + " with an HTML page, not JSON", applies: ok(status),
		http: func(_ *Consumer, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, NonJSONPage)
		},
	}
}

func ok(status int) bool { return status >= 200 && status < 300 }

// Consumer is a loopback server that misbehaves. Make it with Start and
// Close it when done.
type Consumer struct {
	// URL is the webhook's URL: http://127.0.0.1:PORT/webhook, or https
	// for H2TLS.
	URL string

	b        Behaviour
	healthy  http.Handler
	only     map[int]bool // nil: every request
	srv      *httptest.Server
	ln       net.Listener // levelConn only
	quit     chan struct{}
	closed   sync.Once
	wg       sync.WaitGroup
	requests atomic.Int64
	hostile  atomic.Int64
	conns    atomic.Int64
	written  atomic.Int64
}

// Option configures a Consumer.
type Option func(*Consumer)

// Healthy sets the handler for the requests the behaviour leaves alone, and
// for those it applies before answering badly. The default reads the body
// and answers 200 {"ok":true}.
func Healthy(h http.Handler) Option { return func(c *Consumer) { c.healthy = h } }

// Only selects the requests to misbehave on, by their 1-based order of
// arrival; the others go to the healthy handler. It has no effect on a
// behaviour that is not PerRequest.
func Only(n ...int) Option {
	return func(c *Consumer) {
		c.only = map[int]bool{}
		for _, i := range n {
			c.only[i] = true
		}
	}
}

// Start serves b on a loopback port.
func Start(b Behaviour, opts ...Option) *Consumer {
	c := &Consumer{b: b, quit: make(chan struct{}), healthy: http.HandlerFunc(acknowledge)}
	for _, o := range opts {
		o(c)
	}
	if b.level == levelConn {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic("hostile: " + err.Error())
		}
		c.ln = ln
		c.URL = "http://" + ln.Addr().String() + "/webhook"
		c.wg.Go(c.accept)
		return c
	}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	c.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			c.conns.Add(1)
			if b.level == levelH2C {
				c.hostile.Add(1)
			}
		}
	}
	switch b.level {
	case levelH2C:
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(true)
		c.srv.Config.Protocols = p
		c.srv.Start()
	case levelH2TLS:
		c.srv.EnableHTTP2 = true
		c.srv.TLS = &tls.Config{
			NextProtos: []string{"h2"},
			GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				if !slices.Contains(hello.SupportedProtos, "h2") {
					c.hostile.Add(1)
					return nil, errors.New("hostile: the client does not offer h2")
				}
				return nil, nil
			},
		}
		c.srv.StartTLS()
	default:
		c.srv.Start()
	}
	c.URL = c.srv.URL + "/webhook"
	return c
}

// Close stops the consumer and every behaviour still running, and waits
// for them. It is safe to call more than once.
func (c *Consumer) Close() {
	c.closed.Do(func() {
		close(c.quit)
		if c.ln != nil {
			_ = c.ln.Close()
		}
		if c.srv != nil {
			c.srv.CloseClientConnections()
			c.srv.Close()
		}
		c.wg.Wait()
	})
}

// Requests returns how many requests the consumer has read, hostile or
// not. A BlackHole reads none.
func (c *Consumer) Requests() int { return int(c.requests.Load()) }

// Hostile returns how many times the consumer misbehaved: requests for an
// HTTP behaviour, connections for BlackHole and H2C, refused handshakes for
// H2TLS.
func (c *Consumer) Hostile() int { return int(c.hostile.Load()) }

// Conns returns how many connections the consumer accepted.
func (c *Consumer) Conns() int { return int(c.conns.Load()) }

// Written returns how many body bytes HugeBody and EndlessBody wrote
// before the client went away.
func (c *Consumer) Written() int64 { return c.written.Load() }

// RootCAs returns a pool that trusts the H2TLS consumer's certificate (nil
// for the others).
func (c *Consumer) RootCAs() *x509.CertPool {
	if c.srv == nil || c.srv.TLS == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.srv.Certificate())
	return pool
}

func acknowledge(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// serve is the HTTP handler: healthy, or the behaviour.
func (c *Consumer) serve(w http.ResponseWriter, r *http.Request) {
	n := int(c.requests.Add(1))
	c.wg.Add(1)
	defer c.wg.Done()
	if c.b.http == nil || (c.only != nil && !c.only[n]) {
		c.healthy.ServeHTTP(w, r)
		return
	}
	c.hostile.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if c.b.applies {
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		c.healthy.ServeHTTP(httptest.NewRecorder(), r2)
	}
	c.b.http(c, w, r)
}

// accept serves a connection-level behaviour.
func (c *Consumer) accept() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.conns.Add(1)
		c.hostile.Add(1)
		c.wg.Go(func() {
			defer conn.Close()
			c.b.conn(c, conn)
		})
	}
}

// hold waits until the consumer closes, or at most a minute, so that no
// behaviour outlives its test.
func (c *Consumer) hold() {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case <-c.quit:
	case <-t.C:
	}
}

// pause waits d and reports whether the consumer is still open.
func (c *Consumer) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.quit:
		return false
	case <-t.C:
		return true
	}
}

// stream writes n zero bytes (n < 0: without end) to w from one buffer,
// until a write fails or the consumer closes.
func (c *Consumer) stream(w io.Writer, n int64) {
	buf := make([]byte, 32<<10)
	for n != 0 {
		select {
		case <-c.quit:
			return
		default:
		}
		chunk := buf
		if n > 0 && n < int64(len(chunk)) {
			chunk = chunk[:n]
		}
		m, err := w.Write(chunk)
		c.written.Add(int64(m))
		if err != nil {
			return
		}
		if n > 0 {
			n -= int64(m)
		}
	}
}

// hijack takes the connection over from the HTTP server.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, bool) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	return conn, rw, err == nil
}

func reset(_ *Consumer, w http.ResponseWriter, _ *http.Request) {
	conn, _, ok := hijack(w)
	if !ok {
		return
	}
	if tc, isTCP := conn.(*net.TCPConn); isTCP {
		_ = tc.SetLinger(0) // close sends RST, not FIN
	}
	_ = conn.Close()
}

func blackHole(c *Consumer, _ net.Conn) { c.hold() }

func silent(c *Consumer, w http.ResponseWriter, _ *http.Request) {
	conn, _, ok := hijack(w)
	if !ok {
		return
	}
	defer conn.Close()
	c.hold()
}

func stallBody(c *Consumer, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "64")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"ok":tr`)
	_ = http.NewResponseController(w).Flush()
	c.hold()
}

// trickle writes s to conn one byte at a time.
func (c *Consumer) trickle(conn net.Conn, s string) {
	for i := range len(s) {
		if _, err := conn.Write([]byte{s[i]}); err != nil || !c.pause(TrickleEvery) {
			return
		}
	}
}

func trickleHeaders(c *Consumer, w http.ResponseWriter, _ *http.Request) {
	conn, _, ok := hijack(w)
	if !ok {
		return
	}
	defer conn.Close()
	c.trickle(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
}

func trickleBody(c *Consumer, w http.ResponseWriter, _ *http.Request) {
	conn, _, ok := hijack(w)
	if !ok {
		return
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"); err != nil {
		return
	}
	c.trickle(conn, strings.Repeat(" ", 4096))
}

func closeAfter(prefix string) func(*Consumer, http.ResponseWriter, *http.Request) {
	return func(_ *Consumer, w http.ResponseWriter, _ *http.Request) {
		conn, _, ok := hijack(w)
		if !ok {
			return
		}
		_, _ = io.WriteString(conn, prefix)
		_ = conn.Close()
	}
}

func stallAfter(prefix string) func(*Consumer, http.ResponseWriter, *http.Request) {
	return func(c *Consumer, w http.ResponseWriter, _ *http.Request) {
		conn, _, ok := hijack(w)
		if !ok {
			return
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, prefix); err == nil {
			c.hold()
		}
	}
}

// h2Preamble is what an HTTP/2 server says to a client that is not one: an
// empty SETTINGS frame, then GOAWAY with PROTOCOL_ERROR.
var h2Preamble = []byte{
	0, 0, 0, 0x4, 0, 0, 0, 0, 0, // SETTINGS, no parameters
	0, 0, 8, 0x7, 0, 0, 0, 0, 0, // GOAWAY, 8 bytes:
	0, 0, 0, 0, // last stream 0
	0, 0, 0, 1, // PROTOCOL_ERROR
}

func h2Frames(_ *Consumer, w http.ResponseWriter, _ *http.Request) {
	conn, _, ok := hijack(w)
	if !ok {
		return
	}
	_, _ = conn.Write(h2Preamble)
	_ = conn.Close()
}
