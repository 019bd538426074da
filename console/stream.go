package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// streamBuffer is how many events a slow subscriber may fall behind by
// before it misses some (it then reloads what it shows).
const streamBuffer = 256

// message is one server-sent event.
type message struct {
	name string
	data []byte
}

// hub fans events out to the page's EventSource streams. A subscriber that
// does not keep up loses events rather than slowing the server down.
type hub struct {
	mu     sync.Mutex
	subs   map[chan message]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: map[chan message]struct{}{}} }

// publish sends v, as JSON, to every subscriber as event name.
func (h *hub) publish(name string, v any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		return // no page open: nothing to encode
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	for ch := range h.subs {
		select {
		case ch <- message{name, data}:
		default: // too slow: it misses this one
		}
	}
}

func (h *hub) subscribe() (chan message, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	ch := make(chan message, streamBuffer)
	h.subs[ch] = struct{}{}
	return ch, true
}

func (h *hub) unsubscribe(ch chan message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// close ends every stream, for shutdown.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// keepAlive is how often an idle stream gets a comment line, so that
// proxies and browsers keep it open.
const keepAlive = 20 * time.Second

// serveStream is GET /api/console/stream: server-sent events named
// attempt (a Summary), run (a Run) and settings (the settings view).
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "", "This connection cannot stream events.")
		return
	}
	ch, ok := s.hub.subscribe()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "", "The server is shutting down.")
		return
	}
	defer s.hub.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": tartansim console\n\n")
	flusher.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.name, m.data)
			flusher.Flush()
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case <-r.Context().Done():
			return
		}
	}
}
