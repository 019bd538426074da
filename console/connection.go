package console

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// checkOrg is the org the connection test asks the probe about: one no
// delivery ever named, so a probe answers it with an empty state.
const checkOrg = "tartansim-connection-test"

// ConnectionRequest is the body of POST /api/console/connection: the URLs
// to test, as typed and maybe not saved yet; a nil one is the settings'.
type ConnectionRequest struct {
	WebhookURL *string `json:"webhookUrl,omitempty"`
	ProbeURL   *string `json:"probeUrl,omitempty"`
}

// Reached says whether one URL answered the connection test.
type Reached struct {
	// URL is the URL tested, password and query values hidden.
	URL      string `json:"url"`
	Answered bool   `json:"answered"`
	// Status is the webhook URL's HTTP status (0: no answer).
	Status int     `json:"status,omitempty"`
	Ms     float64 `json:"latencyMs"`
	// Result says it in words: "answered 405 Method Not Allowed", "a
	// state of 0 employees", "connection refused".
	Result string `json:"result"`
}

// Connection is the answer of the connection test: the webhook URL's, and
// the probe's when there is one.
type Connection struct {
	Webhook Reached  `json:"webhook"`
	Probe   *Reached `json:"probe,omitempty"`
}

// TestConnection reports whether the webhook URL and the state probe
// answer. It sends nothing signed and nothing a consumer would apply: a
// GET of the webhook URL (any answer counts: a consumer may well refuse a
// GET), and the probe's own read of an org no one holds. Nothing is
// logged. A URL that cannot be read is refused, naming its key.
func (s *Server) TestConnection(ctx context.Context, req ConnectionRequest) (Connection, error) {
	st, err := s.Settings().Apply(Patch{WebhookURL: req.WebhookURL, ProbeURL: req.ProbeURL})
	if err != nil {
		return Connection{}, err
	}
	client := &http.Client{Timeout: s.timeout, Transport: &http.Transport{TLSClientConfig: s.tls, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	webhook, pr := st.WebhookURL, probe.Func(nil)
	switch {
	case webhook == "":
		webhook, pr = s.builtin.webhookURL(), s.builtin.probe
	case st.ProbeURL != "":
		pr = probe.HTTP(st.ProbeURL, client)
	}
	c := Connection{Webhook: reach(ctx, client, webhook)}
	if pr != nil {
		shown := "the built-in consumer's probe"
		if st.WebhookURL != "" {
			shown = show.URL(st.ProbeURL)
		}
		c.Probe = readProbe(ctx, pr, shown)
	}
	return c, nil
}

// reach GETs url and says whether it answered.
func reach(ctx context.Context, client *http.Client, url string) Reached {
	r := Reached{URL: show.URL(url)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		r.Result = "cannot be asked: " + err.Error()
		return r
	}
	start := time.Now()
	resp, err := client.Do(req)
	r.Ms = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		r.Result = "did not answer: " + unanswered(err)
		return r
	}
	resp.Body.Close()
	r.Answered, r.Status = true, resp.StatusCode
	r.Result = fmt.Sprintf("answered %s to a GET", resp.Status)
	return r
}

// readProbe reads the state of an org no one holds.
func readProbe(ctx context.Context, pr probe.Func, shown string) *Reached {
	r := &Reached{URL: shown}
	start := time.Now()
	st, err := pr(ctx, checkOrg)
	r.Ms = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		r.Result = "did not answer with a state: " + plainError(err)
		return r
	}
	r.Answered = true
	r.Result = fmt.Sprintf("answered with a state: %d employee(s) for an org no delivery named", len(st.Employees))
	return r
}

func (s *Server) postConnection(w http.ResponseWriter, r *http.Request) {
	var req ConnectionRequest
	if !readJSON(w, r, &req) {
		return
	}
	c, err := s.TestConnection(r.Context(), req)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// unanswered says in a few words why a GET got no answer.
func unanswered(err error) string {
	switch sender.Classify(err) {
	case sender.ClassRefused:
		return "connection refused"
	case sender.ClassTimeout:
		return "no answer within the timeout"
	case sender.ClassDNS:
		return "the host name is not known"
	case sender.ClassTLS:
		return "the TLS handshake failed"
	case sender.ClassReset:
		return "the connection was closed without an answer"
	}
	return plainError(err)
}
