package sender

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/show"
)

// Defaults of a Sender; the CLI uses them as flag defaults.
const (
	// DefaultTimeout bounds one whole delivery: connecting, writing the
	// request and reading the status, headers and Snippet.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxConns caps connections and requests in flight to the target.
	DefaultMaxConns = 16
	// DefaultSnippetBytes is how much of a response body a Result keeps.
	DefaultSnippetBytes = 512
	// DefaultUserAgent is sent unless the Delivery carries a User-Agent.
	DefaultUserAgent = "tartansim/dev"
)

// drainBytes is how much of a response body beyond the Snippet the Sender
// reads, so that the connection can be reused. A longer body costs the
// connection instead.
const drainBytes = 64 << 10

// writeBuffer is the size of a connection's write buffer: a batch of ten
// records is about 16 KB, and goes out in one write, not four.
const writeBuffer = 64 << 10

// pollIdle is how often an ack-lost delivery waiting for a connection slot
// asks the transport again to close its idle connections.
const pollIdle = 10 * time.Millisecond

// ErrBadTarget is wrapped by New when the target is not an http(s) URL.
var ErrBadTarget = error(&show.Refusal{Pkg: "sender", Why: "bad target"})

// ErrBadOption is wrapped by New when an Option's value is out of range.
var ErrBadOption = error(&show.Refusal{Pkg: "sender", Why: "bad option"})

// ErrClientCertRequired is wrapped by a Result's Err (ClassTLS) when an
// https target asked for a client certificate during the handshake, the
// Sender had none to give (see TLSConfig), and the target then sent an
// alert or broke the connection before answering: a server that requires
// mutual TLS. Without it such a failure would read as a TLS alert or as a
// reset, depending on which the network delivered first. (A server that
// only asks for a certificate, and breaks the connection before answering
// for another reason, is reported the same way: the Sender cannot tell.)
var ErrClientCertRequired = errors.New("tls: the server requires a client certificate, and none was given")

// Sender posts Deliveries to one target, as Tartan's webhook sender does:
// one POST per delivery over HTTP/1.1, redirects not followed, at most
// MaxConns connections, each delivery bounded by Timeout.
//
// A Sender is safe for concurrent use by many goroutines. Make it with New
// and Close it when done.
type Sender struct {
	target   string
	url      *url.URL
	redacted string // the target as errors show it: show.URL(target)
	// headPrefix is the request line and Host header of every request,
	// as Request.Write writes them; see Lane.writeHead.
	headPrefix []byte
	addr       string // host:port to dial
	timeout    time.Duration
	maxConns   int
	snippet    int
	userAgent  string
	keepHeads  bool   // Results keep the answer's headers: KeepAnswerHeaders
	auth       string // "Basic …" from the target's user:password, or ""
	clock      clock.Clock
	tlsConfig  *tls.Config

	dialer    net.Dialer
	transport *http.Transport
	client    *http.Client
	inFlight  chan struct{} // a token per Send between request and Result
	conns     chan struct{} // a token per open connection
}

// Option configures a Sender in New.
type Option func(*Sender) error

// Timeout bounds each delivery as a whole: dialing, TLS, writing the
// request and reading the status, headers and Snippet. It must be positive;
// the default is DefaultTimeout. A deadline on the context given to Send
// applies too; the earlier one wins.
func Timeout(d time.Duration) Option {
	return func(s *Sender) error {
		if d <= 0 {
			return fmt.Errorf("%w: Timeout(%v): want a positive duration", ErrBadOption, d)
		}
		s.timeout = d
		return nil
	}
}

// MaxConns is a hard cap on both the connections open to the target and the
// requests in flight; Sends beyond it wait for a slot (the wait counts
// against the context given to Send, not against Timeout). Connections are
// kept alive and reused, up to n of them idle for at most 90 seconds; an
// ack-lost delivery's own connection counts too. It must be at least 1; the
// default is DefaultMaxConns.
func MaxConns(n int) Option {
	return func(s *Sender) error {
		if n < 1 {
			return fmt.Errorf("%w: MaxConns(%d): want at least 1", ErrBadOption, n)
		}
		s.maxConns = n
		return nil
	}
}

// TLSConfig sets the TLS configuration for https targets, for example
// RootCAs that trust a test server, or Certificates with a client
// certificate for a target that requires mutual TLS. The Sender uses a
// copy, with NextProtos set to HTTP/1.1 only and ServerName defaulting to
// the target's host; without a client certificate it sends none, and a
// target that requires one fails with ErrClientCertRequired. Nil, the
// default, verifies against the system roots.
func TLSConfig(c *tls.Config) Option {
	return func(s *Sender) error {
		s.tlsConfig = c
		return nil
	}
}

// SnippetBytes is how many bytes of each response body a Result keeps in
// Snippet. 0 keeps none; it must not be negative. The default is
// DefaultSnippetBytes. However long the body, the Sender reads at most
// n + 64 KiB of it.
func SnippetBytes(n int) Option {
	return func(s *Sender) error {
		if n < 0 {
			return fmt.Errorf("%w: SnippetBytes(%d): want 0 or more", ErrBadOption, n)
		}
		s.snippet = n
		return nil
	}
}

// Clock sets the clock that stamps Result.Start and measures
// Result.Latency. The default, clock.Real, measures with the monotonic
// clock; a frozen clock gives a Latency of 0. It must not be nil.
func Clock(c clock.Clock) Option {
	return func(s *Sender) error {
		if c == nil {
			return fmt.Errorf("%w: Clock(nil)", ErrBadOption)
		}
		s.clock = c
		return nil
	}
}

// KeepAnswerHeaders makes each Result keep a bounded copy of the answer's
// headers in Result.Header (see MaxAnswerHeaders), for a door that shows
// them. Without it, the default, no Result has them, and a Lane reads a
// plain answer without copying any header: the load path's speed.
func KeepAnswerHeaders() Option {
	return func(s *Sender) error {
		s.keepHeads = true
		return nil
	}
}

// UserAgent sets the User-Agent header sent with each delivery; "" sends
// none. A User-Agent in the Delivery's Header, in any spelling, wins. The
// default is DefaultUserAgent. (Tartan's own User-Agent is not documented.)
func UserAgent(ua string) Option {
	return func(s *Sender) error {
		s.userAgent = ua
		return nil
	}
}

// New returns a Sender that posts to target, an http or https URL with a
// host. An invalid target is an error wrapping ErrBadTarget; an invalid
// option value is an error wrapping ErrBadOption. Options apply in order.
//
// The Sender speaks HTTP/1.1 only (so header names keep their spelling and
// one connection carries one request at a time), connects directly (proxy
// environment variables are ignored), sends no Accept-Encoding and never
// follows redirects.
func New(target string, opts ...Option) (*Sender, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL: %v", ErrBadTarget, target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrBadTarget, target)
	}
	s := &Sender{
		target:    target,
		url:       u,
		timeout:   DefaultTimeout,
		maxConns:  DefaultMaxConns,
		snippet:   DefaultSnippetBytes,
		userAgent: DefaultUserAgent,
		clock:     clock.Real,
	}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}

	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "https":
		port = "443"
	default:
		port = "80"
	}
	if u.User != nil { // as http.Client does for a URL with user info
		pass, _ := u.User.Password()
		s.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))
	}
	s.addr = net.JoinHostPort(u.Hostname(), port)
	s.redacted = show.URL(target)
	s.headPrefix = requestPrefix(u)
	if s.tlsConfig == nil {
		s.tlsConfig = &tls.Config{}
	}
	s.tlsConfig = s.tlsConfig.Clone()
	s.tlsConfig.NextProtos = []string{"http/1.1"}
	if len(s.tlsConfig.Certificates) == 0 && s.tlsConfig.GetClientCertificate == nil {
		// Send no certificate, as without the callback, but note that the
		// server asked: see ErrClientCertRequired.
		s.tlsConfig.GetClientCertificate = func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if asked, ok := info.Context().Value(certAskedKey{}).(*atomic.Bool); ok {
				asked.Store(true)
			}
			return &tls.Certificate{}, nil
		}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = u.Hostname()
	}
	s.inFlight = make(chan struct{}, s.maxConns)
	s.conns = make(chan struct{}, s.maxConns)

	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	s.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         s.dial,
		TLSClientConfig:     s.tlsConfig,
		DisableCompression:  true,
		MaxIdleConns:        s.maxConns,
		MaxIdleConnsPerHost: s.maxConns,
		MaxConnsPerHost:     s.maxConns,
		IdleConnTimeout:     90 * time.Second,
		Protocols:           protocols,
		WriteBufferSize:     writeBuffer,
	}
	s.client = &http.Client{
		Transport: s.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return s, nil
}

// MaxConns returns the Sender's cap on connections and requests in flight.
func (s *Sender) MaxConns() int { return s.maxConns }

// Target returns the URL the Sender posts to, as given to New.
func (s *Sender) Target() string { return s.target }

// Close closes the Sender's idle connections. Sends in flight go on, and
// the Sender stays usable: a later Send connects again.
func (s *Sender) Close() { s.transport.CloseIdleConnections() }

// Send posts d and reports what happened as a Result; a failed delivery is
// a Result, not a panic. Send never re-sends a request the consumer may have
// seen (net/http redials only when a kept-alive connection proved closed
// before any byte was written). The body is sent byte for byte with exactly
// d.Header (names spelled as in the map) plus Host, Content-Length and,
// unless d.Header has one, User-Agent.
//
// d.Fault changes what is sent: FaultDrop sends nothing and returns at once
// with ClassDropped. FaultAckLost writes the whole request on a connection
// of its own, waits for the first byte of the answer (or the timeout),
// then closes it without reading the answer, and returns ClassAckLost with
// Sent set: the consumer has handled the request (or outlasted the
// timeout), and its answer is lost.
//
// Send waits for a slot when MaxConns deliveries are in flight. From then
// on Timeout bounds it, as does ctx throughout.
func (s *Sender) Send(ctx context.Context, d Delivery) Result {
	gate := newPassage(d.Gate)
	defer gate.done()
	switch d.Fault {
	case FaultNone, FaultAckLost:
	case FaultDrop:
		return Result{Start: s.clock.Now(), Class: ClassDropped}
	default:
		return Result{Start: s.clock.Now(), Class: ClassOther, Err: show.Refuse("sender", "cannot inject %v", d.Fault)}
	}

	if r, ok := s.acquire(ctx); !ok {
		return r
	}
	defer s.release()

	start := s.clock.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := s.request(ctx, d)
	if err != nil {
		return s.failure(start, err, false)
	}
	if d.Fault == FaultAckLost {
		return s.abandon(ctx, req, start, gate)
	}
	return s.exchange(req, start, gate)
}

// acquire takes an in-flight token, waiting while ctx lasts; when ctx
// ends first it reports false with the Result of that failure.
func (s *Sender) acquire(ctx context.Context) (Result, bool) {
	waitStart := s.clock.Now()
	select {
	case s.inFlight <- struct{}{}:
		return Result{}, true
	case <-ctx.Done():
		return s.failure(waitStart, ctx.Err(), false), false
	}
}

// release gives back the token acquire took.
func (s *Sender) release() { <-s.inFlight }

// request builds the POST for d with its headers exactly as given.
func (s *Sender) request(ctx context.Context, d Delivery) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	h := d.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	s.addHeaders(h, d.Header)
	if err := checkHeader(h); err != nil {
		return nil, err // refused before connecting, on every path (ack-lost writes the request itself)
	}
	req.Header = h
	return req, nil
}

// addHeaders adds to h, a copy of a Delivery's header orig, what every
// path must send alike. The right User-Agent: net/http writes
// "User-Agent" itself (its own default when the key is absent) and writes
// every other key in its map spelling. And the Authorization that
// http.Client adds for a target with user info, unless orig has one.
func (s *Sender) addHeaders(h, orig http.Header) {
	if s.auth != "" && orig.Get("Authorization") == "" {
		h["Authorization"] = []string{s.auth}
	}
	if _, ok := orig["User-Agent"]; ok {
		return
	}
	if hasHeaderFold(orig, "User-Agent") {
		h["User-Agent"] = []string{""} // suppress Go's; the Delivery's goes out as spelled
	} else {
		h["User-Agent"] = []string{s.userAgent}
	}
}

func hasHeaderFold(h http.Header, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// exchange does one ordinary request through the pooled transport.
func (s *Sender) exchange(req *http.Request, start time.Time, gate *passage) Result {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		// The transport calls GotConn on this goroutine before it writes
		// the request: the gate holds it there, its connection open.
		GotConn: func(httptrace.GotConnInfo) {
			if gate != nil {
				gate.ready(req.Context())
				start = s.clock.Now() // the consumer's time starts at the release
			}
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	asked := new(atomic.Bool) // the server asked this request's handshake for a client certificate
	ctx := context.WithValue(httptrace.WithClientTrace(req.Context(), trace), certAskedKey{}, asked)
	req = req.WithContext(ctx)
	resp, err := s.client.Do(req)
	if err != nil {
		if e := deadlineErr(ctx, err); e != nil {
			err = e // the Timeout or ctx ended it, whatever net/http made of the part that came
		}
		return s.failureAsked(start, err, wrote.Load(), asked.Load())
	}
	defer func() {
		// Drain a little so the connection can be reused; closing a body
		// that is not at EOF closes the connection instead.
		_, _ = io.CopyN(io.Discard, resp.Body, drainBytes)
		_ = resp.Body.Close()
	}()
	return s.answer(resp, start)
}

// answer reads the Snippet of resp and makes its Result.
func (s *Sender) answer(resp *http.Response, start time.Time) Result {
	r := s.result(resp.StatusCode, resp.Header.Get("Location"), resp.Body, resp.ContentLength, start)
	if s.keepHeads {
		r.Header = boundHeader(resp.Header)
	}
	return r
}

// result reads the Snippet of an answer with this status, Location header
// and body of length bytes (-1 when unknown), and makes its Result.
func (s *Sender) result(status int, location string, body io.Reader, length int64, start time.Time) Result {
	var snippet []byte
	var err error
	if length != 0 && s.snippet > 0 { // an empty answer, the usual ack, costs nothing
		snippet, err = io.ReadAll(io.LimitReader(body, int64(s.snippet)))
		if len(snippet) == 0 {
			snippet = nil
		}
	}
	r := Result{Start: start, Status: status, Snippet: snippet, Sent: true}
	switch {
	case status >= 200 && status < 300:
		r.Class = ClassNone
	case status >= 300 && status < 400:
		r.Class = ClassRedirect
		r.Location = location
	default:
		r.Class = ClassStatus
	}
	if err != nil {
		r.Err = s.wrap(err)
		r.Class = Classify(err)
	}
	r.Latency = s.clock.Now().Sub(start)
	return r
}

// abandon writes req in full on a connection of its own and closes it
// without reading the answer: the ack-lost fault.
//
// It does not go through the transport because there is no reliable way to
// know when the transport has put the whole request on the wire:
// httptrace's WroteRequest fires before the transport flushes its write
// buffer, so cancelling there can cut off the tail of the request (all of
// a small one). Request.Write on a bare connection returns only after its
// final flush, so after it the consumer's kernel has, or will get, every
// byte, followed by a FIN.
func (s *Sender) abandon(ctx context.Context, req *http.Request, start time.Time, gate *passage) Result {
	conn, err := s.dialDirect(ctx)
	if err != nil {
		return s.failure(start, err, false)
	}
	defer conn.Close()
	if gate != nil {
		gate.ready(ctx)
		start = s.clock.Now()
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := req.Write(conn); err != nil {
		if e := deadlineErr(ctx, err); e != nil {
			err = e // the connection deadline is ctx's: report it as such
		}
		return s.failure(start, err, false)
	}
	// Wait for the answer to begin (or the timeout), so that the consumer
	// has handled the delivery before the next one goes, as it had when
	// its answer was lost on the way back; then close without reading it.
	_, _ = conn.Read(make([]byte, 1))
	return Result{Start: start, Latency: s.clock.Now().Sub(start), Class: ClassAckLost, Sent: true}
}

// certAskedKey is the context key of the flag a handshake sets when the
// server asks for a client certificate and the Sender has none.
type certAskedKey struct{}

// unwrapURL drops net/http's *url.Error: the target is in our own wrapping.
func unwrapURL(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

// failureAsked is failure for an exchange whose TLS handshake may have
// been asked for a client certificate the Sender did not have: a reset or
// a TLS error is then ErrClientCertRequired.
func (s *Sender) failureAsked(start time.Time, err error, sent, asked bool) Result {
	r := s.failure(start, err, sent)
	if asked && (r.Class == ClassReset || r.Class == ClassTLS) {
		r.Class = ClassTLS
		r.Err = s.wrap(fmt.Errorf("%w (%w)", ErrClientCertRequired, unwrapURL(err)))
	}
	return r
}

// failure makes the Result of an exchange that ended in err.
func (s *Sender) failure(start time.Time, err error, sent bool) Result {
	err = unwrapURL(err)
	return Result{
		Start:   start,
		Latency: s.clock.Now().Sub(start),
		Class:   Classify(err),
		Err:     s.wrap(err),
		Sent:    sent,
	}
}

func (s *Sender) wrap(err error) error {
	return show.Refuse("sender", "post %s: %w", s.redacted, err)
}

// dial is the transport's DialContext: it takes a connection slot first.
func (s *Sender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	select {
	case s.conns <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.dialSlot(ctx, network, addr)
}

// dialDirect opens a connection outside the transport's pool, TLS included,
// for an ack-lost delivery. Idle pooled connections hold slots they do not
// need, so while none is free it has the transport close them.
func (s *Sender) dialDirect(ctx context.Context) (net.Conn, error) {
	select {
	case s.conns <- struct{}{}:
	default:
		ticker := time.NewTicker(pollIdle)
		defer ticker.Stop()
	wait:
		for {
			// A connection can turn idle just after this call, hence
			// the ticker.
			s.transport.CloseIdleConnections()
			select {
			case s.conns <- struct{}{}:
				break wait
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-ticker.C:
			}
		}
	}
	conn, err := s.dialSlot(ctx, "tcp", s.addr)
	if err != nil || s.url.Scheme != "https" {
		return conn, err
	}
	tlsConn := tls.Client(conn, s.tlsConfig)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tlsConn, nil
}

// dialSlot dials holding a slot already taken; the slot goes back when the
// connection closes or the dial fails.
func (s *Sender) dialSlot(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := s.dialer.DialContext(ctx, network, addr)
	if err != nil {
		<-s.conns
		return nil, err
	}
	return &slotConn{Conn: conn, release: func() { <-s.conns }}, nil
}

// slotConn gives its connection slot back when closed, once.
type slotConn struct {
	net.Conn
	closed  atomic.Bool
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.release()
	}
	return err
}
