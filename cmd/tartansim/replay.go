package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

type replayFlags struct {
	dryRun      bool
	rate        float64
	concurrency int
	resign      bool
	count       int64
}

func (a *app) replayCommand() *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Re-send a recorded delivery log to a target",
		Long: `Re-send the deliveries of a log written by 'run --record' or 'load --record' to
--target (default: the built-in reference consumer), byte for byte, at the
recorded pacing or at --rate. The recorded signatures are kept, unless --resign
signs every genuine delivery again with the key given (--key, --key-file or
TARTAN_APP_KEY): to replay a staging log against a consumer with another key.
Forged deliveries keep their forged signatures either way.

The log is read line by line, so a log of any size replays in bounded memory.
A log whose writer was killed may end in a torn line: it is dropped with a
warning naming its line, and every line before it replays. A bad line anywhere
else is an error (exit 2). --dry-run counts the complete deliveries.
Exit 0 when every genuine delivery was acknowledged, 1 otherwise, 2 for a bad
or empty log (or one --events leaves nothing of), 3 when the target cannot be
reached.`,
		Example: `  tartansim run eod-retry --record eod.ndjson
  tartansim replay eod.ndjson --target http://127.0.0.1:8080/webhook --resign --key-file key.txt
  tartansim replay load.ndjson --rate 500 --concurrency 8 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.replay(args[0], f) },
	}
	fl := cmd.Flags()
	fl.Float64Var(&f.rate, "rate", 0, "re-send at this many deliveries per second (default: the recorded pacing)")
	fl.IntVar(&f.concurrency, "concurrency", sender.DefaultMaxConns, "hard cap on deliveries in flight and connections")
	fl.BoolVar(&f.resign, "resign", false, "sign every genuine delivery again with the key given")
	a.common.registerEventsOrCount(fl, &f.count, "re-send at most this many deliveries (default: the whole log)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "send nothing: check the whole log, count it, and print the first delivery as a curl command")
	a.common.register(fl, flagTarget, flagKey, flagTimeout, flagTLS, flagJSON)
	return cmd
}

func (a *app) replay(path string, f replayFlags) error {
	file, err := os.Open(path)
	if err != nil {
		return usageErr("cannot read %s: %s", path, plainIOError(err))
	}
	defer file.Close()
	if err := refuseZeros(a.common.fs, "count", "concurrency"); err != nil {
		return err
	}
	ro := load.ReplayOptions{Rate: f.rate, Limit: f.count, Concurrency: f.concurrency, Events: a.common.sub}
	if err := ro.Validate(); err != nil {
		return loadFlags{}.optionErr(a, err)
	}
	key, haveKey, err := a.common.appKey()
	if err != nil {
		return err
	}
	var resignKey []byte // nil: keep the recorded signatures
	if f.resign {
		if !haveKey {
			return usageErr("--resign needs the key to sign with: set %s, or pass --key-file FILE", envKey)
		}
		resignKey = key
	}
	if f.dryRun {
		return a.replayPlan(file, path, f, resignKey)
	}
	t, err := a.resolveTargetConns(f.concurrency, f.resign)
	if err != nil {
		return err
	}
	defer t.close()

	rd := deliverylog.NewReader(file, path)
	ro.Resign = resignKey
	out, readErr := load.Replay(a.ctx, t.sender, rd, ro)
	rep := out.Report
	rep.Target = t.describe()
	if readErr != nil {
		return inputErr(readErr)
	}
	a.warnTorn(rd, path)
	if err := a.emptyLog(path, rep.Planned, out.Unsubscribed, rep.Interrupted); err != nil {
		return err
	}
	if out.Unsubscribed > 0 && !a.common.json {
		fmt.Fprintf(a.stdout, "left out %s of events not subscribed to (--events %s)\n", show.Plural(int(out.Unsubscribed), "delivery"), a.common.sub)
	}
	if err := a.printLoad(rep, nil, "the log holds one instant"); err != nil {
		return err
	}
	switch {
	case rep.Interrupted:
		return &exitError{exitInterrupted, fmt.Errorf("interrupted after %d deliveries", rep.Sent)}
	case rep.Unreachable():
		return unreachableErr("could not reach %s: %s", t.describe(), rep.UnreachableWhy())
	case out.NotAcked > 0:
		return shortErr("%d of %d genuine deliveries were not acknowledged", out.NotAcked, rep.Sent)
	}
	return nil
}

// replayPlan is replay --dry-run: the whole log is read and checked, and
// nothing is sent.
func (a *app) replayPlan(file io.Reader, path string, f replayFlags, resignKey []byte) error {
	rd := deliverylog.NewReader(file, path)
	var n, forged, unsubscribed int64
	var first *deliverylog.Attempt
	var span time.Duration
	var start time.Time
	for f.count <= 0 || n < f.count {
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return inputErr(err)
		}
		if !load.Subscribed(a.common.sub, e) {
			unsubscribed++
			continue
		}
		if first == nil {
			first, start = &e, e.Time
		}
		span = e.Time.Sub(start)
		if e.Forged {
			forged++
		}
		n++
	}
	pace := "the recorded pacing"
	if f.rate > 0 {
		pace = fmt.Sprintf("%g/s", f.rate)
		span = load.ReplayDue(f.rate, n, 0)
	}
	target, err := a.planTarget()
	if err != nil {
		return err
	}
	a.warnTorn(rd, path)
	if err := a.emptyLog(path, n, unsubscribed, false); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "# dry run: nothing is sent\n# %s: %s (%d forged) at %s, about %s, to %s\n",
		path, show.Plural(int(n), "complete delivery"), forged, pace, span.Round(time.Millisecond), show.URL(target))
	if unsubscribed > 0 {
		fmt.Fprintf(a.stdout, "# left out: %s of events not subscribed to (--events %s)\n", show.Plural(int(unsubscribed), "delivery"), a.common.sub)
	}
	if first != nil {
		d := first.Request(resignKey)
		fmt.Fprintln(a.stdout, show.Curl(target, d.Header, d.Body))
	}
	return nil
}

// warnTorn warns, once, of the torn last line rd dropped from the log at
// path: what a crash of the process that wrote it leaves.
func (a *app) warnTorn(rd *deliverylog.Reader, path string) {
	if t, ok := rd.Torn(); ok {
		fmt.Fprintf(a.stderr, "tartansim: warning: %s:%d: dropped the torn last line (%s), as a crash of the process writing the log leaves it; every line before it is read.\n",
			path, t.Line, show.Plural(t.Bytes, "byte"))
	}
}

// emptyLog refuses a log that gave nothing to send: n deliveries read for
// sending, unsubscribed left out by --events. An interrupted replay may
// have read nothing yet.
func (a *app) emptyLog(path string, n, unsubscribed int64, interrupted bool) error {
	switch {
	case n > 0 || interrupted:
		return nil
	case unsubscribed > 0:
		return usageErr("--events %s leaves none of the %s in %s: nothing to replay", a.common.sub, show.Plural(int(unsubscribed), "delivery"), path)
	}
	return usageErr("%s holds no complete delivery: nothing to replay", path)
}
