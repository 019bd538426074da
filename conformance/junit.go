package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/scenarios"
)

// JUnitReport is the JUnit XML that WriteJUnit writes, as CI systems read
// it: one testsuite, one testcase per check. Decode a report with
// encoding/xml into it.
type JUnitReport struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is the run: its counts, time and properties, and a case per check.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []JUnitProperty `xml:"properties>property"`
	Cases      []JUnitCase     `xml:"testcase"`
}

// JUnitProperty is a name and a value CI systems show beside a run or a case.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// NothingJudgedCase is the name of the testcase that fails a JUnit report
// of a run that judged nothing.
const NothingJudgedCase = "nothing judged"

// JUnitCase is one check: a failure or a skip says why.
type JUnitCase struct {
	Name       string          `xml:"name,attr"`
	ClassName  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Failure    *JUnitMessage   `xml:"failure,omitempty"`
	Skipped    *JUnitMessage   `xml:"skipped,omitempty"`
}

// JUnitMessage is a failure's or a skip's reason, and its evidence.
type JUnitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes results as a JUnit XML report to w: one testcase per
// check (classname its label; a failure with the reason and the evidence, a
// skipped with the reason), and properties that CI systems show beside the
// run: the seed, and the processing lag (lag.median, lag.max) over the
// checks that judged state; each testcase carries its own lag and probe
// reads. A run that judged nothing (every check SKIP, or none run; see
// Tally) is a failure in JUnit too: one more testcase, "nothing judged",
// fails with the reason.
func WriteJUnit(w io.Writer, results []Result, seed uint64, elapsed time.Duration) error {
	s := JUnitSuite{Name: "tartansim conformance", Time: secs(elapsed), Properties: []JUnitProperty{{"seed", fmt.Sprint(seed)}}}
	lag := SummarizeLag(results)
	if lag.Orgs > 0 {
		s.Properties = append(s.Properties, JUnitProperty{"lag.median", lag.Median.String()}, JUnitProperty{"lag.max", lag.Max.String()})
	}
	for _, r := range results {
		c := JUnitCase{Name: r.ID + ": " + r.Title, ClassName: r.Label, Time: secs(r.Elapsed)}
		if r.ProbeReads > 0 {
			c.Properties = []JUnitProperty{{"lag", r.Lag.String()}, {"probeReads", fmt.Sprint(r.ProbeReads)}}
		}
		switch r.Verdict {
		case Fail:
			s.Failures++
			c.Failure = &JUnitMessage{Message: r.Reason, Body: strings.Join(r.Details, "\n") + fmt.Sprintf("\nseed %d", seed)}
		case Skip:
			s.Skipped++
			c.Skipped = &JUnitMessage{Message: r.Reason}
		}
		s.Cases = append(s.Cases, c)
	}
	if t := Tally(results); t.Outcome() == judge.NothingJudged {
		s.Failures++
		s.Cases = append(s.Cases, JUnitCase{Name: NothingJudgedCase, ClassName: "tartansim", Time: secs(0),
			Failure: &JUnitMessage{Message: "nothing was judged: " + t.Why, Body: fmt.Sprintf("a run that judges nothing is not a pass\nseed %d", seed)}})
	}
	s.Tests = len(s.Cases)
	out, err := xml.MarshalIndent(JUnitReport{Suites: []JUnitSuite{s}}, "", "  ")
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, xml.Header+string(out)+"\n")
	return err
}

// SummarizeLag is the processing lag over every org that results judged
// and that converged (see scenarios.SummarizeLag).
func SummarizeLag(results []Result) judge.LagSummary {
	reps := make([]*scenarios.Report, 0, len(results))
	for _, r := range results {
		reps = append(reps, r.Report)
	}
	return scenarios.SummarizeLag(reps...)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
