package console

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
)

// builtin is tartansim's reference consumer on a loopback port of its own:
// the webhook URL of a console with none set, so that everything works
// with no set-up.
type builtin struct {
	c   *consumer.Consumer
	key []byte
	ln  net.Listener
	srv *http.Server
}

func startBuiltin(key []byte) (*builtin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &builtin{c: consumer.New(key), key: key, ln: ln}
	b.srv = consumer.NewServer(ln.Addr().String(), b.c.Handler())
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

func (b *builtin) webhookURL() string { return "http://" + b.ln.Addr().String() + consumer.WebhookPath }

func (b *builtin) probe(_ context.Context, orgID string) (probe.State, error) {
	return b.c.State(orgID), nil
}

func (b *builtin) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = b.srv.Shutdown(ctx)
}

// httpProbe is the state probe at url, trusted as the webhook is.
func httpProbe(url string, tlsConfig *tls.Config) probe.Func {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: nil}}
	return probe.HTTP(url, client)
}
