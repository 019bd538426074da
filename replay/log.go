// Package replay is tartansim's delivery log: one NDJSON line per attempt,
// with the exact body and headers (never the app key), written by run and
// load with --record and read back by the replay command, which re-sends a
// log to another target at its recorded pacing or a given rate, keeping the
// signatures or re-signing with another key.
//
// A Writer bounds what a crash of the writing process can lose (see
// FlushInterval), and a Reader salvages a log whose last line a crash tore
// (see Reader.Torn).
package replay

import (
	"net/http"
	"strings"
	"time"

	"github.com/tartansim/tartansim/sender"
)

// Entry is one line of a delivery log.
type Entry struct {
	// Time is when the attempt started, in real time (RFC 3339 with
	// nanoseconds); replay paces by it.
	Time     time.Time           `json:"time"`
	Source   string              `json:"source"` // "run" or "load"
	Scenario string              `json:"scenario,omitempty"`
	Seq      int64               `json:"seq"`
	Step     int                 `json:"step,omitempty"`
	Attempt  string              `json:"attempt"` // first, duplicate, eod, load
	At       string              `json:"at,omitempty"`
	Event    string              `json:"event,omitempty"`
	Request  string              `json:"requestId,omitempty"`
	Forged   bool                `json:"forged,omitempty"`
	Fault    string              `json:"fault,omitempty"`
	Headers  map[string][]string `json:"headers"`
	Body     string              `json:"body"`
	Status   int                 `json:"status"`
	Class    string              `json:"class"`
	Latency  float64             `json:"latencyMs"`
}

// Header returns the entry's headers as an http.Header, spelled as logged.
func (e Entry) Header() http.Header { return http.Header(e.Headers) }

// Delivery returns the entry as a delivery to re-send: its exact body and a
// copy of its headers, spelled as logged. With a resignKey, every signature
// header (matched case-insensitively) of a genuine entry is replaced by the
// signature of the body under that key; a nil resignKey keeps the recorded
// signature, and a forged entry keeps its forged one either way.
func (e Entry) Delivery(resignKey []byte) sender.Delivery {
	d := sender.Delivery{Body: []byte(e.Body), Header: e.Header().Clone()}
	if resignKey == nil || e.Forged {
		return d
	}
	for name := range d.Header {
		if strings.EqualFold(name, sender.HeaderSignature) {
			d.Header[name] = []string{sender.Sign(resignKey, d.Body)}
		}
	}
	return d
}
