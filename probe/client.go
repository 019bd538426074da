package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// Func reads what a consumer holds about one org: the state probe as a Go
// function. An integrator's test can pass one instead of a URL; HTTP makes
// one of a URL. An org the consumer knows nothing of is a State with
// nothing in it, not an error; the error is for a probe that could not
// answer.
type Func func(ctx context.Context, orgID string) (State, error)

// HTTP returns the client of a state probe that GETs probeURL?orgId=… (the
// org ID query-escaped) with client (nil: a client with a 10 s timeout).
// 404 means nothing stored. A request that gets no answer fails with an
// *Error.
func HTTP(probeURL string, client *http.Client) Func {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return func(ctx context.Context, orgID string) (State, error) {
		sep := "?"
		if strings.Contains(probeURL, "?") {
			sep = "&"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, probeURL+sep+"orgId="+url.QueryEscape(orgID), nil)
		if err != nil {
			return State{}, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return State{}, probeError(probeURL, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			return State{}, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			st, err := Parse(body)
			if err != nil {
				return st, fmt.Errorf("%w; it answered %s", err, quoteAnswer(body))
			}
			return st, nil
		case http.StatusNotFound:
			return State{OrgID: orgID}, nil
		}
		return State{}, fmt.Errorf("probe answered %s", resp.Status)
	}
}

// maxQuoted bounds how much of a bad probe answer an error quotes.
const maxQuoted = 200

// quoteAnswer quotes the start of a probe's answer for an error message.
func quoteAnswer(body []byte) string {
	if len(body) > maxQuoted {
		return strconv.Quote(string(body[:maxQuoted])) + "…"
	}
	return strconv.Quote(string(body))
}

// Error is the error of an HTTP probe request that got no answer at
// all: refused, a name that does not resolve, TLS, a timeout, a reset. The
// state of every org is then out of reach, so callers stop at the first
// (the CLI exits 3, spec.Declare aborts the suite). A probe that answers,
// even with 500, is not one.
type Error struct {
	// URL is the probe's, as given to HTTP, redacted by
	// show.URL (password and query values hidden).
	URL string
	// Why says what failed in a few words, as sender.Result.Summary does:
	// "connection refused", "TLS: certificate signed by unknown authority".
	Why string
	// Err is the transport's error, a *url.Error with its URL redacted.
	Err error
}

// Error is "could not reach the state probe URL: Why".
func (e *Error) Error() string { return "could not reach the state probe " + e.URL + ": " + e.Why }

// Unwrap returns the transport's error.
func (e *Error) Unwrap() error { return e.Err }

// probeError makes the Error of err, from a request to probeURL.
// net/http's *url.Error quotes the URL with its query (often a token), so
// the one it wraps has its URL redacted.
func probeError(probeURL string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: show.URL(ue.URL), Err: ue.Err}
	}
	why := "timed out" // a Result's own words would give a duration of 0
	if c := sender.Classify(err); c != sender.ClassTimeout {
		why = sender.Result{Class: c, Err: err}.Summary() // "connection refused", "TLS: …", "DNS: …"
	}
	return &Error{URL: show.URL(probeURL), Why: why, Err: err}
}
