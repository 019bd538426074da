package judge_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/probe"
)

// Every wait here runs in a synctest bubble: time is virtual, so a spec
// waits seconds of settling in microseconds and never depends on how busy
// the machine is.

const org = "org-1"

func oneEmployeeTruth(t *testing.T) *judge.OrgTruth {
	t.Helper()
	tr := judge.NewTruth()
	if err := tr.Apply(body("r1", "s1", 1, "2026-11-27 09:00:00", "E1", "Asha")); err != nil {
		t.Fatal(err)
	}
	tr.Forge(org, "forged")
	return tr.Org(org)
}

// right is the state a correct consumer holds once it has applied r1;
// early, what it holds before.
func right() probe.State {
	return probe.State{OrgID: org, Employees: []map[string]any{{"employeeId": "E1", "name": "Asha"}}, Applied: map[string]int{"r1": 1}}
}

func early() probe.State {
	return probe.State{OrgID: org, Employees: []map[string]any{}, Applied: map[string]int{}}
}

func pending(st probe.State, n int) probe.State { st.Pending = &n; return st }

// played is a consumer whose state is before until after has passed since
// it was made, then then; it counts the reads.
type played struct {
	reads int
	state probe.Func
}

func play(after time.Duration, before, then func() probe.State) *played {
	p := &played{}
	start := time.Now()
	p.state = func(context.Context, string) (probe.State, error) {
		p.reads++
		if time.Since(start) < after {
			return before(), nil
		}
		return then(), nil
	}
	return p
}

func await(t *testing.T, p probe.Func, s judge.Settling) judge.Verdict {
	t.Helper()
	v, err := judge.Await(context.Background(), p, org, oneEmployeeTruth(t), judge.CompareAll, time.Now(), s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAwaitJudgesAtOnceWhenAskedTo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := play(time.Hour, early, right)
		v := await(t, p.state, judge.Settling{Budget: judge.JudgeAtOnce})
		if v.Converged || v.Polls != 1 || v.Ended != judge.AtOnce || !v.Judged {
			t.Fatalf("verdict %+v", v)
		}
		if len(v.Differences) != 1 || v.Differences[0].Kind != judge.MissingEmployee || v.Differences[0].Employee != "E1" {
			t.Fatalf("differences %v", v.Differences)
		}
	})
}

func TestAZeroSettlingWaitsTheDefaultBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := play(time.Hour, early, right)
		v := await(t, p.state, judge.Settling{})
		if v.Budget != judge.DefaultSettle || v.Ended != judge.BudgetRanOut || v.Waited < judge.DefaultSettle {
			t.Fatalf("verdict %+v", v)
		}
	})
}

func TestAwaitWaitsForAQueueThenHoldsTheQuietInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := play(150*time.Millisecond, early, right)
		v := await(t, p.state, judge.Settling{Budget: 5 * time.Second, Quiet: 200 * time.Millisecond})
		if !v.Converged || v.Ended != judge.Quiet || v.LagAtMost {
			t.Fatalf("verdict %+v", v)
		}
		if v.Lag < 100*time.Millisecond || v.Lag >= v.Waited {
			t.Fatalf("lag %s of a wait of %s: want the middle of the last two reads", v.Lag, v.Waited)
		}
		if v.Waited < v.Lag+200*time.Millisecond {
			t.Fatalf("waited %s: the quiet interval was not held", v.Waited)
		}
		if v.Polls >= 15 {
			t.Fatalf("%d reads: polling does not back off", v.Polls)
		}
	})
}

func TestAwaitHoldsTheQuietIntervalAtLeastAsLongAsTheLag(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := play(300*time.Millisecond, early, right)
		v := await(t, p.state, judge.Settling{Budget: 5 * time.Second, Quiet: 10 * time.Millisecond})
		if !v.Converged || v.Waited < 2*v.Lag {
			t.Fatalf("waited %s for a lag of %s: want quiet for the lag, not 10ms", v.Waited, v.Lag)
		}
	})
}

func TestAwaitCatchesAForgeryAppliedLateInsideTheQuietInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		state := func(context.Context, string) (probe.State, error) {
			switch d := time.Since(start); {
			case d < 50*time.Millisecond:
				return early(), nil
			case d < 150*time.Millisecond:
				return right(), nil
			}
			st := right()
			st.Applied["forged"] = 1
			return st, nil
		}
		v := await(t, state, judge.Settling{Budget: 5 * time.Second, Quiet: 500 * time.Millisecond})
		if v.Converged || v.Ended != judge.NoMending || v.Waited >= time.Second {
			t.Fatalf("verdict %+v: want a forgery that ends the wait at once", v)
		}
		if got := v.Lines(0); len(got) != 1 || got[0] != "applied forged delivery forged (1 times), want never" {
			t.Fatalf("lines %q", got)
		}
	})
}

func TestAwaitEndsAtPendingZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := play(0, right, func() probe.State { return pending(right(), 0) })
		v := await(t, p.state, judge.Settling{Budget: 5 * time.Second})
		if !v.Converged || v.Polls != 1 || v.Ended != judge.PendingZero || !v.LagAtMost {
			t.Fatalf("right, pending 0: %+v", v)
		}
		if got := judge.LagWords(v.Lag, v.LagAtMost); got[:len("≤")] != "≤" {
			t.Fatalf("a lag that is only a bound reads %q", got)
		}
		p = play(0, early, func() probe.State { return pending(early(), 0) })
		v = await(t, p.state, judge.Settling{Budget: 5 * time.Second})
		if v.Converged || v.Polls != 1 || v.Ended != judge.PendingZero || v.Lag != 0 {
			t.Fatalf("wrong, pending 0: %+v", v)
		}
	})
}

func TestAwaitKeepsWaitingWhilePendingIsAboveZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := play(300*time.Millisecond, func() probe.State { return pending(right(), 2) }, func() probe.State { return pending(right(), 0) })
		v := await(t, p.state, judge.Settling{Budget: 5 * time.Second, Quiet: 10 * time.Millisecond})
		if !v.Converged || v.Ended != judge.PendingZero || v.Waited < 300*time.Millisecond {
			t.Fatalf("verdict %+v", v)
		}
	})
}

func TestAwaitFailsAConsumerThatNeverConvergesInBoundedReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := play(time.Hour, early, right)
		v := await(t, p.state, judge.Settling{Budget: time.Second})
		if v.Converged || v.Ended != judge.BudgetRanOut || v.Waited < time.Second {
			t.Fatalf("verdict %+v", v)
		}
		// 10ms growing by 30% to 300ms: 15 reads in a second, 44 in 10s.
		if v.Polls > 16 || p.reads != v.Polls {
			t.Fatalf("%d polls, %d reads", v.Polls, p.reads)
		}
		if v.How() != " (after the 1s settle budget)" {
			t.Fatalf("How = %q", v.How())
		}
	})
}

func TestAwaitStopsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		p := play(time.Hour, early, right)
		_, err := judge.Await(ctx, p.state, org, oneEmployeeTruth(t), judge.CompareAll, time.Now(), judge.Settling{Budget: time.Minute})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestAwaitGivesTheProbesError(t *testing.T) {
	broken := errors.New("probe answered 500 Internal Server Error")
	_, err := judge.Await(context.Background(), func(context.Context, string) (probe.State, error) { return probe.State{}, broken },
		org, oneEmployeeTruth(t), judge.CompareAll, time.Now(), judge.DefaultSettling())
	if !errors.Is(err, broken) {
		t.Fatalf("err %v", err)
	}
}
