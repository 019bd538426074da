package consumer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// Paths of the routes that Handler mounts.
const (
	// WebhookPath receives deliveries (POST).
	WebhookPath = "/webhook"
	// ProbePath serves the state probe (GET ?orgId=…).
	ProbePath = "/probe"
)

// DefaultMaxBody is the largest body the webhook reads: 4 MiB. Ten full
// employee records are about 20 KiB, so this is far above any real delivery.
const DefaultMaxBody = 4 << 20

// Outcome says in one word what the consumer did with a delivery.
type Outcome string

// The outcomes of a delivery, as reported in Decision.Outcome.
const (
	// OutcomeApplied: verified, parsed and applied (2xx). Some writes may
	// still have been skipped as stale; see Decision.Stale.
	OutcomeApplied Outcome = "applied"
	// OutcomeDuplicate: its requestId was applied before; nothing done (2xx).
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeIgnored: an event this consumer does not handle (2xx).
	OutcomeIgnored Outcome = "ignored"
	// OutcomeRejected: missing, malformed or wrong signature (401).
	OutcomeRejected Outcome = "rejected"
	// OutcomeInvalid: wrong method (405) or a signed body that is not a
	// usable envelope (400).
	OutcomeInvalid Outcome = "invalid"
	// OutcomeTooLarge: the body exceeded the MaxBody limit (413).
	OutcomeTooLarge Outcome = "too-large"
)

// Decision is what the consumer decided about one request to the webhook.
// Fields taken from the body (RequestID to Records) are empty unless the
// signature verified and the body parsed: an unverified body is never read.
type Decision struct {
	At        time.Time `json:"at"` // when the request arrived, by the consumer's Clock
	RequestID string    `json:"requestId,omitempty"`
	OrgID     string    `json:"orgId,omitempty"`
	Event     string    `json:"event,omitempty"`
	EventType string    `json:"eventType,omitempty"`
	Status    int       `json:"status"`            // the HTTP status sent
	Outcome   Outcome   `json:"outcome"`           // what was done
	Records   int       `json:"records"`           // len(body) of the envelope
	Stale     int       `json:"stale"`             // writes skipped because stored data was newer
	Skipped   int       `json:"skipped,omitempty"` // records skipped because they have no usable employeeId
	Reason    string    `json:"reason,omitempty"`  // for 4xx: a plain sentence; never holds the key or the signature
}

// String formats v on one line, as the CLI prints it.
func (v Decision) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", v.Status, v.Outcome)
	if v.Event != "" {
		fmt.Fprintf(&b, " %s (%s)", v.Event, v.EventType)
	}
	if v.RequestID != "" {
		fmt.Fprintf(&b, " requestId=%s orgId=%s records=%d stale=%d", v.RequestID, v.OrgID, v.Records, v.Stale)
		if v.Skipped > 0 {
			fmt.Fprintf(&b, " skipped=%d", v.Skipped)
		}
	}
	if v.Reason != "" {
		fmt.Fprintf(&b, ": %s", v.Reason)
	}
	return b.String()
}

// Consumer is the reference Tartan webhook consumer. It is an http.Handler
// for the webhook itself; Probe and Handler add the state probe. All methods
// are safe for concurrent use. Create one with New.
type Consumer struct {
	key     []byte
	maxBody int64
	log     *slog.Logger
	observe func(Decision)
	clock   clock.Clock
	store   *store
}

// Option configures a Consumer.
type Option func(*Consumer)

// MaxBody sets the largest body accepted, in bytes; a larger one is answered
// 413 without effect. n ≤ 0 keeps DefaultMaxBody.
func MaxBody(n int64) Option {
	return func(c *Consumer) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// Logger sets where the consumer logs one line per request. The default, and
// a nil l, discard. Logs never contain the key or a received signature.
func Logger(l *slog.Logger) Option {
	return func(c *Consumer) {
		if l != nil {
			c.log = l
		}
	}
}

// Observe sets f to be called once per request to the webhook, after the
// verdict is reached and before the response is written: once a client has
// its response, its Decision has been observed. f runs on the request's
// goroutine, possibly concurrently with itself, so it must be quick and safe
// for concurrent use.
func Observe(f func(Decision)) Option {
	return func(c *Consumer) { c.observe = f }
}

// Clock sets the consumer's clock (default clock.Real, nil keeps it). It
// only stamps arrivals (Decision.At); ordering uses the timestamps Tartan
// sends, never this clock.
func Clock(cl clock.Clock) Option {
	return func(c *Consumer) {
		if cl != nil {
			c.clock = cl
		}
	}
}

// New returns a Consumer that verifies deliveries with key, the app key
// shared with Tartan (it is copied). An empty key is accepted, as HMAC allows
// it, but then anyone can sign.
func New(key []byte, opts ...Option) *Consumer {
	c := &Consumer{
		key:     bytes.Clone(key),
		maxBody: DefaultMaxBody,
		log:     slog.New(slog.DiscardHandler),
		clock:   clock.Real,
		store:   newStore(),
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Handler returns a mux with the webhook at WebhookPath and the probe at
// ProbePath. Other paths are 404: there is no catch-all "/", so a mistyped
// URL fails loudly instead of being taken for a webhook.
func (c *Consumer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, c)
	mux.Handle(ProbePath, c.Probe())
	return mux
}

// ServeHTTP handles one delivery, in this order; the first failing step
// answers and nothing is stored:
//
//  1. only POST (405 otherwise);
//  2. read the raw body, at most MaxBody bytes (413 beyond);
//  3. verify tartan-signature over those exact bytes, in constant time
//     (401 if missing, empty, malformed or wrong);
//  4. parse the envelope (400 if it is not JSON, or has no requestId or orgId);
//  5. apply it once per requestId under the ordering rule (200).
//
// Unknown events and unknown fields are acknowledged 200 and ignored.
// Responses are {"status":"ok"} or {"error":"…"}.
func (c *Consumer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := c.decide(w, r, c.clock.Now())
	c.report(r.Context(), v)
	if v.Status < 300 {
		writeJSON(w, v.Status, map[string]string{"status": "ok"})
		return
	}
	msg := v.Reason
	switch v.Outcome {
	case OutcomeRejected:
		msg = "invalid signature" // the same for every failure: no hints to a forger
	case OutcomeTooLarge:
		msg = "body too large"
	}
	writeJSON(w, v.Status, map[string]string{"error": msg})
}

// decide runs the steps of ServeHTTP and returns the verdict.
func (c *Consumer) decide(w http.ResponseWriter, r *http.Request, now time.Time) Decision {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return Decision{At: now, Status: http.StatusMethodNotAllowed, Outcome: OutcomeInvalid,
			Reason: "method not allowed; deliveries are POST"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.maxBody))
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			return Decision{At: now, Status: http.StatusRequestEntityTooLarge, Outcome: OutcomeTooLarge,
				Reason: fmt.Sprintf("the body exceeds %d bytes", c.maxBody)}
		}
		return Decision{At: now, Status: http.StatusBadRequest, Outcome: OutcomeInvalid,
			Reason: "the body could not be read"}
	}
	if err := sender.Verify(c.key, body, signature(r.Header)); err != nil {
		return Decision{At: now, Status: http.StatusUnauthorized, Outcome: OutcomeRejected, Reason: rejection(err)}
	}
	ch, err := wire.ParseEffect(body)
	if err == nil {
		err = ch.Complete()
	}
	if err != nil {
		return Decision{At: now, Status: http.StatusBadRequest, Outcome: OutcomeInvalid, Reason: err.Error()}
	}

	v := Decision{At: now, RequestID: ch.RequestID, OrgID: ch.OrgID, Event: ch.Event,
		EventType: ch.EventType, Status: http.StatusOK, Records: ch.Len, Skipped: ch.Skipped}
	v.Outcome, v.Stale = c.store.apply(ch)
	if v.Outcome == OutcomeDuplicate {
		v.Skipped = 0
	}
	return v
}

// report logs v and hands it to the observer.
func (c *Consumer) report(ctx context.Context, v Decision) {
	level := slog.LevelInfo
	if v.Status >= 400 {
		level = slog.LevelWarn
	}
	c.log.LogAttrs(ctx, level, "tartan webhook",
		slog.Int("status", v.Status), slog.String("outcome", string(v.Outcome)),
		slog.String("requestId", v.RequestID), slog.String("orgId", v.OrgID),
		slog.String("event", v.Event), slog.Int("records", v.Records),
		slog.Int("stale", v.Stale), slog.Int("skipped", v.Skipped),
		slog.String("reason", v.Reason))
	if c.observe != nil {
		c.observe(v)
	}
}

// State returns what the consumer holds about orgID, as the probe serves it.
// An unknown org has empty Employees and Applied and ConnectionStatus "".
// The result is a deep copy the caller owns.
func (c *Consumer) State(orgID string) probe.State {
	return c.store.state(orgID)
}

// signature returns the tartan-signature header. A server canonicalises
// header names, so Get finds it in any casing on the wire; the fallback
// covers a handler called in-process with a hand-built Header map whose key
// is not canonical (such as "tartan-signature").
func signature(h http.Header) string {
	if s := h.Get(sender.HeaderSignature); s != "" {
		return s
	}
	s, _ := sender.SignatureHeader(h)
	return s
}

// rejection turns a sender.Verify error into a Decision reason. It never
// quotes the received signature.
func rejection(err error) string {
	switch {
	case errors.Is(err, sender.ErrMissingSignature):
		return "the tartan-signature header is missing or empty"
	case errors.Is(err, sender.ErrMalformedSignature):
		return "the signature is not 64 hex digits"
	default:
		return "the signature does not match the body"
	}
}

// writeJSON writes v as the JSON response, with status. HTML characters
// are not escaped, so & and < read as sent.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // cannot fail: only strings, ints and decoded JSON are written
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
