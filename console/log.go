package console

import (
	"sync"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/show"
)

// DefaultWindow is how many attempt summaries the log keeps in memory: the
// newest ones, which the deliveries list reads without touching the disk.
// Older ones stay in the store, and the list reads them from there.
const DefaultWindow = 10_000

// DefaultPage is how many attempts one page of the deliveries list holds,
// and MaxPage the most a request may ask for.
const (
	DefaultPage = 50
	MaxPage     = 500
)

// Log is the console's delivery log: every attempt in the store, the
// newest summaries in a bounded window in memory, and the counts. Memory
// stays bounded however long serve runs. Safe for concurrent use.
type Log struct {
	store *Store

	mu     sync.Mutex
	window []held // oldest first, at most size
	size   int
	next   int64 // the ID of the next attempt
	counts Counts
}

// newLog opens the log on st and loads its newest summaries.
func newLog(st *Store, size int) (*Log, error) {
	if size < 1 {
		size = DefaultWindow
	}
	l := &Log{store: st, size: size}
	last, err := st.lastID()
	if err != nil {
		return nil, err
	}
	l.next = last + 1
	if l.counts, err = st.counts(); err != nil {
		return nil, err
	}
	var newest []deliverylog.Attempt
	err = st.scan(0, Filter{}, func(s deliverylog.Attempt) bool {
		newest = append(newest, s)
		return len(newest) < size
	})
	if err != nil {
		return nil, show.Refuse("console", "reading the log: %w", err)
	}
	for i := len(newest) - 1; i >= 0; i-- {
		l.window = append(l.window, hold(newest[i]))
	}
	return l, nil
}

// held is an attempt in the window: without its bytes, with the fields
// the filter reads, so that filtering the window allocates nothing.
type held struct {
	a deliverylog.Attempt
	v fields
}

func hold(a deliverylog.Attempt) held { return held{a: brief(a), v: fieldsOf(&a)} }

// add numbers the attempts, writes them to the store in one transaction
// and then to the window. An attempt whose Delivery is 0 starts a delivery
// of its own; a negative Delivery -k refers to the k-th attempt (from 1) of
// this same call. run is the console run that made them, "" for none.
func (l *Log) add(run string, as ...*deliverylog.Attempt) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, a := range as {
		a.ID = l.next + int64(i)
		switch {
		case a.Delivery == 0:
			a.Delivery = a.ID
		case a.Delivery < 0:
			a.Delivery = as[-a.Delivery-1].ID
		}
	}
	if err := l.store.put(run, as); err != nil {
		return show.Refuse("console", "writing the log: %w", err)
	}
	l.next += int64(len(as))
	for _, a := range as {
		l.counts.count(a)
		l.window = append(l.window, hold(*a))
	}
	if over := len(l.window) - l.size; over > 0 {
		// Copy rather than reslice, so the dropped ones can be freed.
		l.window = append(make([]held, 0, l.size), l.window[over:]...)
	}
	return nil
}

// Page is one page of the deliveries list, newest first.
type Page struct {
	Attempts []Row `json:"attempts"`
	// Next is the `before` of the next page, 0 when this is the last.
	Next int64 `json:"next"`
}

// List returns up to limit summaries that match f, newest first, among
// the attempts before ID before (0: all). It reads the window first and
// the store only for what lies beyond it.
func (l *Log) List(f Filter, before int64, limit int) (Page, error) {
	if limit <= 0 {
		limit = DefaultPage
	}
	limit = min(limit, MaxPage)
	var out []deliverylog.Attempt
	l.mu.Lock()
	oldest := l.next // the oldest ID the window holds
	if len(l.window) > 0 {
		oldest = l.window[0].a.ID
	}
	for i := len(l.window) - 1; i >= 0 && len(out) <= limit; i-- {
		h := &l.window[i]
		if (before > 0 && h.a.ID >= before) || !f.match(&h.v) {
			continue
		}
		out = append(out, h.a)
	}
	l.mu.Unlock()
	if len(out) <= limit && oldest > 1 {
		from := oldest
		if before > 0 && before < from {
			from = before
		}
		err := l.store.scan(from, f, func(s deliverylog.Attempt) bool {
			out = append(out, s)
			return len(out) <= limit
		})
		if err != nil {
			return Page{}, show.Refuse("console", "reading the log: %w", err)
		}
	}
	var p Page
	if len(out) > limit { // one more than asked: there is a next page
		out = out[:limit]
		p.Next = out[limit-1].ID
	}
	p.Attempts = make([]Row, len(out))
	for i, a := range out {
		p.Attempts[i] = rowOf(a)
	}
	return p, nil
}

// Get returns attempt id in full.
func (l *Log) Get(id int64) (deliverylog.Attempt, bool, error) { return l.store.Get(id) }

// Counts returns the aggregates.
func (l *Log) Counts() Counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts
}
