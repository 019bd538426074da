package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// mockAPI is the mock Tartan API that a Server mounts beside the console:
// a box that follows the console's settings (webhook URL, key, probe,
// subscription, layout), its history kept in the console's store (the
// journal "box"), so that its corporates are there again after a restart
// or a change of key. Until it can sign (a URL of the user's own and no
// app key), the API answers 503 with why.
//
// A webhook of the box's and its sends in the console's log are the same
// delivery by its requestId, which the box never gives two webhooks.
type mockAPI struct {
	console *console.Server
	apiKey  string
	opts    []box.Option

	mu       sync.Mutex
	b        *box.Box
	why      string // when b is nil
	key      []byte // the key b signs with
	restored box.Restored
}

// journal is the name of the box's journal in the console's store.
const journal = "box"

// follow makes (or re-aims) the box after a change of the console's
// settings.
func (t *mockAPI) follow(st console.Settings) {
	url, key, probe, err := t.console.Where()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.stop("The mock Tartan API cannot sign webhooks: serve was given no app key for " + show.URL(st.WebhookURL) + "; set TARTAN_APP_KEY or pass --key-file.")
		return
	}
	if string(key) == t.apiKey {
		t.stop("The mock Tartan API's key is the app key that signs webhooks; give serve another --api-key.")
		return
	}
	if t.b != nil && string(t.key) == string(key) {
		_ = t.b.SetTarget(url)
		t.b.SetProbe(probe)
		t.b.SetEvents(st.Subscription())
		t.b.SetLayout(st.ByteLayout())
		t.why = ""
		return
	}
	if t.b != nil {
		t.b.Close() // its history is in the journal: the new box goes on from it
	}
	b, err := box.New(url, key, t.apiKey, append(t.opts, box.SenderOptions(sender.KeepAnswerHeaders()), box.WithProbe(probe), box.Events(st.Subscription()), box.Layout(st.ByteLayout()), box.OnSend(t.log), box.Persist(t.console.Journal(journal)))...)
	if err != nil {
		t.b, t.why = nil, "The mock Tartan API cannot start: "+err.Error()+"."
		return
	}
	t.b, t.key, t.why = b, append([]byte(nil), key...), ""
	if t.restored == (box.Restored{}) {
		t.restored = b.Restored() // what the first box found in the store
	}
}

// Restored says what the mock Tartan API took from the store when it
// started: its corporates and deliveries, the sends a stop interrupted,
// or why it could not.
func (s *Server) Restored() box.Restored {
	s.api.mu.Lock()
	defer s.api.mu.Unlock()
	return s.api.restored
}

// stop closes the box, which cannot follow the settings, so that the API
// answers 503 with why instead of sending on to where the console no
// longer points. Its corporates stay in the journal, for the box made when
// it can sign again. t.mu is held.
func (t *mockAPI) stop(why string) {
	if t.b != nil {
		t.b.Close()
	}
	t.b, t.key, t.why = nil, nil, why
}

// log puts one of the box's sends in the console's Deliveries list, with
// the earlier sends of the same webhook (the same requestId) when there
// are any.
func (t *mockAPI) log(sent box.Sent) {
	var delivery int64
	if a, ok := t.apiAttempt(sent.Request.Body); ok {
		delivery = a.Delivery
	}
	_, _ = t.console.Record(deliverylog.FromAPI, sent.Kind, sent.EODBatch, sent.Target, sent.Request, sent.Result, delivery)
	// a failure to record is in the console's own log; the box keeps the send
}

// apiAttempt is the console's latest attempt of the API's webhook body.
func (t *mockAPI) apiAttempt(body []byte) (deliverylog.Attempt, bool) {
	env, err := wire.ReadEnvelope(body)
	if err != nil || env.RequestID == "" {
		return deliverylog.Attempt{}, false
	}
	page, err := t.console.Log().List(console.Filter{Source: deliverylog.FromAPI, RequestID: env.RequestID}, 0, 1)
	if err != nil || len(page.Attempts) == 0 {
		return deliverylog.Attempt{}, false
	}
	return page.Attempts[0].Attempt, true
}

// made returns the box and the requestIds of the console's deliveries
// that are webhooks it made (by delivery id).
func (t *mockAPI) made(ids []int64) (*box.Box, map[int64]string) {
	t.mu.Lock()
	b := t.b
	t.mu.Unlock()
	if b == nil {
		return nil, nil
	}
	mine := map[string]bool{}
	for _, d := range b.Deliveries() {
		mine[d.RequestID] = true
	}
	out := map[int64]string{}
	for _, id := range ids {
		a, ok, err := t.console.Log().Get(id)
		if err == nil && ok && a.Source == deliverylog.FromAPI && mine[a.RequestID] {
			out[id] = a.RequestID
		}
	}
	return b, out
}

// redeliver is the console's EOD batch for the API's deliveries: the box
// re-sends every delivery it made that nothing acknowledged (its EOD), so
// that the re-sends count in its verdicts, and takes the console's ids of
// the ones it made. Ids the box did not make (a store from before the box
// kept a journal) are left to the console, which re-sends them itself.
func (t *mockAPI) redeliver(_ context.Context, ids []int64) ([]int64, error) {
	b, made := t.made(ids)
	var taken []int64
	for _, id := range ids {
		if _, ok := made[id]; ok {
			taken = append(taken, id)
		}
	}
	if len(taken) > 0 {
		b.EOD()
	}
	return taken, nil
}

// rehand is the console's Resend of one of the API's deliveries: the
// box's own resend (POST /api/webhooks/resend by its requestId, served in
// process), so that it counts in the box's verdicts. A delivery the box
// did not make is left to the console.
func (t *mockAPI) rehand(ctx context.Context, delivery int64) (bool, error) {
	b, made := t.made([]int64{delivery})
	requestID, ok := made[delivery]
	if !ok {
		return false, nil
	}
	n, err := t.resend(ctx, b, map[string]string{"search_type": "request_id", "request_id": requestID})
	return n > 0, err
}

// recoverSince is the console's "recover every failure since": the box's
// own resend (POST /api/webhooks/resend, a time range, failed only,
// served in process), so that every re-send counts as a resend in the
// box's verdicts.
func (t *mockAPI) recoverSince(ctx context.Context, since, until time.Time) (int, error) {
	t.mu.Lock()
	b, why := t.b, t.why
	t.mu.Unlock()
	if b == nil {
		return 0, show.Refuse("serve", "%s", strings.TrimSuffix(why, "."))
	}
	return t.resend(ctx, b, map[string]string{"search_type": "timestamp_range", "status": "failed",
		"start_time": since.Format(time.RFC3339Nano), "end_time": until.Format(time.RFC3339Nano)})
}

// resend asks b's POST /api/webhooks/resend, in process and with the API
// key, for the deliveries the query selects; it returns how many it queued.
func (t *mockAPI) resend(ctx context.Context, b *box.Box, query map[string]string) (int, error) {
	body, _ := json.Marshal(query)
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/webhooks/resend", bytes.NewReader(body))
	req.Header.Set("Authorization", t.apiKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	var got struct {
		Count int `json:"count"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
		return 0, show.Refuse("serve", "the mock Tartan API refused the resend (%d)", rec.Code)
	}
	return got.Count, nil
}

// named is the console's org filter by name: the box's corporates whose
// name starts with name.
func (t *mockAPI) named(name string) []string {
	t.mu.Lock()
	b := t.b
	t.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.Named(name)
}

// handler serves the API (controls false) or the mock-only controls.
func (t *mockAPI) handler(controls bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		b, why := t.b, t.why
		t.mu.Unlock()
		if b == nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"detail": why})
			return
		}
		if controls && r.Method == http.MethodGet && r.URL.Path == box.CorporatesPath {
			b.CorporatesHandler().ServeHTTP(w, r)
			return
		}
		if controls {
			b.Controls().ServeHTTP(w, r)
			return
		}
		b.Handler().ServeHTTP(w, r)
	})
}

// close stops the box.
func (t *mockAPI) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.b != nil {
		t.b.Close()
	}
}
