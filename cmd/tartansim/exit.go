package main

import (
	"errors"
	"fmt"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/show"
)

// Exit codes, as docs/ci.md lists them: users script against these.
const (
	exitOK          = 0   // delivered and acknowledged, checks passed
	exitShort       = 1   // the consumer fell short
	exitUsage       = 2   // bad flag, bad input, missing key
	exitUnreachable = 3   // could not reach the target or probe
	exitNothing     = 4   // nothing judged: every check or scenario skipped, or nothing sent
	exitInterrupted = 130 // SIGINT/SIGTERM; the partial report was written
)

// exitError carries an exit code and a one-sentence message for stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, a...)}
}

// inputErr is usageErr of a library's error, in its own words: what the
// user gave was wrong, and err says how.
func inputErr(err error) error { return &exitError{exitUsage, errors.New(plain(err))} }

// plain is err as a sentence for people (show.Reason): tartansim's
// errors carry one, without the name of the package that made them.
func plain(err error) string { return show.Reason(err) }

func unreachableErr(format string, a ...any) error {
	return &exitError{exitUnreachable, fmt.Errorf(format, a...)}
}

// shortErr means the consumer fell short; the details were already printed.
func shortErr(format string, a ...any) error {
	return &exitError{exitShort, fmt.Errorf(format, a...)}
}

// nothingJudgedErr is the exit of a run whose tally judged nothing: never
// a pass. t.Why says why.
func nothingJudgedErr(t judge.Tally, seed uint64) error {
	return &exitError{exitNothing, fmt.Errorf("nothing was judged: %s (seed %d)", t.Why, seed)}
}

// flagError is a value that makes no sense, given with a flag or an
// environment variable: its sentence names which, and the value.
type flagError struct {
	Name  string // the flag without its dashes ("day"), or the variable
	Env   bool   // Name is an environment variable ("TARTAN_TIMEOUT")
	Value string // as given
	Why   string // completes the sentence: "is negative: …"
}

func (e *flagError) Error() string {
	if e.Env {
		return fmt.Sprintf("%s=%q %s", e.Name, e.Value, e.Why)
	}
	return fmt.Sprintf("--%s %q %s", e.Name, e.Value, e.Why)
}

// badFlag is the usage error for value given with --name.
func badFlag(name, value, why string) error {
	return &exitError{exitUsage, &flagError{Name: name, Value: value, Why: why}}
}

// badEnv is the usage error for value given in the variable name.
func badEnv(name, value, why string) error {
	return &exitError{exitUsage, &flagError{Name: name, Env: true, Value: value, Why: why}}
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitUsage
}
