package journal_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tartansim/tartansim/internal/journal"
)

type appender struct {
	mu      sync.Mutex
	got     []string
	batches int
	fail    error
}

func (a *appender) Append(es ...[]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.batches++
	for _, e := range es {
		a.got = append(a.got, string(e))
	}
	return nil
}

func TestWriterAppendsInOrderAndFlushesAtClose(t *testing.T) {
	a := &appender{}
	w := journal.NewWriter(a)
	for i := range 1000 {
		w.Add(fmt.Appendf(nil, "%d", i))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(a.got) != 1000 {
		t.Fatalf("appended %d entries, want 1000", len(a.got))
	}
	for i, e := range a.got {
		if e != fmt.Sprint(i) {
			t.Fatalf("entry %d is %q", i, e)
		}
	}
	w.Add([]byte("late")) // after Close: dropped, no panic
	if len(a.got) != 1000 {
		t.Fatal("an entry added after Close was appended")
	}
}

func TestWriterKeepsTheFirstError(t *testing.T) {
	full := errors.New("disk full")
	w := journal.NewWriter(&appender{fail: full})
	w.Add([]byte("x"))
	if err := w.Close(); !errors.Is(err, full) {
		t.Fatalf("Close = %v, want %v", err, full)
	}
}
