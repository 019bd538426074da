package conformance_test

// Proof that every check can fail: consumers with one realistic integrator
// bug each, played against all the checks. Each must fail exactly the check
// about its bug and pass every other one, as the reference consumer passes
// them all; so a check is neither blind (it catches the bug) nor loose (it
// blames nothing else).
//
// Most broken consumers are the reference consumer with the buggy code in
// front of it, or with its state reported as the bug leaves it: the
// reference serves as their storage and business logic, so that the bug is
// the only difference. Their probe tells the truth about what they hold.
// One (the last-writer-wins consumer) is written from scratch, as an
// integrator would write it from Tartan's documentation.
//
// TARTAN_MATRIX=1 go test -v ./conformance/ -ginkgo.v prints the verdict matrix.

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

var _ = Describe("broken consumers", Label("broken"), Ordered, ContinueOnFailure, func() {
	var (
		seed   uint64
		played []outcome
	)
	BeforeAll(func() {
		seed = uint64(GinkgoRandomSeed())
	})
	AfterAll(func() {
		if os.Getenv("TARTAN_MATRIX") == "1" {
			fmt.Fprintf(GinkgoWriter, "seed %d\n\n%s", seed, matrix(played))
		}
	})

	It("cover every check: each check has a consumer that fails it", func() {
		covered := map[string]bool{}
		for _, s := range subjects() {
			for _, id := range s.fails {
				_, known := conformance.Lookup(id)
				Expect(known).To(BeTrue(), "%s names an unknown check %s", s.name, id)
				covered[id] = true
			}
		}
		for _, c := range conformance.Checks() {
			Expect(covered).To(HaveKey(c.ID), "no broken consumer fails %s", c.ID)
		}
	})

	for _, s := range subjects() {
		what := "passes every check"
		if s.noProbe {
			what = "passes every check it can be judged on, and the others SKIP"
		}
		if len(s.fails) > 0 {
			what = "fails exactly " + strings.Join(s.fails, ", ")
		}
		labels := Label("reference")
		if len(s.fails) > 0 {
			labels = nil
			for _, id := range s.fails {
				if c, ok := conformance.Lookup(id); ok && !slices.Contains(labels, c.Label) {
					labels = append(labels, c.Label)
				}
			}
		}
		It(s.name+" "+what, labels, func() {
			// TARTAN_REPEAT=N plays the queue-based consumers N times, each
			// with its own seed: their verdicts must not depend on timing.
			for k := range repeats(s) {
				o := play(s, seed+uint64(k))
				played = append(played, o)
				Expect(o.verdicts()).To(Equal(expected(s)), o.explain())
			}
		})
	}
})

// subjects lists the consumers under test: the reference, then one or more
// broken consumers per check, in catalogue order.
func subjects() []subject {
	return append([]subject{
		{
			name: "reference", bug: "none: the reference consumer", httpProbe: true,
			build: func(key []byte) (http.Handler, func(string) consumer.State) {
				c := consumer.New(key)
				return c, c.State
			},
		},
		{
			name: "reference, no probe", bug: "none: the reference consumer, without its probe", noProbe: true,
			build: func(key []byte) (http.Handler, func(string) consumer.State) {
				c := consumer.New(key)
				return c, c.State
			},
		},
		sigReserialised(),
		sigUnsignedPings(),
		sigVacuousAll(),
		sigSandboxKey(),
		sigApplyThenVerify(),
		sigTruncatedMAC(),
		sigExactHeaderName(),
		payUUIDRequestID(),
		payUnknownEvent500(),
		payStrictFields(),
		payStripTags(),
		delSlowOffboarding(),
		delNoIdempotency(),
		delLateDuplicate409(),
		delLastWriterWins(),
		delSessionFirst(),
		delFailFastPool(),
		lifeSeatCap(),
		lifeForgetsLeavers(),
		lifeIgnoresTermination(),
	}, queueSubjects()...)
}

// repeats is how many times s is played: TARTAN_REPEAT (default 1) for the
// queue-based consumers, once for the others.
func repeats(s subject) int {
	n, err := strconv.Atoi(os.Getenv("TARTAN_REPEAT"))
	if err != nil || n < 1 || !isQueue(s) {
		return 1
	}
	return n
}

// SIG-VALID: the signature is checked over the JSON the framework parsed and
// re-serialised (Express's JSON.stringify(req.body), Django's
// json.dumps(request.data)), not over the raw bytes. Compact bodies survive
// the round trip byte for byte; Python-style and indented ones do not.
func sigReserialised() subject {
	return subject{
		name:  "re-serialised body",
		bug:   "verifies the HMAC over the parsed and re-serialised (compact) JSON instead of the raw bytes",
		fails: []string{"SIG-VALID"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := readBody(r)
				doc, derr := wire.Decode(body)
				if err != nil || derr != nil {
					reply(w, http.StatusBadRequest, "the body is not JSON")
					return
				}
				if sender.Verify(key, wire.Encode(doc, wire.Compact), signatureOf(r)) != nil {
					reply(w, http.StatusUnauthorized, "invalid signature")
					return
				}
				relay(w, st.apply(r.Context(), body))
			}), st.ref.State
		},
	}
}

// SIG-MISSING: a request without the header is let through, because the
// "send test webhook" button of a dashboard sends unsigned requests and
// someone made the handler accept them.
func sigUnsignedPings() subject {
	return subject{
		name:  "unsigned test pings",
		bug:   "lets a request without tartan-signature through (taken for an unsigned dashboard test ping)",
		fails: []string{"SIG-MISSING"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if _, signed := r.Header[http.CanonicalHeaderKey(sender.HeaderSignature)]; !signed {
					relay(w, st.apply(r.Context(), body)) // "unsigned: a test ping"
					return
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// SIG-EMPTY: the header must be present, then every signature it lists (it
// was made to take several, for key rotation) must match. An empty header
// lists none, and "every one of none matches" is true.
func sigVacuousAll() subject {
	return subject{
		name:  "vacuous signature list",
		bug:   "requires every signature listed in the header to match; an empty header lists none, so it passes",
		fails: []string{"SIG-EMPTY"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				values, present := r.Header[http.CanonicalHeaderKey(sender.HeaderSignature)]
				if !present {
					reply(w, http.StatusUnauthorized, "missing signature")
					return
				}
				sigs := strings.FieldsFunc(strings.Join(values, ","), func(c rune) bool { return c == ',' || c == ' ' })
				for _, sig := range sigs {
					if sender.Verify(key, body, sig) != nil {
						reply(w, http.StatusUnauthorized, "invalid signature")
						return
					}
				}
				relay(w, st.apply(r.Context(), body))
			}), st.ref.State
		},
	}
}

// SIG-WRONG-KEY: one endpoint serves the production and the sandbox Tartan
// apps and accepts a signature made with either key, whichever app the
// delivery is for: whoever holds the widely shared sandbox key can write to
// production. The harness's other key plays the sandbox key.
func sigSandboxKey() subject {
	return subject{
		name:  "sandbox key accepted",
		bug:   "accepts a signature made with any key it knows (production or sandbox app), not only this app's",
		fails: []string{"SIG-WRONG-KEY"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			keys := [][]byte{key, []byte(sender.WrongKey)} // production, sandbox
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				for _, k := range keys {
					if sender.Verify(k, body, signatureOf(r)) == nil {
						relay(w, st.apply(r.Context(), body))
						return
					}
				}
				reply(w, http.StatusUnauthorized, "invalid signature")
			}), st.ref.State
		},
	}
}

// SIG-TAMPERED (and, unavoidably, SIG-WRONG-KEY and SIG-NEAR-MISS): the
// header is checked for form first (present, 64 hex digits), then the
// delivery is written, then the HMAC is compared and a mismatch is answered
// 401, but the write is not rolled back.
//
// No consumer can fail SIG-TAMPERED alone. Its forgery is built like the
// others (a fresh requestId, one value marked), and its signature is a valid
// HMAC of bytes never sent; to the consumer it is a well-formed signature
// that does not match the body, exactly like the wrong-key one, and further
// from a match than the near-miss one. Whatever wrongly lets a tampered body
// through lets those through as well, unless it computes an HMAC over
// something other than the received bytes that happens to undo the tamper.
// This bug is the narrowest: missing, empty and truncated signatures are
// still refused by the form check.
func sigApplyThenVerify() subject {
	return subject{
		name:  "write before verify",
		bug:   "writes the delivery, then compares the HMAC and answers 401 on a mismatch without rolling the write back",
		fails: []string{"SIG-WRONG-KEY", "SIG-TAMPERED", "SIG-NEAR-MISS"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				sig := signatureOf(r)
				if _, err := hex.DecodeString(sig); err != nil || len(sig) != sender.SignatureLen {
					reply(w, http.StatusUnauthorized, "malformed signature")
					return
				}
				rec := st.apply(r.Context(), body) // the write, in a transaction that is committed anyway
				if sender.Verify(key, body, sig) != nil {
					reply(w, http.StatusUnauthorized, "invalid signature")
					return
				}
				relay(w, rec)
			}), st.ref.State
		},
	}
}

// SIG-NEAR-MISS: only the first 32 hex digits (128 bits, "plenty") of the
// signature are compared, so one wrong last digit, or two missing, pass.
func sigTruncatedMAC() subject {
	return subject{
		name:  "half the MAC compared",
		bug:   "compares only the first 32 hex digits of the signature",
		fails: []string{"SIG-NEAR-MISS"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				sig, want := signatureOf(r), sender.Sign(key, body)
				if len(sig) < 32 || !hmac.Equal([]byte(sig[:32]), []byte(want[:32])) {
					reply(w, http.StatusUnauthorized, "invalid signature")
					return
				}
				relay(w, st.apply(r.Context(), body))
			}), st.ref.State
		},
	}
}

// SIG-HEADER-CASE: the handler runs where header names keep the sender's
// spelling (see rawServer) and looks the header up exactly as documented,
// headers["tartan-signature"], so Tartan-Signature or TARTAN-SIGNATURE is
// "missing".
func sigExactHeaderName() subject {
	return subject{
		name:       "case-sensitive header lookup",
		bug:        `reads headers["tartan-signature"] from a map that keeps the sender's spelling (API-gateway style)`,
		fails:      []string{"SIG-HEADER-CASE"},
		rawHeaders: true,
		httpProbe:  true, // the probe client's GETs go through rawServer too
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if len(r.Header[sender.HeaderSignature]) == 0 { //nolint:staticcheck // the bug: a non-canonical key
					reply(w, http.StatusUnauthorized, "missing signature")
					return
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// PAY-QUIRKS: requestId goes into a UUID column, so a requestId that is not
// a UUID (one of Tartan's own examples) fails validation with 400.
func payUUIDRequestID() subject {
	return subject{
		name:  "requestId parsed as UUID",
		bug:   "parses requestId as a UUID (for a uuid column) and answers 400 when it is not one",
		fails: []string{"PAY-QUIRKS"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
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
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
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
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
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
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if !verified(key, body, r) {
					st.pass(w, r)
					return
				}
				clean, err := rewrite(body, func(doc *wire.Object) {
					if records, ok := doc.Get("body"); ok {
						mapStrings(records, func(s string) string { return tagPattern.ReplaceAllString(s, "") })
					}
				})
				if err != nil {
					reply(w, http.StatusBadRequest, "the body is not JSON")
					return
				}
				relay(w, st.apply(r.Context(), clean))
			}), st.ref.State
		},
	}
}

// slowBudget is the ack budget the slow consumer is judged against. It
// must leave the reference's own latency, in a burst of 16 deliveries at
// once on a loaded machine, well within it (up to ~90 ms seen without the
// race detector, ~800 ms with it, which slows everything about tenfold).
var slowBudget = func() time.Duration {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return 1500 * time.Millisecond
			}
		}
	}
	return 300 * time.Millisecond
}()

// DEL-ACK-TIME: offboarding a leaver (an update to status Not Active)
// calls the payroll API before the delivery is answered, and the payroll
// client is set up lazily on that first call (OAuth token, SDK start-up),
// which takes longer than Tartan waits. Once set up it is fast.
//
// The first leaver of the run is in DEL-ACK-TIME (the only other check
// with leavers, LIFE-SYNC, comes after it in catalogue order, and does not
// judge speed: it cuts a delivery off only at three times the budget).
func delSlowOffboarding() subject {
	return subject{
		name:    "cold payroll client",
		bug:     "offboards a leaver synchronously through a lazily set-up payroll client, whose set-up outlasts the timeout",
		fails:   []string{"DEL-ACK-TIME"},
		timeout: slowBudget,
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			var payroll sync.Once
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if env, err := peek(body); verified(key, body, r) && err == nil && employeeEvent(env.Event) {
					for _, raw := range env.Body {
						if decodeNumbers(raw)["status"] == "Not Active" {
							payroll.Do(func() { time.Sleep(slowBudget * 3 / 2) }) // set-up on first use
							break
						}
					}
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// DEL-DUPLICATE: there is no idempotency. Every delivery received runs its
// side effects (an audit row, a notification, a headcount update) again;
// only the roster upsert happens to be idempotent. The probe's applied
// counts are those side effects.
func delNoIdempotency() subject {
	return subject{
		name:  "no idempotency",
		bug:   "runs a delivery's side effects every time it arrives (no requestId dedup)",
		fails: []string{"DEL-DUPLICATE"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			var mu sync.Mutex
			effects := map[string]map[string]int{} // orgId → requestId → times run
			c := consumer.New(key, consumer.Observe(func(v consumer.Decision) {
				if v.Status != http.StatusOK || v.RequestID == "" {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if effects[v.OrgID] == nil {
					effects[v.OrgID] = map[string]int{}
				}
				effects[v.OrgID][v.RequestID]++
			}))
			return c, func(orgID string) consumer.State {
				s := c.State(orgID)
				mu.Lock()
				defer mu.Unlock()
				s.Applied = map[string]int{}
				for id, n := range effects[orgID] {
					s.Applied[id] = n
				}
				return s
			}
		},
	}
}

// DEL-EOD-RETRY: idempotency is a fast path that recognises an immediate
// retry of the delivery just processed (a last_request_id column per org);
// any other requestId already processed hits the unique key of the
// deliveries table, answered 409 Conflict. A redelivery whose first answer
// was lost comes back at EOD, after other deliveries, and is refused for
// ever.
func delLateDuplicate409() subject {
	return subject{
		name:  "409 on a late redelivery",
		bug:   "answers 409 to a requestId already processed unless it is the org's latest one",
		fails: []string{"DEL-EOD-RETRY"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			var mu sync.Mutex
			done := map[string]bool{}   // requestIds processed (the unique key)
			last := map[string]string{} // orgId → last requestId processed
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				env, err := peek(body)
				if !verified(key, body, r) || err != nil {
					st.pass(w, r)
					return
				}
				mu.Lock()
				conflict := done[env.RequestID] && last[env.OrgID] != env.RequestID
				mu.Unlock()
				if conflict {
					reply(w, http.StatusConflict, "duplicate key value violates unique constraint deliveries_request_id_key")
					return
				}
				rec := st.apply(r.Context(), body)
				if rec.Code < 300 {
					mu.Lock()
					done[env.RequestID], last[env.OrgID] = true, env.RequestID
					mu.Unlock()
				}
				relay(w, rec)
			}), st.ref.State
		},
	}
}

// DEL-STALE: a consumer written from scratch from Tartan's documentation:
// it verifies the raw bytes, dedups on requestId and upserts, but the last
// write wins, whatever its timeStamp: an old redelivery overwrites newer
// data.
func delLastWriterWins() subject {
	return subject{
		name:      "last writer wins (from scratch)",
		bug:       "a hand-written consumer that upserts every record it gets: an older EOD redelivery overwrites newer values",
		fails:     []string{"DEL-STALE"},
		httpProbe: true,
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			n := &naive{key: key, seen: map[string]bool{}, orgs: map[string]*naiveOrg{}}
			return n, n.state
		},
	}
}

// DEL-ORDER: batches are attached to the sync session they belong to; a
// batch of a session that has not started (its sync.events.initiated not
// yet seen) is taken for a leftover of an aborted sync, acknowledged and
// dropped.
func delSessionFirst() subject {
	return subject{
		name:  "drops batches before initiated",
		bug:   "acknowledges and drops employee batches of a sync session whose sync.events.initiated it has not seen",
		fails: []string{"DEL-ORDER"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			var mu sync.Mutex
			started := map[string]bool{} // syncSessionId
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				env, err := peek(body)
				if verified(key, body, r) && err == nil {
					mu.Lock()
					if env.Event == "sync.events.initiated" {
						started[env.SyncSessionID] = true
					}
					orphan := employeeEvent(env.Event) && !started[env.SyncSessionID]
					mu.Unlock()
					if orphan {
						reply(w, http.StatusOK, "") // "not our sync: ignore"
						return
					}
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// DEL-BURST: each delivery holds one of four pooled database connections
// for its transaction: 2 ms on its own (a group commit waits that long for
// company), longer when another delivery holds the org's row lock. The pool
// fails fast: with no connection free, 503. One at a time it is barely
// slower than the reference; in a burst it sheds load.
//
// Whether a burst overlaps enough depends on scheduling: the hold on every
// delivery is what makes sixteen concurrent senders overlap reliably, even
// on a loaded machine (with a hold only under contention, one run in a few
// dozen let the burst through one delivery at a time).
func delFailFastPool() subject {
	const pool = 4
	return subject{
		name:  "fail-fast pool of 4",
		bug:   "answers 503 when more than 4 deliveries are in flight (a fail-fast database pool)",
		fails: []string{"DEL-BURST"},
		// Its bug is load, and checks played side by side are load: one at
		// a time, only the burst finds it.
		parallel: 1,
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			var inFlight atomic.Int32
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				if n > pool {
					reply(w, http.StatusServiceUnavailable, "no database connection available")
					return
				}
				hold := 2 * time.Millisecond // group commit
				if n > 1 {
					hold = 20 * time.Millisecond // waiting for the org's row lock
				}
				time.Sleep(hold)
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// LIFE-SYNC: the integrator's plan has 100 seats per org; employees beyond
// the first 100 are silently not stored.
func lifeSeatCap() subject {
	const seats = 100
	return subject{
		name: "100 seats",
		bug:  "stores at most 100 employees per org and silently drops the rest",
		// DEL-BURST's org has 300 employees: the burst's state judgement
		// sees the data lost behind a 2xx too.
		fails: []string{"LIFE-SYNC", "DEL-BURST"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			var mu sync.Mutex
			held := map[string]map[string]bool{} // orgId → employeeIds stored
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				env, err := peek(body)
				if !verified(key, body, r) || err != nil || !employeeEvent(env.Event) {
					st.pass(w, r)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids := held[env.OrgID]
				if ids == nil {
					ids = map[string]bool{}
					held[env.OrgID] = ids
				}
				capped, err := rewrite(body, func(doc *wire.Object) {
					records, _ := doc.Get("body")
					list, _ := records.([]any)
					var keep []any
					for _, rec := range list {
						o, ok := rec.(*wire.Object)
						if !ok {
							continue
						}
						idv, _ := o.Get("employeeId")
						id := employeeKey(idv)
						if ids[id] || len(ids) < seats {
							ids[id] = true
							keep = append(keep, rec)
						}
					}
					doc.Set("body", append([]any{}, keep...))
				})
				if err != nil {
					reply(w, http.StatusBadRequest, "the body is not JSON")
					return
				}
				relay(w, st.apply(r.Context(), capped))
			}), st.ref.State
		},
	}
}

// LIFE-SYNC: a leaver (an update to status Not Active) is treated as a
// deletion: the roster keeps only active employees.
func lifeForgetsLeavers() subject {
	return subject{
		name:  "leavers deleted",
		bug:   "deletes an employee when an update makes them Not Active, so leavers vanish",
		fails: []string{"LIFE-SYNC"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			c := consumer.New(key)
			return c, func(orgID string) consumer.State {
				s := c.State(orgID)
				s.Employees = slices.DeleteFunc(s.Employees, func(e map[string]any) bool { return e["status"] == "Not Active" })
				return s
			}
		},
	}
}

// LIFE-CONNECTION: only connection.events.requested is wired to the
// connection status; termination is acknowledged and ignored.
func lifeIgnoresTermination() subject {
	return subject{
		name:  "termination ignored",
		bug:   "acknowledges connection.events.terminated but never applies it",
		fails: []string{"LIFE-CONNECTION"},
		build: func(key []byte) (http.Handler, func(string) consumer.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if env, err := peek(body); verified(key, body, r) && err == nil && env.Event == "connection.events.terminated" {
					reply(w, http.StatusOK, "") // TODO: handle termination
					return
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

// naive is a consumer written from scratch: right in everything except
// ordering, where the last write wins.
type naive struct {
	key  []byte
	mu   sync.Mutex
	seen map[string]bool
	orgs map[string]*naiveOrg
}

type naiveOrg struct {
	status    string
	employees map[string]map[string]any
	applied   map[string]int
}

func (n *naive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, consumer.DefaultMaxBody))
	if err != nil {
		reply(w, http.StatusBadRequest, "unreadable body")
		return
	}
	if sender.Verify(n.key, body, r.Header.Get(sender.HeaderSignature)) != nil {
		reply(w, http.StatusUnauthorized, "invalid signature")
		return
	}
	env, err := peek(body)
	if err != nil || env.RequestID == "" || env.OrgID == "" {
		reply(w, http.StatusBadRequest, "not a Tartan envelope")
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen[env.RequestID] {
		reply(w, http.StatusOK, "")
		return
	}
	n.seen[env.RequestID] = true
	o := n.orgs[env.OrgID]
	if o == nil {
		o = &naiveOrg{employees: map[string]map[string]any{}, applied: map[string]int{}}
		n.orgs[env.OrgID] = o
	}
	o.applied[env.RequestID]++
	switch {
	case employeeEvent(env.Event):
		for _, raw := range env.Body {
			rec := decodeNumbers(raw)
			if id := employeeKey(rec["employeeId"]); id != "" {
				o.employees[id] = rec // the bug: no look at timeStamp
			}
		}
	case strings.HasPrefix(env.Event, "connection.events.") && len(env.Body) > 0:
		if s, ok := decodeNumbers(env.Body[0])["status"].(string); ok {
			o.status = s
		}
	}
	reply(w, http.StatusOK, "")
}

func (n *naive) state(orgID string) consumer.State {
	s := consumer.State{OrgID: orgID, Employees: []map[string]any{}, Applied: map[string]int{}}
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.orgs[orgID]
	if o == nil {
		return s
	}
	s.ConnectionStatus = o.status
	ids := make([]string, 0, len(o.employees))
	for id := range o.employees {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s.Employees = append(s.Employees, o.employees[id]) // never mutated once stored
	}
	for id, c := range o.applied {
		s.Applied[id] = c
	}
	return s
}

// decodeNumbers decodes a JSON object keeping numbers as written; anything
// else gives nil.
func decodeNumbers(raw []byte) map[string]any {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}
