package console

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/internal/journal"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// builtin is tartansim's reference consumer on a loopback port of its own:
// the webhook URL of a console with none set, so that everything works
// with no set-up. What it accepted is kept in the store's journal
// "builtin", and given to it again when the console starts, so that it
// holds after a restart what it held before, as a consumer with a
// database of its own does (and the mock Tartan API's verdicts, judged
// again, stay true).
type builtin struct {
	c   *consumer.Consumer
	key []byte
	ln  net.Listener
	srv *http.Server
	w   *journal.Writer
}

// builtinJournal is the name of the built-in consumer's journal.
const builtinJournal = "builtin"

func startBuiltin(key []byte, j *Journal) (*builtin, error) {
	kept, err := j.Load()
	if err != nil {
		return nil, err
	}
	b := &builtin{c: consumer.New(key), key: key}
	for _, body := range kept { // signed anew: the key may have changed
		p := sender.Prepare(key, body, sender.SignatureValid, sender.HeaderLower)
		req := httptest.NewRequest(http.MethodPost, consumer.WebhookPath, bytes.NewReader(p.Body))
		req.Header = p.Header
		b.c.ServeHTTP(httptest.NewRecorder(), req)
	}
	if b.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	b.w = journal.NewWriter(j)
	b.srv = consumer.NewServer(b.ln.Addr().String(), b.keeping(b.c.Handler()))
	go func() { _ = b.srv.Serve(b.ln) }()
	return b, nil
}

// keeping serves h, and journals the body of every webhook h accepts.
func (b *builtin) keeping(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != consumer.WebhookPath {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, consumer.DefaultMaxBody+1))
		if err != nil {
			http.Error(w, "the body could not be read", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusOf{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		if sw.code >= 200 && sw.code < 300 {
			b.w.Add(body)
		}
	})
}

// statusOf notes the status a handler answered.
type statusOf struct {
	http.ResponseWriter
	code int
}

func (s *statusOf) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (b *builtin) webhookURL() string { return "http://" + b.ln.Addr().String() + consumer.WebhookPath }

func (b *builtin) probe(_ context.Context, orgID string) (probe.State, error) {
	return b.c.State(orgID), nil
}

func (b *builtin) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = b.srv.Shutdown(ctx)
	_ = b.w.Close()
}

// httpProbe is the state probe at url, trusted as the webhook is.
func httpProbe(url string, tlsConfig *tls.Config) probe.Func {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: nil}}
	return probe.HTTP(url, client)
}
