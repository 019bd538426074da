package main

import (
	"errors"
	"fmt"
)

// Exit codes, as docs/ci.md lists them: users script against these.
const (
	exitOK          = 0   // delivered and acknowledged, checks passed
	exitShort       = 1   // the consumer fell short
	exitUsage       = 2   // bad flag, bad input, missing key
	exitUnreachable = 3   // could not reach the target or probe
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

func unreachableErr(format string, a ...any) error {
	return &exitError{exitUnreachable, fmt.Errorf(format, a...)}
}

// shortErr means the consumer fell short; the details were already printed.
func shortErr(format string, a ...any) error {
	return &exitError{exitShort, fmt.Errorf(format, a...)}
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
