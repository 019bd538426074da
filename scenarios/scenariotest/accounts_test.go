package scenariotest_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/scenarios/scenariotest"
	"github.com/tartansim/tartansim/sender"
)

var key = []byte("scenariotest-key")

// played plays eod-retry (drops, an ack-lost, an EOD batch) against the
// reference consumer and returns its report and record.
func played(t *testing.T) (*scenarios.Report, []byte) {
	t.Helper()
	srv := httptest.NewServer(consumer.New(key))
	t.Cleanup(srv.Close)
	s, err := sender.New(srv.URL, sender.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	sc, err := scenarios.Lookup("eod-retry")
	if err != nil {
		t.Fatal(err)
	}
	var record bytes.Buffer
	rep, err := scenarios.NewRunner(s, key, scenarios.Seed(7), scenarios.Record(&record)).Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	return rep, record.Bytes()
}

func TestAccountsBalance(t *testing.T) {
	rep, record := played(t)
	if err := scenariotest.Accounts(rep); err != nil {
		t.Fatal(err)
	}
	if err := scenariotest.RecordMatches(rep, record); err != nil {
		t.Fatal(err)
	}
}

// Each way of cooking the books is found.
func TestAccountsFindImbalance(t *testing.T) {
	eodStep := func(rep *scenarios.Report) *scenarios.StepReport { return rep.Steps[len(rep.Steps)-1] }
	resent := func(rep *scenarios.Report) *scenarios.Delivery {
		for _, d := range rep.Deliveries {
			if len(d.Attempts) > 1 {
				return d
			}
		}
		t.Fatal("eod-retry re-sent nothing")
		return nil
	}
	for _, tc := range []struct {
		name string
		cook func(*scenarios.Report)
		want string
	}{
		{"a counter off by one", func(r *scenarios.Report) { r.Steps[1].OK++ }, "counters say"},
		{"an EOD attempt lost", func(r *scenarios.Report) {
			d := resent(r)
			d.Attempts = d.Attempts[:1]
		}, "has no EOD attempt"},
		{"a delivery missing from the EOD batch", func(r *scenarios.Report) {
			s := eodStep(r)
			s.Resent = s.Resent[1:]
		}, "no EOD step lists it"},
		{"a delivery re-sent twice", func(r *scenarios.Report) {
			d := resent(r)
			d.Attempts = append(d.Attempts, d.Attempts[len(d.Attempts)-1])
		}, "re-sent at EOD 2 times"},
		{"a delivery never sent", func(r *scenarios.Report) { r.Deliveries[0].Attempts = nil }, "never sent"},
		{"a duplicated Seq", func(r *scenarios.Report) { r.Deliveries[1].Seq = r.Deliveries[0].Seq }, "seen before"},
		{"an attempt whose summary disagrees with its result", func(r *scenarios.Report) { r.Deliveries[0].Attempts[0].Class = sender.ClassTimeout }, "its Result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, _ := played(t)
			tc.cook(rep)
			err := scenariotest.Accounts(rep)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Accounts = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestRecordMatchesFindsStrayLines(t *testing.T) {
	rep, record := played(t)
	lines := bytes.SplitAfter(record, []byte("\n"))
	for name, cooked := range map[string][]byte{
		"a line missing":    bytes.Join(lines[1:], nil),
		"a line twice":      append(bytes.Clone(record), lines[0]...),
		"a body changed":    bytes.Replace(record, []byte(`"body":"{`), []byte(`"body":"{ `), 1),
		"not NDJSON at all": []byte("{\n"),
	} {
		if err := scenariotest.RecordMatches(rep, cooked); err == nil {
			t.Errorf("%s: RecordMatches = nil", name)
		}
	}
}
