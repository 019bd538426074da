package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// ErrBadInput is wrapped by the error of a request the console cannot
// carry out as asked: an unknown event, a malformed payload.
var ErrBadInput = error(&show.Refusal{Pkg: "console", Why: "bad input"})

// ErrNotSubscribed is wrapped by the error of a send of an event outside
// the subscription: Tartan sends only the events an integrator chose.
var ErrNotSubscribed = error(&show.Refusal{Pkg: "console", Why: "not subscribed"})

// ErrNotFound is wrapped when an attempt or a run does not exist.
var ErrNotFound = error(&show.Refusal{Pkg: "console", Why: "not found"})

// Payload is a realistic webhook the fixtures generator made, before it is
// sent: GET /api/console/payload.
type Payload struct {
	Event     string `json:"event"` // the catalogue ID
	EventType string `json:"eventType"`
	Layout    string `json:"layout"`
	Body      string `json:"body"`
}

// Payload builds a realistic payload of the catalogue event id (an ID or
// an event name) in the settings' layout. Each call makes new data; the
// n-th call of a server with the same seed and clock makes the same bytes.
func (s *Server) Payload(id string) (Payload, error) {
	kind, err := fixtures.LookupKind(id)
	if err != nil {
		return Payload{}, refuse(ErrBadInput, "event", "there is no event %q in the catalogue", id)
	}
	st := s.Settings()
	s.mu.Lock()
	s.previews++
	n := s.previews
	s.mu.Unlock()
	seed := s.seed + n
	g := fixtures.New(fixtures.NewFaker(seed), fixtures.At(s.clock.Now()), fixtures.RunID(fixtures.RunIDFor(seed)))
	ev := g.Sample(kind, g.Vendor())
	return Payload{Event: kind.ID(), EventType: kind.Type, Layout: st.ByteLayout().String(), Body: string(ev.Encode(st.ByteLayout()))}, nil
}

// TestSend is the body of POST /api/console/send: an event to build and
// send, or a payload (edited in the page) to send byte for byte.
type TestSend struct {
	Event string `json:"event"`
	// Body is sent as is when set; otherwise a new Payload of Event is.
	Body string `json:"body,omitempty"`
	// Signature is the signature variant: valid (the default), missing,
	// empty, wrong-key, near-miss or truncated. Any but valid makes a
	// forged delivery, which a correct consumer rejects with 4xx and which
	// no EOD batch re-sends.
	Signature string `json:"signature,omitempty"`
}

// Send signs and posts one test webhook to the webhook URL, logs the
// attempt and returns it. An event outside the subscription is refused
// (ErrNotSubscribed), and so is a Body that is not a JSON object with an
// event (ErrBadInput); neither sends anything.
func (s *Server) Send(ctx context.Context, t TestSend) (deliverylog.Attempt, error) {
	body := []byte(t.Body)
	if strings.TrimSpace(t.Body) == "" {
		p, err := s.Payload(t.Event)
		if err != nil {
			return deliverylog.Attempt{}, err
		}
		body = []byte(p.Body)
	} else if err := checkPayload(body); err != nil {
		return deliverylog.Attempt{}, err
	}
	sig := sender.SignatureValid
	if t.Signature != "" {
		var err error
		if sig, err = sender.ParseSignature(t.Signature); err != nil {
			return deliverylog.Attempt{}, refuse(ErrBadInput, "signature", "the signature %q is not one of %s", t.Signature, strings.Join(sender.SignatureNames(), ", "))
		}
	}
	env := readEnvelope(body)
	if err := s.subscribed(env.Event, env.EventType); err != nil {
		return deliverylog.Attempt{}, err
	}
	tg, err := s.target()
	if err != nil {
		return deliverylog.Attempt{}, err
	}
	d := sender.Prepare(tg.key, body, sig, sender.HeaderLower)
	return s.deliver(ctx, tg.url, d, deliverylog.Attempt{Source: deliverylog.FromConsole, Kind: deliverylog.First, Forged: sig != sender.SignatureValid})
}

// Resend sends attempt id's exact bytes and headers again, to the webhook
// URL as it is now, and logs the new attempt as part of the same delivery.
// A delivery of a source given to ResendThrough goes to its maker instead:
// handed is true, and its attempt joins the log when the maker sends it.
func (s *Server) Resend(ctx context.Context, id int64) (a deliverylog.Attempt, handed bool, err error) {
	orig, ok, err := s.log.Get(id)
	if err != nil {
		return deliverylog.Attempt{}, false, err
	}
	if !ok {
		return deliverylog.Attempt{}, false, refuse(ErrNotFound, "id", "there is no attempt %d in the log", id)
	}
	if err := s.subscribed(orig.Event, orig.EventType); err != nil {
		return deliverylog.Attempt{}, false, err
	}
	if f := s.rehand[orig.Source]; f != nil {
		taken, err := f(ctx, orig.Delivery)
		if err != nil {
			return deliverylog.Attempt{}, false, err
		}
		if taken {
			return orig, true, nil
		}
	}
	tg, err := s.target()
	if err != nil {
		return deliverylog.Attempt{}, false, err
	}
	like := deliverylog.Attempt{Source: orig.Source, Kind: deliverylog.Resend, Delivery: orig.Delivery, Run: orig.Run, Forged: orig.Forged}
	a, err = s.deliver(ctx, tg.url, orig.Request(nil), like)
	return a, false, err
}

// subscribed refuses an event outside the subscription, in one sentence.
func (s *Server) subscribed(event, eventType string) error {
	sub := s.Settings().Subscription()
	if sub.Sends(event, eventType) {
		return nil
	}
	name := event
	if eventType != "" {
		name += " (" + eventType + ")"
	}
	return refuse(ErrNotSubscribed, "event", "%s is not among the subscribed events, so Tartan would not send it; tick it under Endpoint first", name)
}

// deliver sends d to url and logs the attempt, made like like (its
// source, kind, delivery, run, forged).
func (s *Server) deliver(ctx context.Context, url string, d sender.Delivery, like deliverylog.Attempt) (deliverylog.Attempt, error) {
	snd, err := s.senderFor(url)
	if err != nil {
		return deliverylog.Attempt{}, err
	}
	res := snd.Send(ctx, d)
	a := newAttempt(like.Source, like.Run, like.Kind, url, d, like.Forged, res)
	a.Delivery, a.EODBatch = like.Delivery, like.EODBatch
	if err := s.record("", &a); err != nil {
		return a, err
	}
	return a, nil
}

// Record logs one attempt made by something serve runs beside the console,
// such as the mock Tartan API (deliverylog.FromAPI), so that the Deliveries
// list shows it: d as sent to target, kind its place among the sends of
// its bytes (First, EOD, Resend) and eodBatch the number its maker gave
// the EOD batch of an EOD attempt (0 for none), res the answer. delivery
// is the ID Record returned for an earlier attempt of the same bytes, or 0
// for new ones; Record returns the delivery's ID. A delivery of source
// that failed is re-sent by the next EOD batch, through the Redeliver
// given to EODThrough for source when there is one.
func (s *Server) Record(source deliverylog.Source, kind deliverylog.Kind, eodBatch int64, target string, d sender.Delivery, res sender.Result, delivery int64) (int64, error) {
	a := newAttempt(source, "", kind, target, d, false, res)
	a.Delivery, a.EODBatch = delivery, eodBatch
	if err := s.record("", &a); err != nil {
		return 0, err
	}
	return a.Delivery, nil
}

// record logs attempts made by the console run run ("" for none) and
// tells the page.
func (s *Server) record(run string, as ...*deliverylog.Attempt) error {
	if len(as) == 0 {
		return nil
	}
	if err := s.log.add(run, as...); err != nil {
		return err
	}
	for _, a := range as {
		s.hub.publish("attempt", rowOf(*a))
	}
	return nil
}

// checkPayload accepts a JSON object with a string "event"; otherwise it
// says what is wrong, with the line and column of a syntax error.
func checkPayload(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(body, syn.Offset)
			return refuse(ErrBadInput, "body", "the payload is not valid JSON at line %d, column %d: %s", line, col, syn.Error())
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return refuse(ErrBadInput, "body", "the payload is not valid JSON: it ends too soon")
		}
		return refuse(ErrBadInput, "body", "the payload is not valid JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return refuse(ErrBadInput, "body", "the payload is a JSON %s, not an object", wire.Kind(v))
	}
	if ev, ok := obj["event"].(string); !ok || ev == "" {
		return refuse(ErrBadInput, "body", "the payload has no \"event\" field, so it is no Tartan webhook")
	}
	return nil
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if len(b) == 0 {
		return 1, 1
	}
	off = min(max(off, 1), int64(len(b)))
	before := b[:off-1]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}
