package scenarios

import (
	"errors"
	"net/url"

	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// ProbeError is the error of an HTTPProbe request that got no answer at
// all: refused, a name that does not resolve, TLS, a timeout, a reset. The
// state of every org is then out of reach, so callers stop at the first
// (the CLI exits 3, spec.Declare aborts the suite). A probe that answers,
// even with 500, is not one.
type ProbeError struct {
	// URL is the probe's, as given to HTTPProbe, redacted by
	// sender.RedactURL (password and query values hidden).
	URL string
	// Why says what failed in a few words, as sender.Result.Summary does:
	// "connection refused", "TLS: certificate signed by unknown authority".
	Why string
	// Err is the transport's error, a *url.Error with its URL redacted.
	Err error
}

// Error is "could not reach the state probe URL: Why".
func (e *ProbeError) Error() string { return "could not reach the state probe " + e.URL + ": " + e.Why }

// Unwrap returns the transport's error.
func (e *ProbeError) Unwrap() error { return e.Err }

// probeError makes the ProbeError of err, from a request to probeURL.
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
	return &ProbeError{URL: show.URL(probeURL), Why: why, Err: err}
}
