package console

import (
	"context"
	"net/http"
	"time"
)

// Recoverer re-sends through Tartan's own resend every failed delivery made
// from since to until: the mock Tartan API's POST /api/webhooks/resend with
// a time range and failed only, so that each re-send counts as a resend in
// its verdicts. It returns how many deliveries it queued; their attempts
// join the log through Record as they are sent.
type Recoverer func(ctx context.Context, since, until time.Time) (int, error)

// RecoverThrough gives the console its "recover every failure since"
// (POST /api/console/recover): f, which serve wires to the mock Tartan
// API.
func RecoverThrough(f Recoverer) Option { return func(s *Server) { s.recoverer = f } }

// RecoverRequest is the body of POST /api/console/recover: RFC 3339 times;
// Until "" is now.
type RecoverRequest struct {
	Since string `json:"since"`
	Until string `json:"until,omitempty"`
}

// Recovered is the answer of POST /api/console/recover: how many failed
// deliveries Tartan's resend queued, made from Since to Until.
type Recovered struct {
	Handed int       `json:"handed"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
}

// Recover hands every failed delivery made from since to until (zero:
// now) to the Recoverer: Tartan's own resend.
func (s *Server) Recover(ctx context.Context, req RecoverRequest) (Recovered, error) {
	if s.recoverer == nil {
		return Recovered{}, refuse(ErrNotFound, "", "this console has no mock Tartan API beside it to recover failures through; tartansim serve has one")
	}
	if req.Since == "" {
		return Recovered{}, refuse(ErrBadInput, "since", "give since: the time from which to recover every failure, like 2026-12-06T09:00:00Z")
	}
	since, err := time.Parse(time.RFC3339Nano, req.Since)
	if err != nil {
		return Recovered{}, refuse(ErrBadInput, "since", "the value %q of since is not a time like 2026-12-06T09:00:00Z", req.Since)
	}
	until := s.clock.Now()
	if req.Until != "" {
		if until, err = time.Parse(time.RFC3339Nano, req.Until); err != nil {
			return Recovered{}, refuse(ErrBadInput, "until", "the value %q of until is not a time like 2026-12-06T09:00:00Z", req.Until)
		}
	}
	if until.Before(since) {
		return Recovered{}, refuse(ErrBadInput, "until", "until (%s) is before since (%s)", until.Format(time.RFC3339), since.Format(time.RFC3339))
	}
	n, err := s.recoverer(ctx, since, until)
	if err != nil {
		return Recovered{}, err
	}
	return Recovered{Handed: n, Since: since, Until: until}, nil
}

func (s *Server) postRecover(w http.ResponseWriter, r *http.Request) {
	var req RecoverRequest
	if !readJSON(w, r, &req) {
		return
	}
	rec, err := s.Recover(r.Context(), req)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, rec)
}
