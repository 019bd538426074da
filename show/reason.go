package show

import (
	"errors"
	"fmt"
	"strings"
)

// A Reasoned error has a sentence for people: what was wrong with what
// they gave, in their terms, without the name of the package that found
// it. Its Error, for logs and programs, may add that name.
type Reasoned interface {
	error
	Reason() string
}

// Reason returns err as a sentence for people: the Reason of err when it
// is Reasoned; for an error that wraps another (fmt.Errorf's %w), its
// message with the wrapped error's text replaced by that error's Reason;
// else err's own message. The edge of a program (the CLI, an HTTP answer)
// shows it, and nothing else has to strip text.
func Reason(err error) string {
	if r, ok := err.(Reasoned); ok {
		return r.Reason()
	}
	msg := err.Error()
	inner := errors.Unwrap(err)
	if inner == nil {
		return msg
	}
	in := inner.Error()
	if i := strings.LastIndex(msg, in); i >= 0 {
		return msg[:i] + Reason(inner) + msg[i+len(in):]
	}
	return msg
}

// Refusal is a Reasoned error made by one of tartansim's packages: Error
// is "pkg: " and Why; Unwrap returns Err, the cause, if any.
type Refusal struct {
	Pkg string // the package that refused, e.g. "scenarios"
	Why string
	Err error
}

// Refuse returns a *Refusal from pkg, its Why formatted as fmt.Sprintf
// does. An error among a is shown by its Reason, and the first one is the
// Refusal's cause (%w reads as %v).
func Refuse(pkg, format string, a ...any) *Refusal {
	r := &Refusal{Pkg: pkg}
	shown := make([]any, len(a))
	for i, v := range a {
		err, ok := v.(error)
		if !ok {
			shown[i] = v
			continue
		}
		shown[i] = reasonOnly{err}
		if r.Err == nil {
			r.Err = err
		}
	}
	r.Why = fmt.Sprintf(strings.ReplaceAll(format, "%w", "%v"), shown...)
	return r
}

// reasonOnly shows an error by its Reason.
type reasonOnly struct{ err error }

func (r reasonOnly) Error() string { return Reason(r.err) }

func (r *Refusal) Error() string  { return r.Pkg + ": " + r.Why }
func (r *Refusal) Reason() string { return r.Why }
func (r *Refusal) Unwrap() error  { return r.Err }
