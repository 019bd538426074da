package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/scenarios"

	"github.com/tartansim/tartansim/conformance"
)

// The JUnit XML that conformance --junit writes, as a CI system reads it.
type (
	junitSuites   = conformance.JUnitReport
	junitSuite    = conformance.JUnitSuite
	junitProperty = conformance.JUnitProperty
)

// TestPlain: the libraries' errors reach people without the name of the
// package that made them, read from their type (show.Reason), never by
// stripping their text.
func TestPlain(t *testing.T) {
	_, rateErr := load.ParseErrorRate("x")
	_, subErr := fixtures.ParseSubscription("record.employee.nope")
	_, parseErr := scenarios.Parse("t.yaml", []byte("name: t\nsteps:\n  - frobnicate: {}\n"))
	_, faultErr := box.ParseAPIFaults("endpoint=token,status=200")
	for _, c := range []struct {
		err  error
		want string
	}{
		{rateErr, `error rate "x": want a fraction like 0.001 or a percentage like 0.1%`},
		{subErr, `unknown event`},
		{parseErr, `t.yaml:3:`},
		{faultErr, `status`},
		{fmt.Errorf("%w: it is empty", box.ErrBadOption), "bad option: it is empty"},
		{errors.New("x509: certificate signed by unknown authority"), "x509: certificate signed by unknown authority"},
	} {
		if c.err == nil {
			t.Fatalf("no error where %q was expected", c.want)
		}
		got := plain(c.err)
		if !strings.HasPrefix(got, c.want) && !strings.Contains(got, c.want) {
			t.Errorf("plain(%v) = %q, want it to hold %q", c.err, got, c.want)
		}
		for _, pkg := range []string{"load: ", "fixtures: ", "scenarios: ", "box: "} {
			if strings.HasPrefix(got, pkg) {
				t.Errorf("plain(%v) = %q starts with the package's name", c.err, got)
			}
		}
	}
}
