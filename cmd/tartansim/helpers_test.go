package main

import (
	"encoding/xml"
	"errors"
	"testing"
)

// The JUnit XML that conformance --junit writes, as a CI system reads it.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	ClassName  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Failure    *junitMessage   `xml:"failure"`
	Skipped    *junitMessage   `xml:"skipped"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

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
