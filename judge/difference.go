package judge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/tartansim/tartansim/probe"
)

// Kind is what a Difference is about.
type Kind string

// The kinds of difference between a consumer's state and the truth.
const (
	// FieldDiffers: an employee's field holds another value than the truth.
	FieldDiffers Kind = "field"
	// FieldNeverSent: an employee holds a field no delivery carried.
	FieldNeverSent Kind = "field-never-sent"
	// MissingEmployee: the truth has an employee the consumer does not hold.
	MissingEmployee Kind = "missing"
	// ExtraEmployee: the consumer holds an employee no acknowledged
	// delivery carried.
	ExtraEmployee Kind = "extra"
	// DuplicateEmployee: the consumer holds one employee more than once.
	DuplicateEmployee Kind = "duplicate"
	// NoEmployeeID: the consumer holds a record without an employeeId.
	NoEmployeeID Kind = "no-employee-id"
	// ConnectionDiffers: connectionStatus is not the truth's.
	ConnectionDiffers Kind = "connection"
	// AppliedTwice: a delivery was applied more than once.
	AppliedTwice Kind = "applied-twice"
	// NotApplied: a delivery that carried a value the truth keeps was
	// acknowledged and never applied.
	NotApplied Kind = "not-applied"
	// ForgeryApplied: a forged delivery was applied.
	ForgeryApplied Kind = "forgery-applied"
	// KeptAfterPurge: the consumer holds an employee of a terminated org
	// although its probe declares that it purges on termination
	// (probe.PurgeOnTermination).
	KeptAfterPurge Kind = "kept-after-purge"
)

// Final reports whether no wait can mend a difference of kind k: a delivery
// applied twice, or a forged one applied at all.
func (k Kind) Final() bool { return k == AppliedTwice || k == ForgeryApplied }

// Aspect returns the aspect of the state a difference of kind k is about.
func (k Kind) Aspect() Aspect {
	switch k {
	case ConnectionDiffers:
		return Connection
	case AppliedTwice, NotApplied:
		return AppliedOnce
	case ForgeryApplied:
		return NoForgery
	}
	return Records
}

// Difference is one way a consumer's state differs from the truth. Values
// are canonical JSON (objects with sorted keys, numbers as written).
type Difference struct {
	Kind Kind `json:"kind"`
	// Employee is the employeeId the difference is about, if any.
	Employee string `json:"employee,omitempty"`
	// Field is the record's field, for FieldDiffers and FieldNeverSent.
	Field string `json:"field,omitempty"`
	// Expected is the truth's value ("" when there is none); Held is the
	// consumer's ("" when it holds none).
	Expected string `json:"expected,omitempty"`
	Held     string `json:"held,omitempty"`
	// Times is how many times a delivery was applied (AppliedTwice,
	// ForgeryApplied).
	Times int `json:"times,omitempty"`
	// Delivery is the delivery that carried the expected value, or the one
	// applied wrongly.
	Delivery Carrier `json:"delivery,omitzero"`
	// Forged is the forged delivery that carried the held value, when only
	// a forgery did (see Truth.ForgeBody): the difference is a forgery
	// applied, whatever its Kind.
	Forged Carrier `json:"forged,omitzero"`
}

// FromForgery reports whether the held value came from a forged delivery.
func (d Difference) FromForgery() bool {
	return d.Kind == ForgeryApplied || d.Forged.RequestID != ""
}

// String says the difference in one sentence. Two values that would print
// alike but differ (text in another Unicode normal form, an invisible
// character) are written with \u escapes.
func (d Difference) String() string {
	want, got := readable(d.Expected, d.Held)
	by := ""
	if d.Delivery.RequestID != "" {
		by = "; carried by " + d.Delivery.String()
	}
	if d.Forged.RequestID != "" {
		by += "; the held value came from forged delivery " + d.Forged.String()
	}
	switch d.Kind {
	case FieldDiffers:
		return fmt.Sprintf("employee %s has %s=%s, want %s%s", d.Employee, d.Field, got, want, by)
	case FieldNeverSent:
		return fmt.Sprintf("employee %s has %s=%s, which was never sent%s", d.Employee, d.Field, got, by)
	case MissingEmployee:
		return fmt.Sprintf("is missing employee %s (%s)%s", d.Employee, d.Expected, by)
	case ExtraEmployee:
		return fmt.Sprintf("holds employee %s, which no acknowledged delivery carried%s", d.Employee, by)
	case DuplicateEmployee:
		return fmt.Sprintf("holds employee %s more than once (a duplicate side effect)", d.Employee)
	case NoEmployeeID:
		return "holds an employee without an employeeId"
	case ConnectionDiffers:
		return fmt.Sprintf("connectionStatus is %s, want %s%s", got, want, by)
	case AppliedTwice:
		return fmt.Sprintf("applied delivery %s %d times, want once", d.Delivery, d.Times)
	case NotApplied:
		return fmt.Sprintf("applied delivery %s 0 times, want once", d.Delivery)
	case ForgeryApplied:
		return fmt.Sprintf("applied forged delivery %s (%d times), want never", d.Delivery.RequestID, d.Times)
	case KeptAfterPurge:
		return fmt.Sprintf("holds employee %s after the connection was terminated, though its probe declares retention %q: none may remain%s", d.Employee, probe.PurgeOnTermination, by)
	}
	return string(d.Kind)
}

// MarshalJSON writes d's fields and, as "text", its sentence (String): the
// console and the box's verdicts show the words every door shows. When
// Expected and Held differ only in what a reader cannot see, it adds
// "expectedShown" and "heldShown": both with \u escapes, as String writes
// them, so that a diff of the two shows where they differ.
func (d Difference) MarshalJSON() ([]byte, error) {
	type plain Difference
	v := struct {
		plain
		Text          string `json:"text"`
		ExpectedShown string `json:"expectedShown,omitempty"`
		HeldShown     string `json:"heldShown,omitempty"`
	}{plain: plain(d), Text: d.String()}
	if want, got := readable(d.Expected, d.Held); want != d.Expected || got != d.Held {
		v.ExpectedShown, v.HeldShown = want, got
	}
	return json.Marshal(v)
}

// canonical renders a JSON value for comparison and messages: objects with
// sorted keys, numbers as written, HTML characters as they are.
func canonical(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// readable returns want and got as they are, or both with every rune
// outside printable ASCII escaped when they differ only in what a reader
// cannot see: a composed and a decomposed letter, a compatibility form
// (a full-width letter, a ligature), a zero-width character.
func readable(want, got string) (string, string) {
	if want != got && looksAlike(want, got) {
		return escape(want), escape(got)
	}
	return want, got
}

// looksAlike reports whether a and b are the same text once normalised
// (NFKC) and rid of format characters.
func looksAlike(a, b string) bool { return seen(a) == seen(b) }

func seen(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, norm.NFKC.String(s))
}

// escape writes s with every rune outside printable ASCII as \uXXXX (or
// \UXXXXXXXX).
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 && unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			fmt.Fprintf(&b, "\\U%08x", r)
		}
	}
	return b.String()
}
