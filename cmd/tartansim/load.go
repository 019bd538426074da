package main

import (
	"errors"
	"fmt"
	"io"
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
	segment     string
	startAt     string
	partial     bool // merge's --partial
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

--shard I/N (or --segment a:b, k6's execution segment) sends one part of the
run: whole corporates, each with all its sessions, at the times the whole run
sends them, with its share of --concurrency. Give every shard the same flags
and one --start-at, then 'tartansim merge' their --json reports: thresholds are
evaluated there, on the whole run, and not by a shard.
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
  tartansim load --rate 3000 --duration 5m --seed 42 --shard 0/3 --start-at 2026-05-04T09:30:00Z --json > shard-0.json   # then: tartansim merge shard-*.json
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
	fl.StringVar(&f.shard, "shard", "", "I/N: send only shard I of N (0-based) of the run: whole corporates, at the whole run's times, with 1/N of --concurrency")
	fl.StringVar(&f.segment, "segment", "", "a:b: send only the fraction [a, b) of the run (k6's execution segment; 1/4:2/4 is --shard 1/4)")
	fl.StringVar(&f.startAt, "start-at", "", "begin at this instant (RFC 3339, such as 2026-05-04T09:30:00Z), the same for every shard")
	f.registerThresholds(fl)
	fl.StringVar(&f.record, "record", "", "write every send as NDJSON (exact bytes and headers, never the key) to FILE")
	fl.StringVar(&f.html, "html", "", "write a single-file HTML report (latency over time) to FILE")
	fl.BoolVar(&f.dryRun, "dry-run", false, "send nothing: print the plan and the first deliveries as curl commands")
	fl.BoolVar(&f.quiet, "quiet", false, "no live progress line (it is off anyway when stderr is not a terminal or CI=true)")
	a.common.register(fl, flagTarget, flagKey, flagTimeout, flagSeed, flagLayout, flagTLS, flagJSON)
	return cmd
}

func (a *app) load(args []string, f loadFlags) error {
	if err := refuseZeros(a.common.fs, "count", "concurrency", "orgs", "employees", "changes", "max-p99"); err != nil {
		return err
	}
	th, err := f.thresholds()
	if err != nil {
		return err
	}
	seg, err := f.part()
	if err != nil {
		return err
	}
	if given := a.thresholdFlags(); !seg.IsWhole() && given != "" {
		return usageErr("--%s is evaluated on the whole run: pass it to 'tartansim merge' with the shards' reports, not to %s", given, seg.Name())
	}
	startAt, err := f.startAtValue()
	if err != nil {
		return err
	}
	if f.count == 0 && f.duration == 0 {
		f.count = 10000
	}
	profile, err := f.wholeProfile()
	if err != nil {
		return err
	}
	stream, scenario, err := a.loadStream(args, f)
	if err != nil {
		return err
	}
	part, err := stream.Part(seg)
	if err != nil {
		return f.optionErr(a, err)
	}
	opts := load.Options{Profile: profile, Duration: f.duration, Events: f.count, Concurrency: f.concurrency, Segment: seg, StartAt: startAt}
	if err := opts.Validate(); err != nil {
		return f.optionErr(a, err)
	}
	if f.dryRun {
		return a.loadPlan(f, stream, part, opts)
	}
	t, err := a.resolveTargetConns(opts.Workers(f.concurrency), true)
	if err != nil {
		return err
	}
	defer t.close()

	opts.Key = t.key
	var rec *recordFile
	if f.record != "" {
		if rec, err = createRecord(f.record, nil); err != nil { // load.Run stops at a failed write itself
			return err
		}
		opts.Log = deliverylog.NewWriter(rec)
	}
	seed := stream.Seed()
	if !a.common.json {
		fmt.Fprintf(a.stdout, "tartansim load: %s against %s, concurrency %d, seed %d%s%s\n", profile, t.describe(), f.concurrency, seed, partNote(part, opts, stream), startNote(startAt))
	}
	if bar := a.progressBar(f, part.Count(f.count)); bar != nil {
		opts.Progress = progressOn(bar)
		defer func() { _ = bar.Clear() }()
	}
	rep, err := load.Run(a.ctx, t.sender, stream, opts)
	var recErr error // the log and the report files: written whatever happens
	if rec != nil {
		recErr = rec.close(opts.Log)
	}
	if err != nil && !errors.Is(err, load.ErrLog) {
		return f.optionErr(a, err)
	}
	rep.Scenario, rep.Target = scenario, t.describe()
	breaches, htmlErr, err := a.showRun(rep, th, f.html)
	if err != nil {
		return err
	}
	switch {
	case recErr != nil:
		return rec.failure(recErr, int(rep.Sent), seed)
	case htmlErr != nil:
		return htmlErr
	}
	return loadExit(rep, breaches, t, seed)
}

// showRun shows a finished run as the flags ask (--html FILE; text or
// --json on stdout) and returns the thresholds it breaches; htmlErr, the
// HTML file's failure, is for after the report is printed.
func (a *app) showRun(r *load.Report, th load.Thresholds, html string) (breaches []string, htmlErr, err error) {
	if html != "" {
		htmlErr = writeHTMLFile(html, r)
	}
	breaches = breachLines(th.Breaches(r))
	return breaches, htmlErr, a.printLoad(r, breaches, "--rate max")
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
func (a *app) loadPlan(f loadFlags, st *load.Stream, part *load.Part, o load.Options) error {
	target, err := a.planTarget()
	if err != nil {
		return err
	}
	key, err := a.keyFor(a.common.target, true)
	if err != nil {
		return err
	}
	p := o.Profile
	events := o.Events
	if n := st.Len(); n >= 0 && (events <= 0 || events > n) {
		events = n
	}
	var n int64
	var planned string
	switch _, closed := p.(load.Max); {
	case closed && events > 0:
		n, planned = 3, fmt.Sprintf("at most %d deliveries", part.Count(events))
	case closed:
		n, planned = 3, "as many deliveries as the workers send"
	case f.duration > 0:
		n = part.Count(load.CountDue(p, f.duration, events))
	default:
		n = part.Count(events)
	}
	if planned == "" {
		planned = fmt.Sprintf("%d deliveries planned", n)
	}
	fmt.Fprintf(a.stdout, "# dry run: nothing is sent\n# %s %s: %s to %s, concurrency %d, seed %d%s%s\n",
		p, runSpan(f.duration), planned, show.URL(target), f.concurrency, st.Seed(), partNote(part, o, st), startNote(o.StartAt))
	at := time.Now().UTC()
	for k := range min(n, 3) {
		pos := part.Pos(k)
		if pos < 0 || (events > 0 && pos >= events) {
			break
		}
		d := sender.Prepare(key, st.Body(st.Index(pos), at), sender.SignatureValid, sender.HeaderLower)
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
	if err != nil || !(rate > 0) || math.IsInf(rate, 0) { // NaN too
		return nil, badFlag("rate", f.rate, `is not sends per second: give a positive number such as 2000, or "max"`)
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

// partNote says which part of the run a copy sends, for its first line:
// "" for the whole run.
func partNote(p *load.Part, o load.Options, st *load.Stream) string {
	if p.Segment.IsWhole() {
		return ""
	}
	return fmt.Sprintf("; %s: %d of %d corporates (%s), %d of the %d connections", p.Segment.Name(), len(p.Orgs), st.Orgs(),
		show.Plural(p.Employees, "employee"), o.Workers(o.Concurrency), o.Concurrency)
}

// startNote says when a run waits for --start-at.
func startNote(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	return "; starting at " + at.UTC().Format(time.RFC3339Nano)
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
			return th, badFlag("max-error-rate", f.maxErrors, "is not a fraction like 0.001 or a percentage like 0.1%")
		}
		th.MaxErrorRate = v
	}
	if err := th.Validate(); err != nil {
		return th, f.optionErr(nil, err)
	}
	return th, nil
}

// thresholdFlags names the first threshold flag given, or "".
func (a *app) thresholdFlags() string {
	for _, name := range []string{"max-p99", "max-error-rate", "min-rate"} {
		if a.common.fs.Changed(name) {
			return name
		}
	}
	return ""
}

// part reads --shard or --segment: the part of the run this copy sends.
func (f loadFlags) part() (load.Segment, error) {
	switch {
	case f.shard != "" && f.segment != "":
		return load.Segment{}, usageErr("--shard and --segment both given: they say the same thing, so give one")
	case f.shard != "":
		seg, err := load.ParseShard(f.shard)
		if err != nil {
			return seg, badFlag("shard", f.shard, "is not a shard: give I/N with 0 <= I < N, such as 0/3")
		}
		return seg, nil
	case f.segment != "":
		seg, err := load.ParseSegment(f.segment)
		if err != nil {
			return seg, badFlag("segment", f.segment, "is not a segment: give a:b with 0 <= a < b <= 1, such as 0:1/4 or 0.25:0.5")
		}
		return seg, nil
	}
	return load.Segment{}, nil
}

// startAtValue reads --start-at.
func (f loadFlags) startAtValue() (time.Time, error) {
	if f.startAt == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, f.startAt)
	if err != nil {
		return t, badFlag("start-at", f.startAt, "is not an RFC 3339 instant such as 2026-05-04T09:30:00Z")
	}
	return t, nil
}

// loadOptionFlags names the flag that sets each field of load's options.
var loadOptionFlags = map[string]string{
	"Events": "count", "Duration": "duration", "Concurrency": "concurrency", "StartAt": "start-at", "Profile": "profile",
	"Orgs": "orgs", "Employees": "employees", "Changes": "changes",
	"MaxP99": "max-p99", "MaxErrorRate": "max-error-rate", "MinRate": "min-rate",
	"Rate": "rate", "Limit": "count",
}

// optionErr is err, a *load.OptionError, as one sentence that names the
// flag and its value as given (exit 2); other errors in their own words.
func (f loadFlags) optionErr(a *app, err error) error {
	var oe *load.OptionError
	if !errors.As(err, &oe) {
		return inputErr(err)
	}
	flag := loadOptionFlags[oe.Field]
	switch {
	case oe.Field == "Segment" && f.segment != "":
		flag = "segment"
	case oe.Field == "Segment":
		flag = "shard"
	case oe.Field == "Sizes":
		return usageErr("the scenario has a corporate of %s employees, which %s", oe.Value, oe.Why)
	}
	value := oe.Value
	if a != nil && a.common.fs != nil {
		if fl := a.common.fs.Lookup(flag); fl != nil && fl.Changed {
			value = fl.Value.String()
		}
	}
	return badFlag(flag, value, oe.Why)
}

// refuseZeros refuses an explicit 0 for the named flags: the library reads
// a 0 there as "the default", and a user who typed 0 meant something else.
func refuseZeros(fs *pflag.FlagSet, names ...string) error {
	for _, name := range names {
		fl := fs.Lookup(name)
		if fl == nil || !fl.Changed {
			continue
		}
		switch v := fl.Value.String(); v {
		case "0":
			return badFlag(name, "0", "is not a count: give 1 or more")
		case "0s":
			return badFlag(name, "0", "is zero: give a positive duration, such as 500ms")
		}
	}
	return nil
}

// progressBar is the live line, on a terminal only (and not under CI), for
// a run of total sends (0 or less: not known ahead).
func (a *app) progressBar(f loadFlags, total int64) *progressbar.ProgressBar {
	file, ok := a.stderr.(*os.File)
	if f.quiet || a.common.json || !ok || os.Getenv("CI") == "true" {
		return nil
	}
	if st, err := file.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
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
	printStart(w, r)
	for _, b := range breaches {
		fmt.Fprintf(w, "BREACHED: %s\n", b)
	}
	return nil
}

// printStart says when a run started, how late after --start-at, and for
// a merged run, which parts it merged and which are missing.
func printStart(w io.Writer, r *load.Report) {
	const stamp = "2006-01-02T15:04:05.000000Z07:00"
	switch {
	case len(r.Parts) > 0:
		fmt.Fprintf(w, "merged %s: %s", show.Plural(len(r.Parts), "part"), strings.Join(r.Parts, " "))
		if !r.Started.IsZero() {
			fmt.Fprintf(w, "; first started %s, the last %s later", r.Started.Format(stamp), r.StartSpread)
		}
		fmt.Fprintln(w)
		if len(r.Missing) > 0 {
			fmt.Fprintf(w, "PARTIAL: no report for %s (merged with --partial): the figures above leave that part of the run out\n", strings.Join(r.Missing, ", "))
		}
	case !r.StartAt.IsZero():
		fmt.Fprintf(w, "started %s, %s after --start-at %s\n", r.Started.Format(stamp), r.StartedLate, r.StartAt.Format(time.RFC3339Nano))
	}
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

// loadStream makes the stream from the flags and the scenario args name,
// if any (its org sizes and layout), and returns it with the scenario's
// name ("" for none).
func (a *app) loadStream(args []string, f loadFlags) (*load.Stream, string, error) {
	layout, err := a.common.layoutValue()
	if err != nil {
		return nil, "", err
	}
	so := load.StreamOptions{Seed: a.common.seedValue(), Layout: layout, Orgs: f.orgs, Employees: f.employees, Changes: f.changes, Events: a.common.sub}
	scenario := ""
	if len(args) == 1 {
		sc, err := scenarios.Load(args[0])
		if err != nil {
			return nil, "", inputErr(err)
		}
		scenario = sc.Name
		for _, o := range sc.Orgs {
			so.Sizes = append(so.Sizes, o.Employees)
		}
		if !a.common.fs.Changed("layout") && sc.Layout != "" {
			if so.Layout, err = wire.ParseLayout(sc.Layout); err != nil {
				return nil, "", usageErr("%v", err)
			}
		}
	}
	if err := so.Validate(); err != nil {
		return nil, "", f.optionErr(a, err)
	}
	st := load.NewStream(so)
	if st.Len() == 0 {
		return nil, "", usageErr("--events %s leaves nothing to send: load sends %s", a.common.sub, loadEvents)
	}
	return st, scenario, nil
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
