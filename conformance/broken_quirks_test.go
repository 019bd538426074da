package conformance_test

// Broken consumers whose bug is in how they store values that real HRMS
// exports hold (see broken_test.go): the generated data gives one employee
// in fixtures.QuirkSpan of every org each quirk, so every check whose org
// has that many employees meets them, and PAY-TEXT sends each one on
// purpose as well.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/text/unicode/norm"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// valueChecks are the checks that judge every stored value: each has an
// org of at least fixtures.QuirkSpan employees, so each meets every quirk
// (DEL-STALE's one employee, the head of its org, has none).
var valueChecks = []string{"PAY-QUIRKS", "PAY-UNKNOWN", "PAY-TEXT", "DEL-EOD-RETRY", "DEL-RACE", "DEL-ORDER", "DEL-EARLY", "LIFE-SYNC"}

// rewriting is a consumer that verifies correctly and then changes every
// delivery's body with f before the reference stores it: the bug is in f.
func rewriting(f func(body any)) func(key []byte) (http.Handler, func(string) probe.State) {
	return func(key []byte) (http.Handler, func(string) probe.State) {
		st := newStore(key)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := readBody(r)
			if !verified(key, body, r) {
				st.pass(w, r)
				return
			}
			changed, err := rewrite(body, func(doc *wire.Object) {
				if records, ok := doc.Get("body"); ok {
					f(records)
				}
			})
			if err != nil {
				reply(w, http.StatusBadRequest, "the body is not JSON")
				return
			}
			relay(w, st.apply(r.Context(), changed))
		}), st.ref.State
	}
}

// mapField applies f to the string values of every key of v (at any depth)
// that keep accepts.
func mapField(v any, keep func(key string) bool, f func(string) string) {
	switch t := v.(type) {
	case *wire.Object:
		for i := range t.Len() {
			k, e := t.At(i)
			if s, ok := e.(string); ok && keep(k) {
				t.Set(k, f(s))
				continue
			}
			mapField(e, keep, f)
		}
	case []any:
		for _, e := range t {
			mapField(e, keep, f)
		}
	}
}

// quirkIntegerCode: employeeId goes into a column with integer affinity
// (SQLite's INTEGER, a spreadsheet, a dynamically typed store): a code that
// looks like a number is stored as one, so "00042" comes back as "42". The
// employee is then missing under its code, which every check that judges
// records sees as data lost.
func quirkIntegerCode() subject {
	return subject{
		name: "employeeId in an integer column",
		bug:  "stores employeeId in a column with integer affinity, so a zero-padded code loses its zeros",
		fails: []string{"SIG-VALID", "SIG-HEADER-CASE", "PAY-QUIRKS", "PAY-UNKNOWN", "PAY-TEXT", "DEL-DUPLICATE", "DEL-EOD-RETRY",
			"DEL-RACE", "DEL-ORDER", "DEL-EARLY", "DEL-BURST", "LIFE-SYNC", "LIFE-TERMINATION"},
		build: rewriting(func(body any) {
			mapField(body, func(k string) bool { return k == "employeeId" }, func(s string) string {
				if n, err := strconv.ParseInt(s, 10, 64); err == nil {
					return strconv.FormatInt(n, 10)
				}
				return s
			})
		}),
	}
}

// quirkLowerEmail: every email address is lower-cased before it is stored,
// for a case-insensitive unique index, so "Amit.Sharma@nexora.com" is not
// what the HRMS holds. ("NOT AVAILABLE" is no address and stays.)
func quirkLowerEmail() subject {
	return subject{
		name:  "emails lower-cased",
		bug:   "lower-cases every email address (email, personalEmail, managerEmail…) before storing it",
		fails: valueChecks,
		build: rewriting(func(body any) {
			mapField(body, isEmailKey, func(s string) string {
				if strings.Contains(s, "@") {
					return strings.ToLower(s)
				}
				return s
			})
		}),
	}
}

// isEmailKey reports whether a record key holds an email address.
func isEmailKey(k string) bool { return strings.Contains(strings.ToLower(k), "email") }

// quirkNormalised: every string is normalised before it is stored, NFC or
// NFKC, "to make search work": a decomposed é, a precomposed nukta letter
// (NFC), a full-width letter, a ligature, a no-break space (NFKC) change.
func quirkNormalised(form norm.Form, name string) subject {
	return subject{
		name:  "text normalised to " + name,
		bug:   "normalises every string to Unicode " + name + " before storing it",
		fails: valueChecks,
		build: rewriting(func(body any) { mapStrings(body, form.String) }),
	}
}

func quirkSubjects() []subject {
	return []subject{quirkIntegerCode(), quirkLowerEmail(), quirkNormalised(norm.NFC, "NFC"), quirkNormalised(norm.NFKC, "NFKC")}
}

var _ = Describe("a consumer that normalises text", Label("broken", "payload"), func() {
	It("is shown, in PAY-TEXT, the code points it changed, since the two strings look alike", func() {
		s := quirkNormalised(norm.NFC, "NFC")
		s.keep = func(c conformance.Check) bool { return c.ID == "PAY-TEXT" }
		seed := uint64(GinkgoRandomSeed())
		o := play(s, seed)
		Expect(o.results).To(HaveLen(1))
		r := o.results[0]
		Expect(r.Verdict).To(Equal(conformance.Fail), "seed %d", seed)
		Expect(strings.Join(r.Details, "\n")).To(ContainSubstring(`e\u0301`), "seed %d: the decomposed é of PAY-TEXT's Jose\u0301 Gomes, escaped", seed)
	})
})

var _ = Describe("the data of a default run of the catalogue", func() {
	It("holds every quirk in every check that judges values, under several seeds", func() {
		s, err := sender.New("http://127.0.0.1:1/webhook") // a dry run sends nothing
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		for _, seed := range []uint64{1, 2, 3, 4, 5, uint64(GinkgoRandomSeed())} {
			all := map[fixtures.Quirk]bool{}
			for _, c := range conformance.Checks() {
				sc, err := c.Scenario(seed)
				Expect(err).NotTo(HaveOccurred())
				var log bytes.Buffer
				_, err = scenarios.NewRunner(s, []byte(appKey), scenarios.Seed(seed), scenarios.DryRun(), scenarios.Record(&log)).Run(context.Background(), sc)
				Expect(err).NotTo(HaveOccurred())
				found := quirksIn(&log)
				for q := range found {
					all[q] = true
				}
				if slices.Contains(valueChecks, c.ID) {
					Expect(found).To(HaveLen(4), "seed %d: %s sends only %v", seed, c.ID, found)
				}
			}
			Expect(all).To(HaveLen(4), "seed %d", seed)
		}
	})
})

// quirksIn reads a delivery log and returns the quirks its genuine
// employee records show, judged from the values as a consumer meets them.
func quirksIn(log io.Reader) map[fixtures.Quirk]bool {
	GinkgoHelper()
	found := map[fixtures.Quirk]bool{}
	r := deliverylog.NewReader(log, "dry run")
	for {
		a, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		Expect(err).NotTo(HaveOccurred())
		if a.Forged || !employeeEvent(a.Event) {
			continue
		}
		doc, err := wire.Decode([]byte(a.Body))
		Expect(err).NotTo(HaveOccurred())
		records, _ := doc.(*wire.Object).Get("body")
		for _, rec := range records.([]any) {
			mapField(rec, func(string) bool { return true }, func(v string) string {
				switch {
				case !norm.NFC.IsNormalString(v):
					found[fixtures.NotNFC] = true
				case !norm.NFKC.IsNormalString(v):
					found[fixtures.Compatibility] = true
				}
				return v
			})
			mapField(rec, func(k string) bool { return k == "employeeId" }, func(v string) string {
				if _, err := strconv.Atoi(v); err == nil && strings.HasPrefix(v, "0") {
					found[fixtures.LegacyCode] = true
				}
				return v
			})
			mapField(rec, isEmailKey, func(v string) string {
				if v != strings.ToLower(v) {
					found[fixtures.MixedCaseEmail] = true
				}
				return v
			})
		}
	}
	return found
}
