package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// envAPIKey holds the key the consumer's calls to the mock Tartan API must
// carry.
const envAPIKey = "TARTAN_API_KEY"

// DemoAPIKey is the API key of the mock Tartan API when none is given. Like
// DemoKey it is public and protects nothing; it exists so that serve works
// with no flags on loopback.
const DemoAPIKey = "tartansim-demo-api-key"

// apiFlags are serve's flags for the mock Tartan API.
type apiFlags struct {
	apiKey      string
	apiKeyFile  string
	acceptAfter string
}

func (f *apiFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.apiKey, "api-key", "", "the key the consumer's calls to the mock Tartan API carry, for local use ($"+envAPIKey+" or --api-key-file are safer); default: the public demo key "+DemoAPIKey)
	fl.StringVar(&f.apiKeyFile, "api-key-file", "", "read the API key from this file (trailing newline ignored)")
	fl.StringVar(&f.acceptAfter, "accept-after", box.DefaultAcceptAfter.String(), "how long after an invite the simulated corporate accepts and its initial sync starts: a duration (0s: at once), or never (only from the control API)")
}

// key returns the API key: --api-key, --api-key-file, $TARTAN_API_KEY or
// the demo key, and whether it is the demo key. It is never printed.
func (f *apiFlags) key() (string, bool, error) {
	switch {
	case f.apiKey != "" && f.apiKeyFile != "":
		return "", false, usageErr("--api-key and --api-key-file both given; use one")
	case f.apiKey != "":
		return f.apiKey, false, nil
	case f.apiKeyFile != "":
		b, err := os.ReadFile(f.apiKeyFile)
		if err != nil {
			return "", false, usageErr("cannot read --api-key-file %s: %v", f.apiKeyFile, plainIOError(err))
		}
		k := strings.TrimRight(string(b), "\r\n")
		if k == "" {
			return "", false, usageErr("--api-key-file %s is empty", f.apiKeyFile)
		}
		return k, false, nil
	case os.Getenv(envAPIKey) != "":
		return os.Getenv(envAPIKey), false, nil
	}
	return DemoAPIKey, true, nil
}

// accept reads --accept-after.
func (f *apiFlags) accept() (time.Duration, error) {
	if f.acceptAfter == "never" {
		return box.Never, nil
	}
	d, err := time.ParseDuration(f.acceptAfter)
	if err != nil || d < 0 {
		return 0, usageErr("--accept-after %q is not a duration like 30s or 0s, or never", f.acceptAfter)
	}
	return d, nil
}

// tartanAPI is the mock Tartan API that serve mounts beside the console:
// a box that follows the console's settings (webhook URL, probe,
// subscription, layout). Until it can sign (a URL of the user's own and no
// app key), the API answers 503 with why.
type tartanAPI struct {
	mu     sync.Mutex
	b      *box.Box
	why    string // when b is nil
	key    []byte // the key b signs with
	demo   bool
	opts   []box.Option
	apiKey string
	// deliveries maps the box's delivery numbers to the console's, so the
	// Deliveries list groups each webhook's sends. Its own lock: the box's
	// sending goroutine takes it, while Close of a box under mu waits for
	// that goroutine.
	dmu        sync.Mutex
	deliveries map[int]int64
}

// newTartanAPI reads the flags into what the box will need.
func (a *app) newTartanAPI(f apiFlags, seed uint64, timeout time.Duration, tlsOpts []sender.Option) (*tartanAPI, error) {
	apiKey, demo, err := f.key()
	if err != nil {
		return nil, err
	}
	accept, err := f.accept()
	if err != nil {
		return nil, err
	}
	if appKey, ok, _ := a.common.appKey(); ok && string(appKey) == apiKey {
		return nil, usageErr("the API key is the app key that signs webhooks; Tartan issues two keys, so give serve two different ones")
	}
	opts := []box.Option{box.Seed(seed), box.AcceptAfter(accept), box.SenderOptions(append([]sender.Option{sender.Timeout(timeout)}, tlsOpts...)...)}
	return &tartanAPI{apiKey: apiKey, demo: demo, opts: opts}, nil
}

// follow makes (or re-aims) the box after a change of srv's settings.
func (t *tartanAPI) follow(srv *console.Server, st console.Settings) {
	url, key, probe, err := srv.Where()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.why = "The mock Tartan API cannot sign webhooks: serve was given no app key for " + show.URL(st.WebhookURL) + "; set TARTAN_APP_KEY or pass --key-file."
		return
	}
	if string(key) == t.apiKey {
		t.why = "The mock Tartan API's key is the app key that signs webhooks; give serve another --api-key."
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
	logged := func(sent box.Sent) { t.log(srv, sent) }
	b, err := box.New(url, key, t.apiKey, append(t.opts, box.WithProbe(probe), box.Events(st.Subscription()), box.Layout(st.ByteLayout()), box.OnSend(logged))...)
	if err != nil {
		t.b, t.why = nil, "The mock Tartan API cannot start: "+plain(err)+"."
		return
	}
	t.b, t.key, t.why = b, append([]byte(nil), key...), ""
}

// log puts one of the box's sends in the console's Deliveries list.
func (t *tartanAPI) log(srv *console.Server, sent box.Sent) {
	t.dmu.Lock()
	prev := t.deliveries[sent.Seq]
	t.dmu.Unlock()
	id, err := srv.Record(console.SourceAPI, sent.Kind, sent.Target, sent.Request, sent.Result, prev)
	if err != nil {
		return // the console says so in its own log; the box's log keeps the send
	}
	t.dmu.Lock()
	t.deliveries[sent.Seq] = id
	t.dmu.Unlock()
}

// redeliver is the console's EOD batch for the API's deliveries: the box
// re-sends every delivery it made that nothing acknowledged (its EOD), so
// that the re-sends count in its verdicts, and takes the console's ids of
// the ones it made. Ids the box did not make (a box before a restart or a
// change of key) are left to the console, which re-sends them itself.
func (t *tartanAPI) redeliver(_ context.Context, ids []int64) ([]int64, error) {
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

// handler serves the API (controls false) or the mock-only controls.
func (t *tartanAPI) handler(controls bool) http.Handler {
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

func (t *tartanAPI) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.b != nil {
		t.b.Close()
	}
}

// describe says where the API is, for serve's first lines; the key is
// never printed.
func (t *tartanAPI) describe(base string) string {
	key := "your API key"
	if t.demo {
		key = "the public demo key of docs/api.md (set " + envAPIKey + " for your own)"
	}
	return fmt.Sprintf("Tartan API on %s/api/ (calls carry %s); mock-only controls on %s/_tartansim/", base, key, base)
}
