package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/show"
)

// mockAPI is the mock Tartan API that a Server mounts beside the console:
// a box that follows the console's settings (webhook URL, key, probe,
// subscription, layout). Until it can sign (a URL of the user's own and no
// app key), the API answers 503 with why.
type mockAPI struct {
	console *console.Server
	apiKey  string
	opts    []box.Option

	mu  sync.Mutex
	b   *box.Box
	why string // when b is nil
	key []byte // the key b signs with
	// deliveries maps the box's delivery numbers to the console's, so the
	// Deliveries list groups each webhook's sends. Its own lock: the box's
	// sending goroutine takes it, while Close of a box under mu waits for
	// that goroutine.
	dmu        sync.Mutex
	deliveries map[int]int64
}

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
		t.b.Close()
	}
	t.dmu.Lock()
	t.deliveries = map[int]int64{}
	t.dmu.Unlock()
	b, err := box.New(url, key, t.apiKey, append(t.opts, box.WithProbe(probe), box.Events(st.Subscription()), box.Layout(st.ByteLayout()), box.OnSend(t.log))...)
	if err != nil {
		t.b, t.why = nil, "The mock Tartan API cannot start: "+err.Error()+"."
		return
	}
	t.b, t.key, t.why = b, append([]byte(nil), key...), ""
}

// stop closes the box, which cannot follow the settings, so that the API
// answers 503 with why instead of sending on to where the console no
// longer points. Its corporates go with it, as with a change of key.
// t.mu is held.
func (t *mockAPI) stop(why string) {
	if t.b != nil {
		t.b.Close()
	}
	t.b, t.key, t.why = nil, nil, why
}

// log puts one of the box's sends in the console's Deliveries list. The
// attempt and the box's number of its delivery join under one lock, so
// that a Resend of what the list shows finds the box's delivery (found
// apart, a Resend between the two went to the console instead).
func (t *mockAPI) log(sent box.Sent) {
	t.dmu.Lock()
	defer t.dmu.Unlock()
	id, err := t.console.Record(deliverylog.FromAPI, sent.Kind, sent.Target, sent.Request, sent.Result, t.deliveries[sent.Seq])
	if err != nil {
		return // the console says so in its own log; the box's log keeps the send
	}
	t.deliveries[sent.Seq] = id
}

// redeliver is the console's EOD batch for the API's deliveries: the box
// re-sends every delivery it made that nothing acknowledged (its EOD), so
// that the re-sends count in its verdicts, and takes the console's ids of
// the ones it made. Ids the box did not make (a box before a restart or a
// change of key) are left to the console, which re-sends them itself.
func (t *mockAPI) redeliver(_ context.Context, ids []int64) ([]int64, error) {
	t.mu.Lock()
	b := t.b
	t.mu.Unlock()
	if b == nil {
		return nil, nil
	}
	t.dmu.Lock()
	made := make(map[int64]bool, len(t.deliveries))
	for _, id := range t.deliveries {
		made[id] = true
	}
	t.dmu.Unlock()
	var taken []int64
	for _, id := range ids {
		if made[id] {
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
// did not make (a box before a restart or a change of key) is left to the
// console.
func (t *mockAPI) rehand(ctx context.Context, delivery int64) (bool, error) {
	t.mu.Lock()
	b := t.b
	t.mu.Unlock()
	if b == nil {
		return false, nil
	}
	seq := 0
	t.dmu.Lock()
	for s, id := range t.deliveries {
		if id == delivery {
			seq = s
		}
	}
	t.dmu.Unlock()
	var requestID string
	for _, d := range b.Deliveries() {
		if seq != 0 && d.Seq == seq {
			requestID = d.RequestID
		}
	}
	if requestID == "" {
		return false, nil
	}
	body, _ := json.Marshal(map[string]string{"search_type": "request_id", "request_id": requestID})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/webhooks/resend", bytes.NewReader(body))
	req.Header.Set("Authorization", t.apiKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	var got struct {
		Count int `json:"count"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
		return false, fmt.Errorf("serve: the mock Tartan API refused the resend (%d)", rec.Code)
	}
	return got.Count > 0, nil
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
