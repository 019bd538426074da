package deliverylog

import (
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tartansim/tartansim/show"
)

// What a crash of the writing process (kill -9, an OOM kill, a panic) can
// lose: a Writer hands every line to the file within FlushInterval of
// writing it, and never holds more than FlushLines lines, whichever comes
// first. It writes whole lines only, so a crash in the middle of a write
// leaves at most one torn line, the last, which Reader drops. What the
// operating system has been handed survives the process; Close also syncs
// it to the disk, so that it survives the machine.
const (
	FlushInterval = 100 * time.Millisecond
	FlushLines    = 64
)

// ErrClosed is kept by a Writer written to after Close.
var ErrClosed = error(&show.Refusal{Pkg: "deliverylog", Why: "write to a closed delivery log"})

// Writer writes entries as NDJSON, one line per entry, bounding what a crash
// can lose (see FlushInterval). It is safe for concurrent use. The first
// error (encoding or writing) is kept: from then on nothing more is written,
// Err returns it at once, and Flush and Close return it; so callers on hot
// paths need not check every call, and can stop at the first failed write.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte // whole lines not yet written
	lines  int    // how many
	timer  *time.Timer
	closed bool
	err    error
	failed atomic.Bool // err != nil, read without the lock
}

// NewWriter returns a Writer on w. Lines reach w in Write calls of whole
// lines, from a caller's goroutine or from a timer's, never two at once.
// Call Close when done (or at least Flush).
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write appends one entry. It writes the lines held to the underlying writer
// when they reach FlushLines, and otherwise makes sure that they do within
// FlushInterval.
func (w *Writer) Write(e Attempt) {
	line, err := json.Marshal(e)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.err != nil:
		return
	case w.closed:
		w.fail(ErrClosed)
		return
	case err != nil:
		w.fail(err)
		return
	}
	w.buf = append(append(w.buf, line...), '\n')
	w.lines++
	switch {
	case w.lines >= FlushLines:
		w.flush()
	case w.lines > 1: // the timer is set for the oldest line
	case w.timer == nil:
		w.timer = time.AfterFunc(FlushInterval, w.tick)
	default:
		w.timer.Reset(FlushInterval)
	}
}

func (w *Writer) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flush()
}

// flush writes the lines held in one call; w.mu is held.
func (w *Writer) flush() {
	if w.lines == 0 || w.err != nil {
		return
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.fail(err)
	}
	if cap(w.buf) > 4<<20 { // a huge line once: do not keep its buffer
		w.buf = nil
	}
	w.buf, w.lines = w.buf[:0], 0
}

func (w *Writer) fail(err error) {
	w.err = err
	w.failed.Store(true)
	w.buf, w.lines = nil, 0
}

// Err returns the first error seen, without waiting for the lock: a cheap
// check for a loop that stops when the log can no longer be written.
func (w *Writer) Err() error {
	if !w.failed.Load() {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Flush writes the lines held and returns the first error seen.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flush()
	return w.err
}

// Close flushes, and syncs the underlying writer to the disk when it has a
// Sync method (an *os.File), and returns the first error seen. It does not
// close the underlying writer. A device that cannot be synced (a terminal,
// a pipe, /dev/null) is not an error. Writes after Close are refused.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flush()
	if w.timer != nil {
		w.timer.Stop()
	}
	if !w.closed && w.err == nil {
		if s, ok := w.w.(interface{ Sync() error }); ok {
			if err := s.Sync(); err != nil && !unsyncable(err) {
				w.fail(err)
			}
		}
	}
	w.closed = true
	return w.err
}

// unsyncable reports whether a Sync error only says the file is not one
// that can be synced: a pipe, a terminal, a character device.
func unsyncable(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported)
}
