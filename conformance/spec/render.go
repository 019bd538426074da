package spec

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// How much of a body and of an answer a failure message shows. The curl
// line always carries the whole body: a cut body would not verify.
const (
	bodyShown    = 600
	snippetShown = 200
)

// deliveryView is a delivery as a failure message shows it, every field
// ready to print. The templates only lay it out.
type deliveryView struct {
	Name     string   // "delivery 3 of sig-missing: sync.events.employee.add #2, ..."
	Seed     string   // "42", or why it is unknown
	Target   string   // the URL posted to (password and query values redacted)
	Headers  []string // "name: value", content-type first
	BodyNote string   // "412 bytes" or "4123 bytes, the first 600 shown ..."
	Body     []string // the body's lines as sent, cut at bodyShown bytes
	Attempts []string // one line per send of these bytes, with the answer
	Curl     string   // a shell command that sends the same bytes
}

// viewOf renders d; rep (nil when unknown) gives the target and the seed.
func viewOf(d *scenarios.Delivery, rep *scenarios.Report) deliveryView {
	v := deliveryView{
		Name:     name(d, rep),
		Seed:     "unknown (match spec.Deliveries(report) to show it)",
		Target:   "unknown (match spec.Deliveries(report) to show it)",
		Headers:  headerLines(d.Header),
		Attempts: attemptLines(d.Attempts),
	}
	target := ""
	if rep != nil {
		v.Seed = strconv.FormatUint(rep.Seed, 10)
		if rep.Target != "" {
			v.Target = show.URL(rep.Target)
			target = rep.Target
		}
	}
	v.BodyNote, v.Body = bodyLines(d.Body)
	v.Curl = show.Curl(target, d.Header, d.Body)
	return v
}

// name says which delivery this is, in the words of the judge.
func name(d *scenarios.Delivery, rep *scenarios.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "delivery %d", d.Seq)
	if rep != nil && rep.Scenario != "" {
		fmt.Fprintf(&b, " of %s", rep.Scenario)
	}
	fmt.Fprintf(&b, ": %s", orUnknown(d.Event, "an event"))
	if d.WebhookCounter != 0 {
		fmt.Fprintf(&b, " #%d", d.WebhookCounter)
	}
	fmt.Fprintf(&b, ", requestId %s", orUnknown(d.RequestID, "none"))
	if d.OrgID != "" {
		fmt.Fprintf(&b, ", org %s", d.OrgID)
	}
	switch {
	case d.Forged:
		fmt.Fprintf(&b, ", forged (%s)", orUnknown(d.Fault, "bad signature"))
	case d.Fault != "":
		fmt.Fprintf(&b, ", fault %s", d.Fault)
	}
	return b.String()
}

func orUnknown(s, instead string) string {
	if s == "" {
		return instead
	}
	return s
}

// isSignature reports whether a header name is tartan-signature, in any case.
func isSignature(name string) bool { return strings.EqualFold(name, sender.HeaderSignature) }

// headerLines lists the headers as sent. The signature is shown whole: it
// is what the consumer judged, and it reveals nothing of the key.
func headerLines(h http.Header) []string {
	var lines []string
	signed := false
	for _, k := range show.HeaderNames(h) {
		signed = signed || isSignature(k)
		for _, v := range h[k] {
			lines = append(lines, k+": "+v)
		}
	}
	if !signed {
		lines = append(lines, "(no "+sender.HeaderSignature+" header)")
	}
	return lines
}

// bodyLines shows the body's bytes as sent, up to bodyShown of them (cut at
// a character boundary). Bytes that would not print plainly are quoted
// instead, so that what is shown is always exact.
func bodyLines(body []byte) (string, []string) {
	if len(body) == 0 {
		return "empty", nil
	}
	shown, note := body, fmt.Sprintf("%d bytes", len(body))
	if len(body) > bodyShown {
		cut := runeCut(body, bodyShown)
		shown = body[:cut]
		note = fmt.Sprintf("%d bytes, the first %d shown; the curl line below has them all", len(body), cut)
	}
	if !show.Printable(shown) {
		return note + ", Go-quoted", []string{strconv.Quote(string(shown))}
	}
	return note, strings.Split(string(shown), "\n")
}

// attemptLines describes every send of a delivery and its answer.
func attemptLines(as []scenarios.Attempt) []string {
	if len(as) == 0 {
		return []string{"never sent"}
	}
	lines := make([]string, 0, len(as))
	for i, a := range as {
		line := fmt.Sprintf("%d. %s at %s: %s", i+1, orUnknown(string(a.Kind), "send"), a.At, answer(a))
		if s := a.Result.Snippet; len(s) > 0 {
			line += ", answer body " + snippet(s)
		}
		lines = append(lines, line)
	}
	return lines
}

// answer is the one-line summary of an attempt's answer, from its Result
// or, for an Attempt built by hand, from its Status and Error.
func answer(a scenarios.Attempt) string {
	zero := a.Result.Status == 0 && a.Result.Class == sender.ClassNone && a.Result.Err == nil
	switch {
	case !zero:
		return a.Result.Summary()
	case a.Error != "":
		return a.Error
	case a.Status != 0:
		return strings.TrimSpace(fmt.Sprintf("%d %s", a.Status, http.StatusText(a.Status)))
	}
	return "no answer recorded"
}

// snippet quotes the start of an answer's body, at most snippetShown bytes.
func snippet(s []byte) string {
	more := ""
	if len(s) > snippetShown {
		s, more = s[:runeCut(s, snippetShown)], "…"
	}
	return strconv.Quote(string(s)) + more
}

// runeCut returns where to cut b, of more than n bytes, to keep at most n
// of them without splitting a character.
func runeCut(b []byte, n int) int {
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return n
}
