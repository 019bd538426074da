package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tartansim/tartansim/scenarios"
)

// JUnit XML, as CI systems read it: one testsuite, one testcase per check.
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
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitMessage   `xml:"failure,omitempty"`
	Skipped    *junitMessage   `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes results as a JUnit XML report to w: one testcase per
// check (classname its label; a failure with the reason and the evidence, a
// skipped with the reason), and properties that CI systems show beside the
// run: the seed, and the processing lag (lag.median, lag.max) over the
// checks that judged state; each testcase carries its own lag and probe
// reads.
func WriteJUnit(w io.Writer, results []Result, seed uint64, elapsed time.Duration) error {
	s := junitSuite{Name: "tartansim conformance", Time: secs(elapsed), Properties: []junitProperty{{"seed", fmt.Sprint(seed)}}}
	lag := SummarizeLag(results)
	if lag.Orgs > 0 {
		s.Properties = append(s.Properties, junitProperty{"lag.median", lag.Median.String()}, junitProperty{"lag.max", lag.Max.String()})
	}
	for _, r := range results {
		c := junitCase{Name: r.ID + ": " + r.Title, ClassName: r.Label, Time: secs(r.Elapsed)}
		if r.ProbeReads > 0 {
			c.Properties = []junitProperty{{"lag", r.Lag.String()}, {"probeReads", fmt.Sprint(r.ProbeReads)}}
		}
		switch r.Verdict {
		case Fail:
			s.Failures++
			c.Failure = &junitMessage{Message: r.Reason, Body: strings.Join(r.Details, "\n") + fmt.Sprintf("\nseed %d", seed)}
		case Skip:
			s.Skipped++
			c.Skipped = &junitMessage{Message: r.Reason}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{s}}, "", "  ")
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, xml.Header+string(out)+"\n")
	return err
}

// SummarizeLag is the processing lag over every org that results judged
// and that converged (see scenarios.SummarizeLag).
func SummarizeLag(results []Result) scenarios.LagSummary {
	reps := make([]*scenarios.Report, 0, len(results))
	for _, r := range results {
		reps = append(reps, r.Report)
	}
	return scenarios.SummarizeLag(reps...)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
