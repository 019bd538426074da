package main

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/load"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

type loadFlags struct {
	rate        string
	duration    time.Duration
	count       int64
	concurrency int
	profile     string
	orgs        int
	employees   int
	changes     int
	shard       string
	maxP99      time.Duration
	maxErrors   string
	minRate     float64
	record      string
	html        string
	quiet       bool
	dryRun      bool
}

func (a *app) loadCommand() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load [SCENARIO|FILE]",
		Short: "Scenario-driven load at a target rate, with honest latency percentiles and thresholds",
		Long: `Post realistic Tartan sync sessions for many corporates at an open-model arrival
rate: each delivery is distinct (its own requestId, counter and timeStamp) and
signed when it is sent. A scenario (built-in name or file) gives the corporates'
sizes and the byte layout; without one, --orgs corporates of --employees each.
Each corporate's initial sync comes first, then rounds of delta syncs of
--changes complete records.

Latency is measured from each send's intended time, so a stalled consumer shows
in the percentiles instead of hiding (no coordinated omission); service time and
schedule lag are reported beside it. --concurrency caps requests in flight and
connections; when every one is busy, due sends wait, and that wait is latency.

The run stops by itself after --count sends or --duration, whichever is first.
--events LIST sends only the subscribed events of the stream (a whole number
there is the older spelling of --count).
Thresholds make it a CI gate: a breach exits 1 and names the breached flag.
Without --target it posts to the built-in reference consumer.

--record FILE logs every send for 'tartansim replay'. A kill -9 loses at most
the sends answered in the last 100 ms (64 at most) and those in flight; a write
that fails (a full disk) stops the run with exit 2 and the report so far.`,
		Example: `  tartansim load --count 20000 --rate 2000
  tartansim load weekly-delta --target http://127.0.0.1:8080/webhook --rate 500 --duration 1m --max-p99 500ms --max-error-rate 0.1% --min-rate 0.99
  tartansim load --rate 1000 --duration 2m --profile eod-burst --html report.html
  tartansim load --rate 3000 --duration 5m --shard 0/3 --json > shard-0.json   # then: tartansim merge shard-*.json
  tartansim load --rate max --duration 30s --concurrency 64 --target http://127.0.0.1:8080/webhook   # how fast can it go?`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.load(args, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.rate, "rate", "1000", `target sends per second (the profile's peak or base), or "max": each worker sends as soon as it is answered (a closed model, as hey and wrk; latency is then service time)`)
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (with --events: whichever comes first)")
	a.common.registerEventsOrCount(fl, &f.count, "stop after this many sends (default 10000 when --duration is not given)")
	fl.IntVar(&f.concurrency, "concurrency", sender.DefaultMaxConns, "hard cap on requests in flight and on connections")
	fl.StringVar(&f.profile, "profile", "constant", "arrival profile: constant, ramp, ramp:FROM:OVER, eod-burst, eod-burst:FACTOR:AT:WINDOW")
	fl.IntVar(&f.orgs, "orgs", load.DefaultOrgs, "corporates to sync")
	fl.IntVar(&f.employees, "employees", load.DefaultEmployees, "employees per corporate (without a scenario)")
	fl.IntVar(&f.changes, "changes", load.DefaultChanges, "complete records per delta sync (1: single-record updates)")
	fl.StringVar(&f.shard, "shard", "", "I/N: send only shard I of N (0-based) of the run, at 1/N of the rate")
	f.registerThresholds(fl)
	fl.StringVar(&f.record, "record", "", "write every send as NDJSON (exact bytes and headers, never the key) to FILE")
	fl.StringVar(&f.html, "html", "", "write a single-file HTML report (latency over time) to FILE")
	fl.BoolVar(&f.dryRun, "dry-run", false, "send nothing: print the plan and the first deliveries as curl commands")
	fl.BoolVar(&f.quiet, "quiet", false, "no live progress line (it is off anyway when stderr is not a terminal or CI=true)")
	a.common.register(fl, flagTarget, flagKey, flagTimeout, flagSeed, flagLayout, flagTLS, flagJSON)
	return cmd
}

func (a *app) load(args []string, f loadFlags) error {
	th, err := f.thresholds()
	if err != nil {
		return err
	}
	shard, shards, err := parseShard(f.shard)
	if err != nil {
		return err
	}
	if f.count <= 0 && f.duration <= 0 {
		f.count = 10000
	}
	if f.concurrency < 1 {
		return usageErr("--concurrency must be at least 1")
	}
	so, err := a.streamOptions(args, f)
	if err != nil {
		return err
	}
	profile, err := f.wholeProfile()
	if err != nil {
		return err
	}
	if f.dryRun {
		return a.loadPlan(f, so, load.Options{Profile: profile, Duration: f.duration, Events: f.count, Shard: shard, Shards: shards}.ForShard())
	}
	t, err := a.resolveTargetConns(f.concurrency, true)
	if err != nil {
		return err
	}
	defer t.close()

	opts := load.Options{Profile: profile, Duration: f.duration, Events: f.count, Concurrency: f.concurrency,
		Shard: shard, Shards: shards, Key: t.key}
	var rec *recordFile
	if f.record != "" {
		if rec, err = createRecord(f.record, nil); err != nil { // load.Run stops at a failed write itself
			return err
		}
		opts.Log = deliverylog.NewWriter(rec)
	}
	stream := load.NewStream(so)
	if !a.common.json {
		fmt.Fprintf(a.stdout, "tartansim load: %s against %s, concurrency %d, seed %d%s\n", opts.ForShard().Profile, t.describe(), f.concurrency, so.Seed, shardNote(f.shard))
	}
	if bar := a.progressBar(f, opts.ForShard()); bar != nil {
		opts.Progress = progressOn(bar)
		defer func() { _ = bar.Clear() }()
	}
	rep, err := load.Run(a.ctx, t.sender, stream, opts)
	var recErr error // the log and the report files: written whatever happens
	if rec != nil {
		recErr = rec.close(opts.Log)
	}
	if err != nil && !errors.Is(err, load.ErrLog) {
		return inputErr(err)
	}
	rep.Seed, rep.Shard, rep.Target = so.Seed, f.shard, t.describe()
	var htmlErr error
	if f.html != "" {
		htmlErr = writeHTMLFile(f.html, rep)
	}
	breaches := breachLines(th.Breaches(rep))
	if err := a.printLoad(rep, breaches, "--rate max"); err != nil {
		return err
	}
	switch {
	case recErr != nil:
		return rec.failure(recErr, int(rep.Sent), so.Seed)
	case htmlErr != nil:
		return htmlErr
	}
	return loadExit(rep, breaches, t, so.Seed)
}

// loadExit is a finished run's one sentence and exit code: interrupted,
// the target out of reach, a threshold breached; nil when all held.
func loadExit(rep *load.Report, breaches []string, t *runTarget, seed uint64) error {
	switch {
	case rep.Interrupted:
		return &exitError{exitInterrupted, fmt.Errorf("interrupted after %d sends; the report of what was sent is above (seed %d)", rep.Sent, seed)}
	case rep.Unreachable():
		return unreachableErr("could not reach %s: %s", t.describe(), rep.UnreachableWhy())
	case len(breaches) > 0:
		return shortErr("%s (seed %d)", breaches[0], seed)
	}
	return nil
}

// progressOn draws the live progress of a run on bar.
func progressOn(bar *progressbar.ProgressBar) func(*load.Report) {
	return func(r *load.Report) {
		_ = bar.Set64(r.Sent)
		bar.Describe(fmt.Sprintf("%.0f/s  p99 %s  errors %d", r.AchievedRate(), r.Quantile(r.Latency, 99).Round(time.Millisecond), r.Errors()))
	}
}

// loadPlan is load --dry-run: what would be sent, and the first deliveries
// as curl commands, with nothing sent.
func (a *app) loadPlan(f loadFlags, so load.StreamOptions, o load.Options) error {
	target, err := a.planTarget()
	if err != nil {
		return err
	}
	key, err := a.keyFor(a.common.target, true)
	if err != nil {
		return err
	}
	st := load.NewStream(so)
	p := o.Profile
	var n int64
	var planned string
	switch _, closed := p.(load.Max); {
	case closed && o.Events > 0:
		n, planned = 3, fmt.Sprintf("at most %d deliveries", o.Events)
	case closed:
		n, planned = 3, "as many deliveries as the workers send"
	case f.duration > 0:
		n = load.CountDue(p, f.duration, o.Events)
	default:
		n = o.Events
	}
	if planned == "" {
		planned = fmt.Sprintf("%d deliveries planned", n)
	}
	fmt.Fprintf(a.stdout, "# dry run: nothing is sent\n# %s %s: %s to %s, concurrency %d, seed %d%s\n",
		p, runSpan(f.duration), planned, show.URL(target), f.concurrency, so.Seed, shardNote(f.shard))
	at := time.Now().UTC()
	for j := range min(n, 3) {
		i := st.Index(j*o.Shards + o.Shard)
		if i < 0 {
			break
		}
		d := sender.Prepare(key, st.Body(i, at), sender.SignatureValid, sender.HeaderLower)
		fmt.Fprintln(a.stdout, show.Curl(target, d.Header, d.Body))
	}
	return nil
}

// wholeProfile reads --rate and --profile: the whole run's profile.
func (f loadFlags) wholeProfile() (load.Profile, error) {
	if f.rate == "max" {
		switch {
		case f.profile != "constant" && f.profile != "":
			return nil, usageErr("--profile %s needs a rate to shape: --rate max has no schedule", f.profile)
		case f.minRate > 0:
			return nil, usageErr("--min-rate needs a target rate: --rate max has none")
		}
		return load.Max{}, nil
	}
	rate, err := strconv.ParseFloat(f.rate, 64)
	if err != nil || rate <= 0 || math.IsInf(rate, 0) {
		return nil, usageErr(`--rate %q: want sends per second, such as 2000, or "max"`, f.rate)
	}
	profile, err := load.ParseProfile(f.profile, rate, f.duration)
	if err != nil {
		return nil, inputErr(err)
	}
	return profile, nil
}

// runSpan says how long a run lasts: "for 30s", or "until --events".
func runSpan(d time.Duration) string {
	if d <= 0 {
		return "until --events"
	}
	return "for " + d.String()
}

func shardNote(s string) string {
	if s == "" {
		return ""
	}
	return ", shard " + s
}

// registerThresholds adds the threshold flags, which load and merge share.
func (f *loadFlags) registerThresholds(fl *pflag.FlagSet) {
	fl.DurationVar(&f.maxP99, "max-p99", 0, "threshold: latency p99 at most this")
	fl.StringVar(&f.maxErrors, "max-error-rate", "", "threshold: failed sends at most this fraction (0.001) or percentage (0.1%)")
	fl.Float64Var(&f.minRate, "min-rate", 0, "threshold: achieved rate over target rate at least this (e.g. 0.99)")
}

func (f loadFlags) thresholds() (load.Thresholds, error) {
	th := load.NoThresholds
	th.MaxP99, th.MinRate = f.maxP99, f.minRate
	if f.maxErrors != "" {
		v, err := load.ParseErrorRate(f.maxErrors)
		if err != nil {
			return th, usageErr("--max-error-rate %q: want a fraction like 0.001 or a percentage like 0.1%%", f.maxErrors)
		}
		th.MaxErrorRate = v
	}
	if f.minRate < 0 || f.minRate > 1 {
		return th, usageErr("--min-rate %g: want a ratio from 0 to 1, e.g. 0.99", f.minRate)
	}
	return th, nil
}

func parseShard(s string) (int64, int64, error) {
	if s == "" {
		return 0, 1, nil
	}
	i, n, ok := strings.Cut(s, "/")
	si, err1 := strconv.ParseInt(i, 10, 64)
	sn, err2 := strconv.ParseInt(n, 10, 64)
	if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
		return 0, 0, usageErr("--shard %q: want I/N with 0 <= I < N, e.g. 0/3", s)
	}
	return si, sn, nil
}

// progressBar is the live line, on a terminal only (and not under CI).
func (a *app) progressBar(f loadFlags, o load.Options) *progressbar.ProgressBar {
	file, ok := a.stderr.(*os.File)
	if f.quiet || a.common.json || !ok || os.Getenv("CI") == "true" {
		return nil
	}
	if st, err := file.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	total := o.Events
	if total <= 0 {
		total = -1 // a spinner: the count is not known ahead
	}
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(file), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}

// printLoad prints a load-shaped report; noTarget says why a report with
// no target rate has none.
func (a *app) printLoad(r *load.Report, breaches []string, noTarget string) error {
	if a.common.json {
		return a.writeJSON(r)
	}
	w := a.stdout
	if r.Rate > 0 {
		fmt.Fprintf(w, "achieved rate: %.1f/s (target %.1f/s, %.2f%%) over %s\n", r.AchievedRate(), r.Rate, r.AchievedRate()/r.Rate*100, r.Elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "achieved rate: %.1f/s (no target: %s) over %s\n", r.AchievedRate(), noTarget, r.Elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "sent %d  ok %d  errors %d (%.3f%%)  dropped %d  late %d  max in flight %d\n",
		r.Sent, r.OK, r.Errors(), r.ErrorRate()*100, r.Dropped, r.Late, r.MaxInFlight)
	for _, h := range r.Histograms() {
		fmt.Fprintf(w, "%-34s", h.Name+":")
		switch {
		case h.TotalCount() > 0:
			for _, p := range load.Percentiles {
				fmt.Fprintf(w, " %s %s", load.PercentileName(p), r.Quantile(h.Histogram, p).Round(time.Microsecond))
			}
		case r.Sent > 0 && r.Rate == 0:
			fmt.Fprintf(w, " none: %s keeps no schedule", noTarget)
		default:
			fmt.Fprint(w, " n/a: nothing was sent")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "statuses: %s  classes: %s\n", counts(r.Statuses), counts(r.Classes))
	for _, b := range breaches {
		fmt.Fprintf(w, "BREACHED: %s\n", b)
	}
	return nil
}

func counts(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// streamOptions shapes the stream from the flags and the scenario args
// name, if any (its org sizes and layout).
func (a *app) streamOptions(args []string, f loadFlags) (load.StreamOptions, error) {
	layout, err := a.common.layoutValue()
	if err != nil {
		return load.StreamOptions{}, err
	}
	so := load.StreamOptions{Seed: a.common.seedValue(), Layout: layout, Orgs: f.orgs, Employees: f.employees, Changes: f.changes, Events: a.common.sub}
	if len(args) == 1 {
		sc, err := scenarios.Load(args[0])
		if err != nil {
			return so, inputErr(err)
		}
		for _, o := range sc.Orgs {
			so.Sizes = append(so.Sizes, o.Employees)
		}
		if !a.common.fs.Changed("layout") && sc.Layout != "" {
			if so.Layout, err = wire.ParseLayout(sc.Layout); err != nil {
				return so, usageErr("%v", err)
			}
		}
	}
	if load.NewStream(so).Len() == 0 {
		return so, usageErr("--events %s leaves nothing to send: load sends %s", a.common.sub, loadEvents)
	}
	return so, nil
}

// breachLines says each breach in the words of the flag that set it:
// "--max-p99 1ms breached: latency p99 was 1.4ms".
func breachLines(bs []load.Breach) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = fmt.Sprintf("--%s %s breached: %s", b.Limit, b.Set, b.Got)
	}
	return out
}

// loadEvents are the events a load stream sends.
const loadEvents = "sync.events.initiated, sync.events.employee.add/initial and sync.events.employee.update"
