package conformance

import (
	"fmt"
	"strconv"

	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

// OptionError is a field of a Target or of Options whose value makes no
// sense. Run refuses it, rather than replacing it with a default; a front
// end maps Field to its own name for it (a flag, a variable).
type OptionError struct {
	// Field is the field's name, e.g. "Timeout".
	Field string
	// Value is the value refused, as text ("" for an empty one).
	Value string
	// Why completes a sentence that begins with the field and its value,
	// for people: "is negative: give the ack budget, or 0 for the default
	// of 10s".
	Why string
}

// Error is "conformance: Timeout -1s is negative: …".
func (e *OptionError) Error() string { return "conformance: " + e.Reason() }

// Reason is "FIELD VALUE WHY" (without an empty value), for people.
func (e *OptionError) Reason() string {
	if e.Value == "" {
		return e.Field + " " + e.Why
	}
	return e.Field + " " + e.Value + " " + e.Why
}

// Validate refuses a Target that cannot be played: no URL, a URL that is
// not http:// or https://, no key, a negative Timeout. The error is an
// *OptionError. (A negative Settle is JudgeAtOnce; Seed 0 is a seed.)
func (t Target) Validate() error {
	switch {
	case t.URL == "":
		return &OptionError{Field: "URL", Why: "is empty: give the consumer's webhook URL"}
	case len(t.Key) == 0:
		return &OptionError{Field: "Key", Why: "is empty: give the app key the consumer verifies with"}
	case t.Timeout < 0:
		return &OptionError{Field: "Timeout", Value: t.Timeout.String(), Why: fmt.Sprintf("is negative: give the ack budget, or 0 for the default of %s", DefaultTimeout)}
	}
	s, err := sender.New(t.URL) // the sender's own rule for a target
	if err != nil {
		return &OptionError{Field: "URL", Value: strconv.Quote(show.URL(t.URL)), Why: "is not an http:// or https:// URL"}
	}
	s.Close()
	return nil
}

// Validate refuses Options that make no sense: a negative Parallel. The
// error is an *OptionError that matches ErrBadParallel with errors.Is.
func (o Options) Validate() error {
	if o.Parallel < 0 {
		return &OptionError{Field: "Parallel", Value: fmt.Sprint(o.Parallel), Why: fmt.Sprintf("is negative: give how many checks play at once, 1 or more (0: the default of %d)", DefaultParallel)}
	}
	return nil
}

// Is reports whether target is ErrBadParallel, for an error about Parallel.
func (e *OptionError) Is(target error) bool {
	return target == ErrBadParallel && e.Field == "Parallel"
}

// ErrBadParallel is what Run's error matches, with errors.Is, for a
// negative Options.Parallel (an *OptionError).
var ErrBadParallel = error(&show.Refusal{Pkg: "conformance", Why: "Parallel must be at least 1"})
