package sender

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// Lane is one connection of a Sender, driven by one goroutine: the load
// engine's path. Its Send does what Sender.Send does, with the same Result,
// the same bytes on the wire (a plain request and a plain answer are
// written and read in place, anything else by net/http's Request.Write and
// http.ReadResponse) and the same caps (a Lane's connection takes one of
// MaxConns slots, each Send one in-flight token), but without the pooled
// transport's per-request machinery: no goroutine hand-offs, no
// per-request context, no header copy. That saving is what lets one machine
// generate, sign and post faster than a load tool posting one fixed body
// (see BenchmarkLaneSend and bench/run).
//
// A Lane is not safe for concurrent use; give each goroutine its own, and
// Close it when done. Close the Lanes before the Sender they came from.
type Lane struct {
	s      *Sender
	conn   net.Conn // nil until the first Send, and after a failure
	tcp    net.Conn // the bare TCP connection under conn, for the staleness check
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool        // conn has carried an exchange already
	idle   time.Time   // when conn's last exchange ended
	h      http.Header // the request's header, refilled for each Send
	body   bytes.Reader
	req    http.Request
	rest   fixedBody   // the body of a plain answer, as yet unread
	keys   []string    // the header keys of the request being written, sorted
	num    [20]byte    // room to format Content-Length
	asked  atomic.Bool // the server asked this connection's handshake for a client certificate
}

// staleAfter is how long a Lane's connection may sit idle before the next
// Send checks that the server has not closed it. A server closes an idle
// connection after seconds, not microseconds; checking only after a pause
// spares a busy Lane a system call per request.
const staleAfter = time.Millisecond

// Lane returns a new Lane of s. It connects on its first Send.
func (s *Sender) Lane() *Lane {
	l := &Lane{s: s, h: make(http.Header, 4)}
	l.req = http.Request{
		Method:     http.MethodPost,
		URL:        s.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       s.url.Host,
		Body:       io.NopCloser(&l.body),
	}
	return l
}

// Close closes the Lane's connection, giving its slot back. The Lane stays
// usable: a later Send connects again.
func (l *Lane) Close() {
	if l.conn != nil {
		_ = l.conn.Close()
		l.conn, l.tcp, l.reused = nil, nil, false
	}
}

// Send posts d on the Lane's connection, connecting first if it has none,
// and reports the outcome as Sender.Send does. A Delivery with a Fault goes
// through Sender.Send (FaultAckLost on a connection of its own).
func (l *Lane) Send(ctx context.Context, d Delivery) Result {
	s := l.s
	if d.Fault != FaultNone {
		if d.Fault == FaultAckLost {
			// It needs a connection of its own: give the Lane's slot back,
			// or a Lane at the cap would wait for itself.
			l.Close()
		}
		return s.Send(ctx, d)
	}
	if r, ok := s.acquire(ctx); !ok {
		return r
	}
	defer s.release()

	start := s.clock.Now()
	clear(l.h)
	for k, v := range d.Header {
		l.h[k] = v
	}
	s.addHeaders(l.h, d.Header)
	if err := checkHeader(l.h); err != nil {
		return s.failure(start, err, false) // refused before connecting, as the transport does
	}
	deadline := time.Now().Add(s.timeout) // the real clock, whatever Clock says
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if l.conn != nil && l.reused && time.Since(l.idle) > staleAfter && !connAlive(l.tcp) {
		l.Close()
	}
	if l.conn == nil {
		if err := l.connect(ctx, deadline); err != nil {
			return l.fail(ctx, deadline, start, err, false)
		}
	}
	conn := l.conn
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	l.body.Reset(d.Body)
	req := &l.req
	req.Header = l.h
	req.ContentLength = int64(len(d.Body))
	var err error
	if l.writeHead(d.Body) {
		_, err = l.bw.Write(d.Body)
	} else {
		err = req.Write(l.bw)
	}
	if err == nil {
		err = l.bw.Flush()
	}
	if err != nil {
		l.Close()
		return l.fail(ctx, deadline, start, err, false)
	}
	l.reused = true

	r, keep, err := l.read(req, start)
	if err != nil {
		l.Close()
		return l.fail(ctx, deadline, start, err, true)
	}
	// The server answered: its handshake is done with, and a later reset
	// on this connection is a reset, whatever the handshake asked for.
	l.asked.Store(false)
	if r.Err != nil {
		if err := deadlineErrAt(ctx, deadline, r.Err); err != nil {
			r.Err, r.Class = s.wrap(err), Classify(err)
		}
	}
	if !keep || r.Err != nil {
		l.Close()
	}
	l.idle = time.Now()
	return r
}

// read reads the answer to req and makes its Result; keep reports whether
// the connection can carry the next request. A plain head (see parseHead)
// is read in place, unless the Sender keeps the answer's headers; any
// other goes through http.ReadResponse.
func (l *Lane) read(req *http.Request, start time.Time) (r Result, keep bool, err error) {
	s := l.s
	if _, err := l.br.Peek(1); err != nil {
		return Result{}, false, err
	}
	buffered, _ := l.br.Peek(min(l.br.Buffered(), maxFastHead))
	if h, ok := parseHead(buffered); ok && !s.keepHeads { // a Result with headers takes the long way
		_, _ = l.br.Discard(h.size)
		l.rest = fixedBody{r: l.br, n: h.length}
		r = s.result(h.status, h.location, &l.rest, h.length, start)
		// Drain a little so the connection can carry the next request;
		// a longer body, or an answer that ends the connection, closes it.
		if l.rest.n > drainBytes || h.close {
			return r, false, nil
		}
		n, _ := l.br.Discard(int(l.rest.n))
		return r, int64(n) == l.rest.n, nil
	}

	resp, err := readResponse(l.br, req)
	if err != nil {
		return Result{}, false, err
	}
	r = s.answer(resp, start)
	if resp.Close {
		return r, false, nil
	}
	if resp.ContentLength != 0 {
		if n, err := io.CopyN(io.Discard, resp.Body, drainBytes); n == drainBytes || err != io.EOF {
			return r, false, nil
		}
	}
	return r, true, nil
}

// writeHead writes the request line and headers for a body of this
// length, byte for byte as Request.Write would, when they are plain: a
// non-empty body, header names that are tokens, and values without line
// breaks or white space at either end. It reports false, having written
// nothing, for anything else, and the Lane then lets Request.Write write
// the whole request.
func (l *Lane) writeHead(body []byte) bool {
	if len(l.s.headPrefix) == 0 || len(body) == 0 {
		return false
	}
	ua := ""
	if v := l.h["User-Agent"]; len(v) > 0 {
		ua = v[0]
	}
	if !plainValue(ua) {
		return false
	}
	l.keys = l.keys[:0]
	for k, vs := range l.h {
		if requestExcluded(k) {
			continue
		}
		for _, v := range vs {
			if !plainValue(v) {
				return false
			}
		}
		l.keys = append(l.keys, k)
	}
	slices.Sort(l.keys)

	bw := l.bw
	_, _ = bw.Write(l.s.headPrefix)
	if ua != "" {
		_, _ = bw.WriteString("User-Agent: ")
		_, _ = bw.WriteString(ua)
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("Content-Length: ")
	_, _ = bw.Write(strconv.AppendInt(l.num[:0], int64(len(body)), 10))
	_, _ = bw.WriteString("\r\n")
	for _, k := range l.keys {
		for _, v := range l.h[k] {
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(v)
			_, _ = bw.WriteString("\r\n")
		}
	}
	_, _ = bw.WriteString("\r\n")
	return true
}

// requestExcluded lists the header keys Request.Write writes itself or
// drops, spelled exactly so: other spellings are ordinary headers to it.
func requestExcluded(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

// plainValue reports whether Request.Write sends v, a value checkHeader
// accepted, unchanged: it trims white space at either end.
func plainValue(v string) bool {
	return v == "" || (v[0] != ' ' && v[0] != '\t' && v[len(v)-1] != ' ' && v[len(v)-1] != '\t')
}

// checkHeader refuses what net/http's transport refuses to send, with its
// words: a header name that is not a token, a value with a control
// character other than tab.
func checkHeader(h http.Header) error {
	for k, vs := range h {
		if !isToken(k) {
			return fmt.Errorf("net/http: invalid header field name %q", k)
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
					return fmt.Errorf("net/http: invalid header field value for %q", k)
				}
			}
		}
	}
	return nil
}

// requestPrefix is the request line and Host header that Request.Write
// writes for a POST to u, or nil when it would refuse u's host or path.
func requestPrefix(u *url.URL) []byte {
	var b bytes.Buffer
	req := &http.Request{Method: http.MethodPost, URL: u, Host: u.Host, Header: http.Header{"User-Agent": {""}}}
	if err := req.Write(&b); err != nil {
		return nil
	}
	head := b.Bytes()
	i := bytes.Index(head, []byte("\r\nHost: "))
	if i < 0 {
		return nil
	}
	j := bytes.Index(head[i+2:], []byte("\r\n"))
	if j < 0 {
		return nil
	}
	return bytes.Clone(head[:i+2+j+2])
}

// connect dials the target, TLS included, holding a connection slot.
func (l *Lane) connect(ctx context.Context, deadline time.Time) error {
	l.asked.Store(false)
	ctx, cancel := context.WithDeadline(context.WithValue(ctx, certAskedKey{}, &l.asked), deadline)
	defer cancel()
	conn, err := l.s.dialDirect(ctx)
	if err != nil {
		return err
	}
	l.conn, l.tcp = conn, conn
	if tc, ok := conn.(*tls.Conn); ok {
		l.tcp = tc.NetConn()
	}
	if sc, ok := l.tcp.(*slotConn); ok {
		l.tcp = sc.Conn
	}
	if l.br == nil {
		l.br = bufio.NewReaderSize(conn, 4<<10)
		l.bw = bufio.NewWriterSize(conn, writeBuffer)
	} else {
		l.br.Reset(conn)
		l.bw.Reset(conn)
	}
	return nil
}

// fail makes the Result of a failed exchange: the context's own error
// when it ended the exchange, and ErrClientCertRequired when the server
// asked for a certificate it did not get and then broke the handshake.
func (l *Lane) fail(ctx context.Context, deadline, start time.Time, err error, sent bool) Result {
	if e := deadlineErrAt(ctx, deadline, err); e != nil {
		err = e
	}
	return l.s.failureAsked(start, err, sent, l.asked.Load())
}

// deadlineErr is the error Sender.Send reports when ctx or the Timeout
// ended an exchange that failed with err: the context's own error, or
// context.DeadlineExceeded for the connection deadline the Timeout set.
// It is nil when neither did.
//
// An answer cut off by the deadline in its status line is not always an
// error of its own: bufio hands net/http the part of the line that came,
// which it reports as a malformed status code. So an exchange that failed
// once the deadline had passed failed by the deadline, whatever it says
// (ctx's timer may not yet have run on a busy machine).
func deadlineErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	if d, ok := ctx.Deadline(); ok {
		return deadlineErrAt(ctx, d, err)
	}
	return nil
}

// deadlineErrAt is deadlineErr for an exchange whose Timeout ends at
// deadline (a Lane's, which ctx does not carry).
func deadlineErrAt(ctx context.Context, deadline time.Time, err error) error {
	if e := ctx.Err(); e != nil {
		return e
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// fixedBody reads a body of n bytes from r; the connection ending before
// the last of them is io.ErrUnexpectedEOF, as net/http reports it.
type fixedBody struct {
	r *bufio.Reader
	n int64
}

func (b *fixedBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	if err == io.EOF && b.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// readResponse reads the answer to req, skipping informational (1xx)
// answers other than 101, as net/http's transport does.
func readResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode < 100 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
	}
}
