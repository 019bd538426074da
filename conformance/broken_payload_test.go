package conformance_test

// Broken consumers whose bug is in reading the payload (see broken_test.go).

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/tartansim/tartansim/probe"
)

// PAY-QUIRKS: requestId goes into a UUID column, so a requestId that is not
// a UUID (one of Tartan's own examples) fails validation with 400.
func payUUIDRequestID() subject {
	return subject{
		name:  "requestId parsed as UUID",
		bug:   "parses requestId as a UUID (for a uuid column) and answers 400 when it is not one",
		fails: []string{"PAY-QUIRKS"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if verified(key, body, r) {
					if env, err := peek(body); err == nil && !uuidPattern.MatchString(env.RequestID) {
						reply(w, http.StatusBadRequest, "requestId: invalid UUID length")
						return
					}
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// PAY-UNKNOWN: events are dispatched through a table of handlers, and an
// event with none is an error (500) instead of being acknowledged.
func payUnknownEvent500() subject {
	handled := map[string]bool{
		"connection.events.requested": true, "connection.events.terminated": true,
		"sync.events.initiated": true, "sync.events.employee.add": true, "sync.events.employee.update": true,
	}
	return subject{
		name:  "no handler, 500",
		bug:   "answers 500 to an event it has no handler for",
		fails: []string{"PAY-UNKNOWN"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if verified(key, body, r) {
					if env, err := peek(body); err == nil && !handled[env.Event] {
						reply(w, http.StatusInternalServerError, "no handler for event "+env.Event)
						return
					}
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// strictEnvelope is every documented envelope key; decoded with
// DisallowUnknownFields.
type strictEnvelope struct {
	SyncSessionID  json.RawMessage `json:"syncSessionId"`
	WebhookCounter json.RawMessage `json:"webhookCounter"`
	RequestID      json.RawMessage `json:"requestId"`
	OrgID          json.RawMessage `json:"orgId"`
	VendorOrgID    json.RawMessage `json:"vendor.orgId"`
	Event          json.RawMessage `json:"event"`
	EventType      json.RawMessage `json:"eventType"`
	RecordCount    json.RawMessage `json:"recordCount"`
	Body           json.RawMessage `json:"body"`
	TimeStamp      json.RawMessage `json:"timeStamp"`
	StatusCode     json.RawMessage `json:"statusCode"`
	Message        json.RawMessage `json:"message"`
}

// PAY-UNKNOWN: the envelope is decoded strictly, so a key Tartan adds one
// day makes every delivery a 400.
func payStrictFields() subject {
	return subject{
		name:  "strict envelope",
		bug:   "decodes the envelope with DisallowUnknownFields and answers 400 to an unknown key",
		fails: []string{"PAY-UNKNOWN"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if verified(key, body, r) {
					dec := json.NewDecoder(strings.NewReader(string(body)))
					dec.DisallowUnknownFields()
					if err := dec.Decode(&strictEnvelope{}); err != nil {
						reply(w, http.StatusBadRequest, err.Error())
						return
					}
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

var tagPattern = regexp.MustCompile(`<[^>]*>`)

// PAY-TEXT: every string is "sanitised against XSS" by stripping what looks
// like an HTML tag before it is stored, so "<Sons>" and "<Lead>" vanish.
func payStripTags() subject {
	return subject{
		name:  "strip-tags sanitiser",
		bug:   "strips anything that looks like an HTML tag from the text it stores",
		fails: []string{"PAY-TEXT"},
		build: rewriting(func(body any) {
			mapStrings(body, func(s string) string { return tagPattern.ReplaceAllString(s, "") })
		}),
	}
}

// PAY-TEXT, and the other checks that judge records as data: maritalStatus
// goes into an enum column spelled in capitals (MARRIED), and the probe
// reports the column. One text field is stored wrongly in every record, so
// every check that judges the data FAILs, and no other: not the signature
// checks, whose concern is what forgeries did, nor the delivery checks that
// judge only data lost or applied twice.
func payEnumColumn() subject {
	return subject{
		name:  "maritalStatus in an enum column",
		bug:   "stores maritalStatus upper-cased, as its enum column spells it",
		fails: []string{"PAY-QUIRKS", "PAY-UNKNOWN", "PAY-TEXT", "DEL-EOD-RETRY", "DEL-STALE", "DEL-RACE", "DEL-ORDER", "DEL-EARLY", "LIFE-SYNC"},
		build: rewriting(func(body any) {
			mapField(body, func(k string) bool { return k == "maritalStatus" }, strings.ToUpper)
		}),
	}
}
