// Package replay is tartansim's delivery log: one NDJSON line per attempt,
// with the exact body and headers (never the app key), written by run and
// load with --record and read back by the replay command, which re-sends a
// log to another target at its recorded pacing or a given rate, keeping the
// signatures or re-signing with another key.
package replay

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
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

// Writer writes entries as NDJSON. It is safe for concurrent use; a write
// error is kept and returned by Err, so callers on hot paths need not check
// every call.
type Writer struct {
	mu  sync.Mutex
	w   *bufio.Writer
	err error
}

// NewWriter returns a Writer on w. Call Flush when done.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriterSize(w, 256<<10)} }

// Write appends one entry.
func (w *Writer) Write(e Entry) {
	line, err := json.Marshal(e)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	if err != nil {
		w.err = err
		return
	}
	if _, err := w.w.Write(append(line, '\n')); err != nil {
		w.err = err
	}
}

// Flush writes what is buffered and returns the first error seen.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.w.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

// MaxLine is the longest log line Reader accepts: 16 MiB.
const MaxLine = 16 << 20

// ErrBadLog is wrapped by every error about a log's content.
var ErrBadLog = errors.New("replay: bad delivery log")

// Reader reads a log line by line, so a log of any length is read in
// bounded memory.
type Reader struct {
	sc   *bufio.Scanner
	name string
	line int
}

// NewReader reads the log r; name is used in errors.
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	return &Reader{sc: sc, name: name}
}

// Next returns the next entry, io.EOF at the end, or an error naming the
// file and line. Blank lines are skipped.
func (r *Reader) Next() (Entry, error) {
	for r.sc.Scan() {
		r.line++
		b := r.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return Entry{}, fmt.Errorf("%w: %s:%d: %v", ErrBadLog, r.name, r.line, err)
		}
		if e.Headers == nil {
			return Entry{}, fmt.Errorf("%w: %s:%d: no headers", ErrBadLog, r.name, r.line)
		}
		return e, nil
	}
	if err := r.sc.Err(); err != nil {
		return Entry{}, fmt.Errorf("%w: %s:%d: %v", ErrBadLog, r.name, r.line+1, err)
	}
	return Entry{}, io.EOF
}
