package console

import (
	"encoding/json"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// Outcomes of an attempt, as the deliveries filter names them.
const (
	OutcomeOK     = "ok"     // answered 2xx
	OutcomeFailed = "failed" // anything else: Tartan re-sends it at EOD
)

// Whether an attempt met what was expected of it, as the deliveries
// filter names it (deliverylog.Attempt.Met).
const (
	ExpectedMet   = "met"
	ExpectedUnmet = "unmet"
)

// Row is what the deliveries list and the live stream show of an attempt:
// the log's one record, deliverylog.Attempt, without its request and
// answer bytes (GET /api/console/deliveries/{id} has them), and what
// follows from it: its outcome and whether the consumer met what was
// expected of it. It is a view, made by rowOf.
type Row struct {
	deliverylog.Attempt
	Judged
}

// Judged is what follows from an attempt for the page.
type Judged struct {
	// Outcome is ok (acknowledged) or failed.
	Outcome string `json:"outcome"`
	// AsExpected says the consumer did what was expected (Attempt.Met): a
	// forged attempt rightly rejected, or a failure tartansim injected, is
	// as expected.
	AsExpected bool `json:"met"`
}

func judged(a *deliverylog.Attempt) Judged {
	j := Judged{Outcome: OutcomeFailed, AsExpected: a.Met()}
	if a.OK() {
		j.Outcome = OutcomeOK
	}
	return j
}

// UnmarshalJSON reads a row: the attempt's own UnmarshalJSON, promoted,
// would leave Judged empty.
func (r *Row) UnmarshalJSON(b []byte) error { return unmarshalJudged(b, &r.Attempt, &r.Judged) }

func unmarshalJudged(b []byte, a *deliverylog.Attempt, j *Judged) error {
	if err := json.Unmarshal(b, a); err != nil {
		return err
	}
	return json.Unmarshal(b, j)
}

// rowOf is the row of a.
func rowOf(a deliverylog.Attempt) Row { return Row{Attempt: brief(a), Judged: judged(&a)} }

// brief is a without its request and answer bytes: what the log keeps in
// memory and in its index.
func brief(a deliverylog.Attempt) deliverylog.Attempt {
	a.Headers, a.Body, a.Answer, a.AnswerHeaders = nil, "", "", nil
	return a
}

// newAttempt makes the log's record of one send of d to target, a
// delivery of source (what made it: its first attempt's source, kept by
// its resends and EOD re-sends).
func newAttempt(source deliverylog.Source, run string, kind deliverylog.Kind, target string, d sender.Delivery, forged bool, res sender.Result) deliverylog.Attempt {
	a := deliverylog.New(source, kind, d, forged, res)
	a.Run, a.Target = run, show.URL(target)
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	return a
}

// readEnvelope reads what it can of body's envelope; a body that is not an
// object gives empty fields.
func readEnvelope(body []byte) wire.Envelope {
	env, _ := wire.ReadEnvelope(body)
	return env
}
