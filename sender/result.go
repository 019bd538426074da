package sender

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tartansim/tartansim/show"
)

// Result is the outcome of one Send. A failed delivery is a Result, never a
// panic or an abort: the load generator counts Results.
//
// Exactly one of three things happened: the consumer answered (Status is
// set, Err is nil unless reading the answer failed), the exchange failed
// (Err is set and Class says how), or a Fault was injected (Class is
// ClassDropped or ClassAckLost, Err is nil).
type Result struct {
	// Start is when the exchange began, read from the Sender's clock
	// (after any wait for a free connection slot; see MaxConns).
	Start time.Time
	// Latency is the time from Start until the status line, the headers
	// and the Snippet were read, or until the exchange failed, measured
	// with the Sender's clock. Draining the rest of the body is not
	// included.
	Latency time.Duration
	// Status is the HTTP status code of the answer, 0 if there was none.
	Status int
	// Snippet holds the first bytes of the response body, at most
	// SnippetBytes of them; nil when the body was empty.
	Snippet []byte
	// Location is the Location header of a 3xx answer. The Sender never
	// follows redirects.
	Location string
	// Header is a bounded copy of the answer's headers (see
	// MaxAnswerHeaders) when the Sender keeps them (KeepAnswerHeaders);
	// nil otherwise, and when there was no answer.
	Header http.Header
	// Class says why the delivery failed; ClassNone when it did not.
	Class ErrorClass
	// Err is the transport error, wrapped as "sender: post <target>: …",
	// the target without its password or query values.
	// It is nil when the consumer answered in full and when a fault was
	// injected.
	Err error
	// Sent reports that the whole request was handed to the connection.
	// A failed Result with Sent set (a timeout, a reset, an ack-lost fault)
	// may still have been received and applied by the consumer; one with
	// Sent unset was certainly not.
	Sent bool
}

// Bounds of Result.Header: the first MaxAnswerHeaders header values, in
// the order of their names (sorted) and then as answered, that fit in
// MaxAnswerHeaderBytes counted as name plus value. The rest are dropped.
const (
	MaxAnswerHeaders     = 32
	MaxAnswerHeaderBytes = 8 << 10
)

// boundHeader is the bounded copy of h that Result.Header keeps.
func boundHeader(h http.Header) http.Header {
	out := make(http.Header, min(len(h), MaxAnswerHeaders))
	n, size := 0, 0
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			if n == MaxAnswerHeaders || size+len(k)+len(v) > MaxAnswerHeaderBytes {
				continue // a later, shorter one may still fit
			}
			out[k] = append(out[k], v)
			n, size = n+1, size+len(k)+len(v)
		}
	}
	return out
}

// OK reports whether the consumer acknowledged the delivery: a 2xx answer
// read without error. Tartan counts everything else as failed.
func (r Result) OK() bool {
	return r.Err == nil && r.Class == ClassNone && r.Status >= 200 && r.Status < 300
}

// Unreachable reports whether the target could not be reached at all, as
// opposed to answering badly: the connection was refused, the name did not
// resolve, TLS failed, or the request timed out before it was written.
func (r Result) Unreachable() bool {
	return r.Class.Unreachable() || r.Class == ClassTimeout && !r.Sent
}

// Failed is !OK: a non-2xx answer (a 3xx included), a timeout, a connection
// or TLS or DNS error, a dropped or an ack-lost delivery. Tartan re-sends
// the failed deliveries of a day at EOD.
func (r Result) Failed() bool { return !r.OK() }

// Summary describes r in one short line for people: "200 OK in 3.2ms",
// "connection refused", "timed out after 10s",
// "TLS: certificate signed by unknown authority". It never contains header
// values, so no signature or key material.
func (r Result) Summary() string {
	answered := ""
	if r.Status != 0 {
		answered = statusLine(r.Status) + ", then "
	}
	switch r.Class {
	case ClassNone, ClassStatus:
		if r.Err == nil {
			return fmt.Sprintf("%s in %s", statusLine(r.Status), roundDuration(r.Latency))
		}
	case ClassRedirect:
		if r.Err == nil {
			to := r.Location
			if to == "" {
				to = "nowhere"
			}
			return fmt.Sprintf("%s to %s (not followed)", statusLine(r.Status), to)
		}
	case ClassDropped:
		return "dropped (nothing sent)"
	case ClassAckLost:
		return "ack lost (request sent, response not read)"
	case ClassTimeout:
		return answered + "timed out after " + roundDuration(r.Latency).String()
	case ClassRefused:
		return "connection refused"
	case ClassReset:
		if errors.Is(r.Err, io.EOF) || errors.Is(r.Err, io.ErrUnexpectedEOF) {
			return answered + "connection closed by the server"
		}
		return answered + "connection reset by the server"
	case ClassTLS:
		return "TLS: " + tlsReason(r.Err)
	case ClassDNS:
		var dnsErr *net.DNSError
		if errors.As(r.Err, &dnsErr) {
			return fmt.Sprintf("DNS: %s %s", dnsErr.Err, dnsErr.Name)
		}
		return "DNS lookup failed"
	}
	if r.Err != nil {
		return answered + show.Reason(r.Err)
	}
	return "no result"
}

func statusLine(code int) string {
	if text := http.StatusText(code); text != "" {
		return strconv.Itoa(code) + " " + text
	}
	return strconv.Itoa(code)
}

// roundDuration keeps about three significant digits: 3.2ms, 200.4ms, 10s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// tlsReason is the innermost TLS or X.509 message without its package
// prefix, e.g. "certificate signed by unknown authority".
func tlsReason(err error) string {
	if err == nil {
		return "handshake failed"
	}
	var (
		recordErr tls.RecordHeaderError
		verifyErr *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, ErrClientCertRequired):
		return strings.TrimPrefix(ErrClientCertRequired.Error(), "tls: ")
	case errors.As(err, &recordErr), strings.Contains(err.Error(), plainHTTPAnswer):
		return "the server did not answer with TLS"
	case errors.As(err, &verifyErr):
		err = verifyErr.Err
	default:
		for next := errors.Unwrap(err); next != nil; next = errors.Unwrap(err) {
			err = next
		}
	}
	msg := err.Error()
	for _, prefix := range []string{"x509: ", "tls: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return msg
}

// ErrorClass says why a delivery failed, coarsely enough to count.
type ErrorClass int

const (
	// ClassNone: the consumer answered 2xx.
	ClassNone ErrorClass = iota
	// ClassStatus: the consumer answered, neither 2xx nor 3xx.
	ClassStatus
	// ClassRedirect: the consumer answered 3xx; the redirect was not followed.
	ClassRedirect
	// ClassTimeout: the Sender's Timeout or the caller's deadline expired.
	ClassTimeout
	// ClassRefused: the connection was refused.
	ClassRefused
	// ClassReset: the connection was reset or closed before a full answer.
	ClassReset
	// ClassTLS: the TLS handshake failed (untrusted certificate, wrong
	// name, an alert, a server that does not speak TLS), or the server
	// requires a client certificate the Sender does not have
	// (ErrClientCertRequired).
	ClassTLS
	// ClassDNS: the target's host name did not resolve.
	ClassDNS
	// ClassDropped: FaultDrop was injected; nothing was sent.
	ClassDropped
	// ClassAckLost: FaultAckLost was injected; the request was sent and
	// its answer ignored.
	ClassAckLost
	// ClassOther: any other failure, a cancelled context included.
	ClassOther
)

var classNames = [...]string{
	"none", "status", "redirect", "timeout", "refused", "reset",
	"tls", "dns", "dropped", "ack-lost", "other",
}

// String returns the class's short kebab-case name, e.g. "ack-lost".
func (c ErrorClass) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("ErrorClass(%d)", int(c))
	}
	return classNames[c]
}

// Unreachable reports whether c alone says the target could not be reached
// at all: ClassRefused, ClassDNS or ClassTLS. A timeout may have come before
// or after the request was written, which the class alone does not tell;
// Result.Unreachable counts one that came before.
func (c ErrorClass) Unreachable() bool {
	return c == ClassRefused || c == ClassDNS || c == ClassTLS
}

// Injected reports whether c is a failure tartansim injected on purpose
// (ClassDropped, ClassAckLost), not one of the consumer's.
func (c ErrorClass) Injected() bool { return c == ClassDropped || c == ClassAckLost }

// MarshalText encodes c as its String name, so Results read well as JSON.
// An out-of-range class is an error.
func (c ErrorClass) MarshalText() ([]byte, error) {
	if c < 0 || int(c) >= len(classNames) {
		return nil, show.Refuse("sender", "unknown error class %d", int(c))
	}
	return []byte(classNames[c]), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (c *ErrorClass) UnmarshalText(text []byte) error {
	for i, n := range classNames {
		if string(text) == n {
			*c = ErrorClass(i)
			return nil
		}
	}
	return show.Refuse("sender", "unknown error class %q", text)
}

// Classify maps an error from an HTTP exchange to its ErrorClass:
//
//   - nil: ClassNone
//   - a *net.DNSError: ClassDNS, or ClassTimeout when the lookup timed out
//   - context.DeadlineExceeded, or a net.Error whose Timeout is true: ClassTimeout
//   - ErrClientCertRequired, a certificate verification error, an X.509 error, a
//     tls.RecordHeaderError, a TLS alert, another "tls: " error or net/http's
//     "server gave HTTP response to HTTPS client": ClassTLS
//   - syscall.ECONNREFUSED: ClassRefused
//   - syscall.ECONNRESET, ECONNABORTED, EPIPE, io.EOF, io.ErrUnexpectedEOF
//     (the server closed the connection before a full answer), or
//     net.ErrClosed (net/http closed the connection under a request it was
//     still writing, because the server had broken it; the Sender closes no
//     connection in use itself): ClassReset
//   - anything else, context.Canceled included: ClassOther
//
// Errors are matched through wrapping (errors.Is and errors.As).
func Classify(err error) ErrorClass {
	if err == nil {
		return ClassNone
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return ClassTimeout
		}
		return ClassDNS
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return ClassTimeout
	}
	if isTLS(err) {
		return ClassTLS
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed):
		return ClassReset
	}
	return ClassOther
}

// plainHTTPAnswer is net/http's message for an https request answered in
// plain HTTP.
const plainHTTPAnswer = "server gave HTTP response to HTTPS client"

func isTLS(err error) bool {
	var (
		verifyErr    *tls.CertificateVerificationError
		recordErr    tls.RecordHeaderError
		alertErr     tls.AlertError
		authorityErr x509.UnknownAuthorityError
		hostErr      x509.HostnameError
		invalidErr   x509.CertificateInvalidError
		opErr        *net.OpError
	)
	switch {
	case errors.Is(err, ErrClientCertRequired):
		return true
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		errors.As(err, &authorityErr), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return true
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// crypto/tls reports an alert received from the peer as a
		// *net.OpError with Op "remote error" around an unexported type.
		return true
	case strings.Contains(err.Error(), plainHTTPAnswer):
		// net/http replaces the tls.RecordHeaderError of a plain-HTTP
		// answer with an unexported error of its own.
		return true
	}
	// Other handshake failures are unexported errors whose text starts
	// with "tls: " by crypto/tls convention.
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), "tls: ") {
			return true
		}
	}
	return false
}
