package conformance_test

// Broken consumers whose bug is in checking the signature (see broken_test.go).

import (
	"crypto/hmac"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// SIG-VALID: the signature is checked over the JSON the framework parsed and
// re-serialised (Express's JSON.stringify(req.body), Django's
// json.dumps(request.data)), not over the raw bytes. Compact bodies survive
// the round trip byte for byte; Python-style and indented ones do not.
func sigReserialised() subject {
	return subject{
		name:  "re-serialised body",
		bug:   "verifies the HMAC over the parsed and re-serialised (compact) JSON instead of the raw bytes",
		fails: []string{"SIG-VALID"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
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
		build: func(key []byte) (http.Handler, func(string) probe.State) {
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
		build: func(key []byte) (http.Handler, func(string) probe.State) {
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
		build: func(key []byte) (http.Handler, func(string) probe.State) {
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
		build: func(key []byte) (http.Handler, func(string) probe.State) {
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
		build: func(key []byte) (http.Handler, func(string) probe.State) {
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
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				//lint:ignore SA1008 the bug under test: a consumer that looks the header up by its non-canonical name
				if len(r.Header[sender.HeaderSignature]) == 0 {
					reply(w, http.StatusUnauthorized, "missing signature")
					return
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var _ = Describe("a consumer set up with another key", Label("signature"), func() {
	// Every genuine delivery is refused 401: one cause, said once per check
	// in one sentence, and DEL-ACK-TIME has nothing acknowledged to time.
	It("is told the keys probably differ, and DEL-ACK-TIME is SKIP", func() {
		s := subject{
			name: "another key",
			build: func([]byte) (http.Handler, func(string) probe.State) {
				c := consumer.New([]byte("the-sandbox-app-key"))
				return c, c.State
			},
		}
		o := play(s, uint64(GinkgoRandomSeed()))
		for _, r := range o.results {
			if r.ID == "DEL-ACK-TIME" {
				Expect(r.Verdict).To(Equal(conformance.Skip), o.explain())
				Expect(r.Reason).To(HavePrefix("nothing was acknowledged to time: "))
				Expect(r.Reason).To(HaveSuffix(conformance.KeyMismatchReason))
				continue
			}
			Expect(r.Verdict).To(Equal(conformance.Fail), "%s\n%s", r.ID, o.explain())
			Expect(r.Reason).To(Equal(conformance.KeyMismatchReason), "%s: one sentence, not a failure per delivery", r.ID)
			Expect(r.KeyMismatch).To(BeTrue(), r.ID)
		}
	})

	It("is not told so when only forgeries were refused", func() {
		o := play(subjects()[0], uint64(GinkgoRandomSeed()))
		for _, r := range o.results {
			Expect(r.KeyMismatch).To(BeFalse(), r.ID)
			Expect(r.Verdict).To(Equal(conformance.Pass), "%s: %s", r.ID, r.Reason)
		}
	})
})

// SIG-MISSING, SIG-EMPTY, SIG-WRONG-KEY, SIG-TAMPERED and SIG-NEAR-MISS:
// the signature is checked in the middleware of the sync pipeline, and the
// connection events are routed to a handler mounted beside it that trusts
// what it gets: a forged connection event, with any signature or none,
// changes the connection. Each forgery check forges a copy of the invite,
// so the one bug fails all five; before they did, only sync.* events were
// ever forged, and this consumer passed the catalogue.
func sigSyncOnly() subject {
	return subject{
		name:  "verifies sync.* only",
		bug:   "verifies the signature of sync.* events only, and applies connection.* events unverified",
		fails: []string{"SIG-MISSING", "SIG-EMPTY", "SIG-WRONG-KEY", "SIG-TAMPERED", "SIG-NEAR-MISS"},
		build: func(key []byte) (http.Handler, func(string) probe.State) {
			st := newStore(key)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := readBody(r)
				if env, err := peek(body); err == nil && strings.HasPrefix(env.Event, "connection.events.") {
					relay(w, st.apply(r.Context(), body)) // "connection events come from Tartan's console"
					return
				}
				st.pass(w, r)
			}), st.ref.State
		},
	}
}
