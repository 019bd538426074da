package console

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// DefaultAddr is where serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:7070"

// Server is tartansim serve: the console page, its JSON control API under
// /api/console/, the log of every attempt, and the EOD schedule. Make it
// with New, then Listen and Serve; Close it when Serve has returned.
type Server struct {
	addr      string // as given
	bound     string // as listening, once Listen has run
	token     string
	extra     []string // more Host values to answer to
	key       []byte   // the app key; nil when none was given
	storePath string
	window    int
	clock     clock.Clock
	seed      uint64
	timeout   time.Duration
	settle    time.Duration
	tls       *tls.Config
	logger    *slog.Logger
	initial   Settings
	patch     Patch
	onChange  []func(Settings)
	through   map[deliverylog.Source]Redeliver // EOD batches hand these sources' deliveries back
	rehand    map[deliverylog.Source]Rehand    // Resend hands these sources' deliveries back
	orgNames  OrgNamer                         // the org filter's names, when given
	recoverer Recoverer                        // "recover every failure since", when given

	store   *Store
	log     *Log
	hub     *hub
	runs    *runs
	builtin *builtin
	outer   *http.ServeMux // the whole site: the console and what Mount adds

	mu       sync.Mutex
	settings Settings
	senders  map[string]*sender.Sender
	previews uint64        // previews made, for their seeds
	wake     chan struct{} // the EOD schedule changed
	eodMu    sync.Mutex    // one EOD batch at a time
}

// Option configures a Server in New.
type Option func(*Server)

// Addr is the address to listen on, host:port; the default is DefaultAddr.
// An address other than loopback needs a Token.
func Addr(a string) Option { return func(s *Server) { s.addr = a } }

// Token is the secret every request must carry (Authorization: Bearer, or
// the cookie the page sets after being opened once with ?token=). It is
// required off loopback; on loopback it is optional.
func Token(t string) Option { return func(s *Server) { s.token = t } }

// AllowHosts adds Host header values (host:port) the server answers to,
// beyond its own address: a name it is reached by. Every other Host is
// refused (DNS rebinding).
func AllowHosts(hosts ...string) Option {
	return func(s *Server) { s.extra = append(s.extra, hosts...) }
}

// Key is the app key that signs every webhook. It is never shown, logged
// or returned by the API. Without it only the built-in reference consumer
// can be tested (with a key of the server's own).
func Key(k []byte) Option { return func(s *Server) { s.key = append([]byte(nil), k...) } }

// StorePath is the store's file (see OpenStore). It is required.
func StorePath(p string) Option { return func(s *Server) { s.storePath = p } }

// Window is how many attempt summaries stay in memory; the default is
// DefaultWindow.
func Window(n int) Option { return func(s *Server) { s.window = n } }

// WithClock sets the clock; the default is the real one.
func WithClock(c clock.Clock) Option { return func(s *Server) { s.clock = c } }

// Seed makes test payloads and runs reproducible: the n-th payload of a
// server with seed s is the same bytes every time (at the same clock).
// The default is 1.
func Seed(n uint64) Option { return func(s *Server) { s.seed = n } }

// Settle is the settle budget of the runs' state judgements: how long they
// wait for a consumer that applies later, from a queue, to converge (see
// judge.Settling). The default is judge.DefaultSettle, the CLI's
// --settle; 0 judges at once, from one read, as --settle 0 does. A
// negative budget makes New fail with ErrBadInput.
func Settle(d time.Duration) Option { return func(s *Server) { s.settle = d } }

// Timeout bounds each delivery; the default is sender.DefaultTimeout.
func Timeout(d time.Duration) Option { return func(s *Server) { s.timeout = d } }

// TLS is the client TLS configuration for https webhook URLs.
func TLS(c *tls.Config) Option { return func(s *Server) { s.tls = c } }

// Logger receives what goes wrong in the background (the EOD schedule);
// the default discards it.
func Logger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

// Initial sets the settings of a new store; a store that has settings
// keeps its own. The default is DefaultSettings.
func Initial(st Settings) Option { return func(s *Server) { s.initial = st } }

// OnSettings registers f, called with the new settings after every change
// (from the page, the control API or Update), outside the server's locks:
// for what serve runs beside the console, such as Tartan's API, to follow
// the webhook URL, the probe and the subscription.
func OnSettings(f func(Settings)) Option {
	return func(s *Server) { s.onChange = append(s.onChange, f) }
}

// Override changes the stored settings at start: serve's flags given on
// the command line beat what the store remembers.
func Override(p Patch) Option { return func(s *Server) { s.patch = p } }

// New opens the store, applies the options and starts the built-in
// reference consumer; it does not listen yet. A non-loopback Addr without
// a Token is ErrTokenRequired; a store that is locked or damaged is an
// error wrapping ErrStoreLocked or ErrStoreDamaged.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		addr: DefaultAddr, clock: clock.Real, seed: 1, timeout: sender.DefaultTimeout, settle: judge.DefaultSettle,
		logger: slog.New(slog.DiscardHandler), initial: DefaultSettings(),
		senders: map[string]*sender.Sender{}, wake: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(s)
	}
	host, _, err := net.SplitHostPort(s.addr)
	if err != nil {
		return nil, show.Refuse("console", "the address %q is not host:port", s.addr)
	}
	if !isLoopback(host) && s.token == "" {
		return nil, ErrTokenRequired
	}
	if s.settle < 0 {
		return nil, refuse(ErrBadInput, "settle", "the settle budget %s is negative: say 0 to judge at once", s.settle)
	}
	if s.storePath == "" {
		return nil, show.Refuse("console", "no store path")
	}
	if s.settings, err = s.initial.Apply(Patch{}); err != nil {
		return nil, err
	}
	if s.store, err = OpenStore(s.storePath); err != nil {
		return nil, err
	}
	if err := s.loadSettings(); err != nil {
		_ = s.store.Close()
		return nil, err
	}
	if s.log, err = newLog(s.store, s.window); err != nil {
		_ = s.store.Close()
		return nil, err
	}
	s.runs = newRuns()
	if err := s.loadRuns(); err != nil {
		_ = s.store.Close()
		return nil, err
	}
	key := s.key
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	if s.builtin, err = startBuiltin(key, s.store.Journal(builtinJournal)); err != nil {
		_ = s.store.Close()
		return nil, show.Refuse("console", "cannot start the built-in consumer: %w", err)
	}
	s.hub = newHub()
	s.outer = http.NewServeMux()
	console := s.guard(s.routes())
	s.outer.Handle("/", console)
	// Its own, so that a Mount at /api/ (Tartan's API) never takes it.
	s.outer.Handle("/api/console/", console)
	return s, nil
}

// loadSettings reads the stored settings (or keeps the initial ones for a
// new store), applies the Override and stores the result.
func (s *Server) loadSettings() error {
	var stored Settings
	found, err := s.store.getMeta(keySettings, &stored)
	if err != nil {
		return fmt.Errorf("%w: %s: its settings cannot be read", ErrStoreDamaged, s.store.Path())
	}
	if found {
		s.settings = stored
	}
	if s.settings, err = s.settings.Apply(s.patch); err != nil {
		return err
	}
	return s.store.putMeta(keySettings, s.settings)
}

// Mount serves h at pattern (as http.ServeMux patterns go) beside the
// console, for APIs that are not the console's own: the Host check applies
// to them, the console's token, same-origin and JSON-body checks do not.
// The console keeps / and /api/console/ whatever is mounted. Call it
// before Serve.
func (s *Server) Mount(pattern string, h http.Handler) {
	s.outer.Handle(pattern, s.hostOnly(h))
}

// MountControls serves h at pattern beside the console with every check of
// the console's own API: the Host, the token, same-origin writes, JSON
// bodies; a body of another type is taken only from a request that carries
// neither Origin nor Sec-Fetch-Site (curl -d), which no browser sends. For
// endpoints that change state on a tester's command and carry no key of
// their own, such as the mock Tartan API's controls.
func (s *Server) MountControls(pattern string, h http.Handler) {
	s.outer.Handle(pattern, s.guardBodies(h, true))
}

// Handler returns the whole site.
func (s *Server) Handler() http.Handler { return s.outer }

// Listen binds the address. With port 0 the system picks one; Addr then
// says which.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, show.Refuse("console", "cannot listen on %s: %w", s.addr, errors.Unwrap(err))
	}
	s.mu.Lock()
	s.bound = ln.Addr().String()
	if host, _, _ := net.SplitHostPort(s.addr); host != "" {
		// Keep the name given ("localhost"), with the port bound.
		_, port, _ := net.SplitHostPort(s.bound)
		s.bound = net.JoinHostPort(host, port)
	}
	s.mu.Unlock()
	return ln, nil
}

// Addr is the address the server listens on (after Listen), or was told.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bound != "" {
		return s.bound
	}
	return s.addr
}

// URL is the console page's address.
func (s *Server) URL() string { return "http://" + s.Addr() + "/" }

func (s *Server) hosts() map[string]bool { return hostsFor(s.Addr(), s.extra) }

// hostOnly applies the Host check alone.
func (s *Server) hostOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hosts := s.hosts(); hosts != nil && !hosts[strings.ToLower(r.Host)] {
			writeError(w, http.StatusMisdirectedRequest, "", fmt.Sprintf("This server answers only to %s, not to the host %q.", s.Addr(), r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Serve answers on ln and runs the EOD schedule until ctx ends, then shuts
// down gracefully: requests in flight get up to 5 seconds, a run in
// progress is cancelled. It returns nil after ctx ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.outer, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.schedule(ctx)
	}()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		s.runs.stopAll()
		s.hub.close()
		shut, stop := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(shut)
		stop()
		err = <-done
	}
	cancel()
	wg.Wait()
	s.runs.wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the built-in consumer, closes the senders and the store.
func (s *Server) Close() error {
	s.runs.stopAll()
	s.runs.wait()
	s.builtin.close()
	s.mu.Lock()
	for _, snd := range s.senders {
		snd.Close()
	}
	s.mu.Unlock()
	return s.store.Close()
}

// Settings returns the current settings.
func (s *Server) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// Update applies p to the settings and stores them. A bad value is an
// error wrapping ErrBadSettings, and changes nothing.
func (s *Server) Update(p Patch) (Settings, error) {
	s.mu.Lock()
	next, err := s.settings.Apply(p)
	if err != nil {
		s.mu.Unlock()
		return s.settings, err
	}
	if err := s.store.putMeta(keySettings, next); err != nil {
		s.mu.Unlock()
		return s.settings, show.Refuse("console", "saving the settings: %w", err)
	}
	s.settings = next
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.hub.publish("settings", s.settingsView())
	for _, f := range s.onChange {
		f(next)
	}
	return next, nil
}

// Where is where webhooks go now: the settings' webhook URL, signed with
// serve's key, or the built-in consumer, signed with its own; with the
// probe that goes with it (nil when there is none). Without a key, a URL
// of the user's own is ErrNoKey.
func (s *Server) Where() (url string, key []byte, probe func(ctx context.Context, orgID string) (probe.State, error), err error) {
	t, err := s.target()
	return t.url, t.key, t.probe, err
}

// Log is the delivery log.
func (s *Server) Log() *Log { return s.log }

// target is where webhooks go now, the key that signs for it, and the
// probe: the settings', or the built-in consumer's.
type target struct {
	url   string
	key   []byte
	probe func(ctx context.Context, orgID string) (probe.State, error)
}

// ErrNoKey is wrapped by the error of a send to a webhook URL of the user's
// own when serve was given no app key.
var ErrNoKey = error(&show.Refusal{Pkg: "console", Why: "no app key"})

func (s *Server) target() (target, error) {
	st := s.Settings()
	if st.WebhookURL == "" {
		return target{url: s.builtin.webhookURL(), key: s.builtin.key, probe: s.builtin.probe}, nil
	}
	if s.key == nil {
		return target{}, refuse(ErrNoKey, "webhookUrl", "no app key was given to serve, so only the built-in consumer can be sent to")
	}
	t := target{url: st.WebhookURL, key: s.key}
	if st.ProbeURL != "" {
		t.probe = httpProbe(st.ProbeURL, s.tls)
	}
	return t, nil
}

// senderFor returns the (cached) sender for url.
func (s *Server) senderFor(url string) (*sender.Sender, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if snd, ok := s.senders[url]; ok {
		return snd, nil
	}
	snd, err := sender.New(url, sender.Timeout(s.timeout), sender.TLSConfig(s.tls), sender.KeepAnswerHeaders())
	if err != nil {
		return nil, refuse(ErrBadSettings, "webhookUrl", "the webhook URL is not an http:// or https:// URL")
	}
	s.senders[url] = snd
	return snd, nil
}
