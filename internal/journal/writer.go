// Package journal writes entries to an append-only journal from a
// goroutine of its own, a batch at a time, so that whoever makes them
// never waits for the disk. The box keeps its history this way, and the
// console's built-in consumer what it was sent.
package journal

import "sync"

// Appender adds entries after the others, durably, before it returns
// (console.Journal does).
type Appender interface {
	Append(entries ...[]byte) error
}

// Writer appends entries to an Appender in the order they were added.
// Its methods are safe for concurrent use.
type Writer struct {
	to     Appender
	mu     sync.Mutex
	more   *sync.Cond
	buf    [][]byte
	closed bool
	err    error // the first append that failed
	done   chan struct{}
}

// NewWriter starts a Writer to a; Close it when done.
func NewWriter(a Appender) *Writer {
	w := &Writer{to: a, done: make(chan struct{})}
	w.more = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// Add queues e to be appended. After Close it is dropped.
func (w *Writer) Add(e []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.buf = append(w.buf, e)
	w.more.Signal()
}

func (w *Writer) run() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for len(w.buf) == 0 && !w.closed {
			w.more.Wait()
		}
		batch, closed := w.buf, w.closed
		w.buf = nil
		w.mu.Unlock()
		if len(batch) > 0 {
			if err := w.to.Append(batch...); err != nil {
				w.mu.Lock()
				if w.err == nil {
					w.err = err
				}
				w.mu.Unlock()
			}
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}

// Close appends what is queued, stops the goroutine and returns Err.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.more.Signal()
	w.mu.Unlock()
	<-w.done
	return w.Err()
}

// Err is the first error appending met: the entries after it may be lost.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
