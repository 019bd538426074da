package main

import (
	"errors"
	"testing"

	"github.com/tartansim/tartansim/conformance"
)

// The JUnit XML that conformance --junit writes, as a CI system reads it.
type (
	junitSuites   = conformance.JUnitReport
	junitSuite    = conformance.JUnitSuite
	junitProperty = conformance.JUnitProperty
)

func TestPlain(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"scenarios: t.yaml:3:5: steps[0]: unknown action", "t.yaml:3:5: steps[0]: unknown action"},
		{"load: error rate \"x\": want a fraction", "error rate \"x\": want a fraction"},
		{"fixtures: unknown event \"x\"", "unknown event \"x\""},
		{"x509: certificate signed by unknown authority", "x509: certificate signed by unknown authority"},
		{"a plain sentence: with a colon", "a plain sentence: with a colon"},
		{"scenarios: load: only the first", "load: only the first"},
	} {
		if got := plain(errors.New(c.in)); got != c.want {
			t.Errorf("plain(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
