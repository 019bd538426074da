package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

type sendFlags struct {
	dryRun     bool
	at         string
	pii        bool
	overrides  overrideList
	signature  string
	headerCase string
}

// overrideList keeps --set, --add and --unset in the order they were given,
// since each works on what the ones before it left.
type overrideList struct {
	items []wire.Override
	args  []string // as given, for the reproduce line
}

// overrideFlag is one of --set, --add, --unset: a pflag.Value appending to
// the shared list.
type overrideFlag struct {
	op   wire.Op
	name string
	list *overrideList
}

func (f overrideFlag) String() string { return "" }
func (f overrideFlag) Type() string {
	if f.op == wire.OpDelete {
		return "PATH"
	}
	return "PATH=VALUE"
}
func (f overrideFlag) Set(v string) error {
	o, err := wire.ParseOverride(f.op, v)
	if err != nil {
		return fmt.Errorf("%s", plain(err))
	}
	f.list.items = append(f.list.items, o)
	f.list.args = append(f.list.args, "--"+f.name, v)
	return nil
}

func (a *app) sendCommand() *cobra.Command {
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "send EVENT",
		Short: "Build one realistic event, sign it and post it",
		Long: `Build one realistic Tartan event of kind EVENT (see 'tartansim events'), sign it
and post it to --target, or to the built-in reference consumer when no target is
given, and show the consumer's answer.

Overrides change the event before it is signed. A PATH is keys separated by dots
with [N] or [*] for array elements; the dotted key vendor.orgId works as written.
A path that matches nothing is an error, never ignored:
  --set PATH=VALUE    replace a value that exists (VALUE is JSON, or bare text
                      for a string: --set body[0].employeeId=0042)
  --add PATH=VALUE    add a key that does not exist (unknown-field tests)
  --unset PATH        remove a key (records whose data model leaves it out)

The same --seed and --at give the same bytes.`,
		Example: `  tartansim send sync.events.employee.add
  tartansim send sync.events.employee.add/delta --layout python --seed 7
  tartansim send sync.events.employee.update --set 'body[0].status=Not Active' --set 'body[0].terminationDate=2026-11-20'
  tartansim send connection.events.requested --dry-run | sh    # curl to a consumer on :8080
  tartansim send sync.events.initiated --signature near-miss --target http://127.0.0.1:8080/webhook --key-file key.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.send(args[0], f) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the exact request as a curl command instead of sending it")
	fl.StringVar(&f.at, "at", "", "the event's time (RFC 3339 or '2006-01-02 15:04:05', UTC); default: now")
	fl.BoolVar(&f.pii, "pii", false, "realistic synthetic PAN, Aadhaar, UAN, mobile and bank values instead of masks")
	fl.Var(overrideFlag{wire.OpSet, "set", &f.overrides}, "set", "replace the value at PATH (repeatable, applied in order)")
	fl.Var(overrideFlag{wire.OpAdd, "add", &f.overrides}, "add", "add a new key at PATH (repeatable, applied in order)")
	fl.Var(overrideFlag{wire.OpDelete, "unset", &f.overrides}, "unset", "remove the key at PATH (repeatable, applied in order)")
	fl.StringVar(&f.signature, "signature", "valid", "signature variant to send: "+strings.Join(sender.SignatureNames(), ", "))
	fl.StringVar(&f.headerCase, "header-case", "lower", "signature header spelling: lower (tartan-signature), canonical (Tartan-Signature), upper")
	a.common.register(fl, flagTarget, flagKey, flagTimeout, flagSeed, flagLayout, flagTLS, flagJSON, flagEvents)
	return cmd
}

// dryRunTarget is where --dry-run points when no target is given: the
// address 'tartansim consumer' listens on by default.
const dryRunTarget = "http://" + defaultConsumerAddr + "/webhook"

// planTarget is where a --dry-run's curl commands point: --target, checked
// as a real run checks it, or else dryRunTarget.
func (a *app) planTarget() (string, error) {
	if a.common.target == "" {
		return dryRunTarget, nil
	}
	if err := checkTarget(a.common.target, "--target"); err != nil {
		return "", err
	}
	return a.common.target, nil
}

func (a *app) send(id string, f sendFlags) error {
	kind, err := fixtures.LookupKind(id)
	if err != nil {
		return usageErr("unknown event %q; 'tartansim events' lists them", id)
	}
	if !a.common.sub.Has(kind) {
		return usageErr("%s is not among the subscribed events (%s), so Tartan would not send it", kind.ID(), a.common.sub)
	}
	layout, err := a.common.layoutValue()
	if err != nil {
		return err
	}
	sig, err := sender.ParseSignature(f.signature)
	if err != nil {
		return usageErr("--signature %q: want one of %s", f.signature, strings.Join(sender.SignatureNames(), ", "))
	}
	hc, err := sender.ParseHeaderCase(f.headerCase)
	if err != nil {
		return usageErr("--header-case %q: want lower, canonical or upper", f.headerCase)
	}
	at, err := parseAt(f.at)
	if err != nil {
		return err
	}
	key, err := a.targetKey(true)
	if err != nil {
		return err
	}

	seed := a.common.seedValue()
	g := newGenerator(seed, at, f.pii)
	v := g.Vendor()
	ev := g.Sample(kind, v)
	doc := ev.Document()
	for _, o := range f.overrides.items {
		if err := o.Apply(doc); err != nil {
			return usageErr("%s: %s", o, plain(err))
		}
	}
	body := wire.Encode(doc, layout)
	d := sender.Prepare(key, body, sig, hc)
	repro := fmt.Sprintf("seed %d, at %s (reproduce: %s)", seed, at.Format(time.RFC3339), reproduceSend(kind, seed, at, layout, f))

	if f.dryRun {
		target, err := a.planTarget()
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stderr, "# "+repro)
		fmt.Fprintln(a.stdout, show.Curl(target, d.Header, d.Body))
		return nil
	}

	t, err := a.openTarget(key, sender.DefaultMaxConns)
	if err != nil {
		return err
	}
	defer t.close()
	res := t.sender.Send(a.ctx, d)
	return a.reportSend(sendReport{
		seed: seed, at: at, repro: repro, target: show.URL(t.url), builtin: t.emb != nil,
		env: sentEnvelope(body), layout: layout, bytes: len(body), sig: sig, result: res, emb: t.emb,
	})
}

func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	for _, layout := range []string{time.RFC3339, fixtures.TimeLayout, fixtures.DateLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageErr("--at %q is not a time like 2026-11-27T09:30:00Z or '2026-11-27 09:30:00'", s)
}

// reproduceSend is the command line that makes the same bytes again.
func reproduceSend(kind fixtures.Kind, seed uint64, at time.Time, layout wire.Layout, f sendFlags) string {
	args := []string{"tartansim", "send", kind.ID(), "--seed", fmt.Sprint(seed), "--at", at.Format(time.RFC3339), "--layout", layout.String()}
	if f.pii {
		args = append(args, "--pii")
	}
	if f.signature != "valid" {
		args = append(args, "--signature", f.signature)
	}
	if f.headerCase != "lower" {
		args = append(args, "--header-case", f.headerCase)
	}
	for _, a := range f.overrides.args {
		if strings.HasPrefix(a, "--") {
			args = append(args, a)
		} else {
			args = append(args, show.Quote(a))
		}
	}
	return strings.Join(args, " ")
}

// envelope is what send reports of the bytes it sent, read back after the
// overrides.
type envelope struct {
	RequestID   string            `json:"requestId"`
	OrgID       string            `json:"orgId"`
	Event       string            `json:"event"`
	EventType   string            `json:"eventType"`
	RecordCount *int              `json:"recordCount"`
	Body        []json.RawMessage `json:"body"`
}

func sentEnvelope(body []byte) envelope {
	var e envelope
	_ = json.Unmarshal(body, &e) // overrides may break types; report what reads
	return e
}

type sendReport struct {
	seed    uint64
	at      time.Time
	repro   string
	target  string
	builtin bool
	env     envelope
	layout  wire.Layout
	bytes   int
	sig     sender.Signature
	result  sender.Result
	emb     *embedded
}

func (a *app) reportSend(r sendReport) error {
	res := r.result
	var verdict any
	if r.emb != nil {
		if v, ok := r.emb.verdict(r.env.RequestID); ok {
			verdict = v
		}
	}
	if a.common.json {
		out := map[string]any{
			"seed": r.seed, "at": r.at.Format(time.RFC3339), "target": r.target, "builtinConsumer": r.builtin,
			"event": r.env.Event, "eventType": r.env.EventType, "requestId": r.env.RequestID,
			"orgId": r.env.OrgID, "records": len(r.env.Body), "layout": r.layout.String(), "bytes": r.bytes, "signature": r.sig.String(),
			"status": res.Status, "latencyMs": float64(res.Latency.Microseconds()) / 1000, "class": res.Class.String(),
			"ok": res.OK(),
		}
		if res.Err != nil {
			out["error"] = res.Summary()
		}
		if verdict != nil {
			out["consumer"] = verdict
		}
		if err := a.writeJSON(out); err != nil {
			return err
		}
	} else {
		where := r.target
		if r.builtin {
			where += " (built-in reference consumer)"
		}
		fmt.Fprintf(a.stdout, "POST %s\n", where)
		records := ""
		if strings.HasPrefix(r.env.Event, "sync.events.employee") {
			records = ", " + show.Plural(len(r.env.Body), "record")
		}
		fmt.Fprintf(a.stdout, "  %s (%s)%s, %d bytes %s, signature %s\n", r.env.Event, r.env.EventType, records, r.bytes, r.layout, r.sig)
		fmt.Fprintf(a.stdout, "  orgId %s  requestId %s\n", r.env.OrgID, r.env.RequestID)
		fmt.Fprintf(a.stdout, "  answer: %s\n", res.Summary())
		if v, ok := verdict.(consumer.Decision); ok {
			fmt.Fprintf(a.stdout, "  consumer: %s", v.Outcome)
			if v.Reason != "" {
				fmt.Fprintf(a.stdout, ": %s", v.Reason)
			} else if v.Records > 0 {
				fmt.Fprintf(a.stdout, " (%s, %d stale)", show.Plural(v.Records, "record"), v.Stale)
			}
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintf(a.stdout, "  %s\n", r.repro)
	}
	switch {
	case res.OK():
		return nil
	case res.Unreachable():
		return unreachableErr("could not reach %s: %s", r.target, res.Summary())
	default:
		return shortErr("the consumer did not acknowledge the delivery: %s (seed %d)", res.Summary(), r.seed)
	}
}
