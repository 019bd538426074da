package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/serve"
)

// Environment variables of serve alone. serve reads --events and
// TARTAN_EVENTS itself: absent, the stored subscription stands.
const (
	envToken = "TARTAN_CONSOLE_TOKEN"
	envStore = "TARTAN_STORE"
)

type serveFlags struct {
	addr      string
	token     string
	tokenFile string
	store     string
	events    string
	eod       string
	allow     []string
	api       apiFlags
}

const serveExamples = `  # The console on http://127.0.0.1:7070/, sending to the built-in reference consumer
  tartansim serve

  # Your consumer, with its key and state probe, subscribed to two events
  export TARTAN_APP_KEY=...   # or --key-file FILE
  tartansim serve --target http://127.0.0.1:8080/webhook --probe http://127.0.0.1:8080/probe \
    --events connection.events.requested,sync.events.employee.add

  # Reachable from other machines: only with a token (open the page once with ?token=...)
  TARTAN_CONSOLE_TOKEN=$(openssl rand -hex 16) tartansim serve --addr 0.0.0.0:7070

  # Your backend calls the mock Tartan API: invite a corporate, then read its employees
  curl -s -X POST -H "Authorization: Token $TARTAN_API_KEY" -H 'Content-Type: application/json' \
    -d '{"email":"hr@acme.in","org_name":"Acme","fullname":"Asha Rao","remote_org_id":"acme-1"}' \
    http://127.0.0.1:7070/api/sdk/token/
  curl -s -H "Authorization: Token $TARTAN_API_KEY" 'http://127.0.0.1:7070/api/v2/employee_list?org=ORG_ID'
  curl -s http://127.0.0.1:7070/_tartansim/verdicts

  # What the page does, from a script
  curl -s 'http://127.0.0.1:7070/api/console/deliveries?outcome=failed'
  curl -s -X POST http://127.0.0.1:7070/api/console/eod`

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Tartan in a box: the console web page and its control API, until stopped",
		Long: `Serve the tartansim console: a web page (and the JSON control API it uses, under
/api/console/) to set the webhook URL and the subscribed events, test a webhook,
run scenarios and the conformance checks with live progress, and see, filter,
resend and export every delivery. Failed deliveries are re-sent by an EOD batch
every day at 23:59 IST (--eod), as Tartan does.

Beside the console it serves Tartan's REST API under /api/ (Generate SDK token,
Terminate connection, your connections, Employee list v2, Resend, employee
details, data model flags, org details), from one simulated state with the
webhooks: a consumer's own call to invite a corporate makes the corporate accept
(--accept-after), sync its employees and send the webhooks, and
/_tartansim/verdicts says whether the consumer's state converged (with --probe).
Calls carry the API key (--api-key-file or TARTAN_API_KEY; not the app key).

The log and the settings live in a store on disk (--store) and survive a
restart. Flags given here beat the stored settings. The app key comes only from
--key, --key-file or TARTAN_APP_KEY and is never shown or returned. Without a key
only the built-in reference consumer can be tested.

It listens on loopback by default, answers only to its own address (no DNS
rebinding), takes changes only from its own page (no cross-site requests) and
needs a token (--token-file or TARTAN_CONSOLE_TOKEN) on any other address.
Stop it with Ctrl-C.`,
		Example: serveExamples,
		Args:    cobra.NoArgs,
		RunE:    func(c *cobra.Command, _ []string) error { return a.serve(c, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", console.DefaultAddr, "address to listen on; other than loopback it needs a token")
	fl.StringVar(&f.token, "token", "", "the token every request must carry, for local use ($"+envToken+" or --token-file are safer)")
	fl.StringVar(&f.tokenFile, "token-file", "", "read the token from this file (trailing newline ignored)")
	fl.StringVar(&f.store, "store", "", "the store file of the log and settings ($"+envStore+"); default: "+defaultStore())
	fl.StringVar(&f.events, "events", "", "the subscription: catalogue IDs or event names, comma-separated, all or none ($"+envEvents+"); default: as stored, at first all")
	fl.StringVar(&f.eod, "eod", "", "time of the daily EOD batch, HH:MM IST, or off; default: as stored, at first "+console.DefaultEOD)
	fl.StringSliceVar(&f.allow, "allow-host", nil, "another host:port the console is reached by (repeatable); every other Host is refused")
	f.api.register(fl)
	a.common.register(fl, flagTarget, flagKey, flagProbe, flagTimeout, flagSeed, flagLayout, flagTLS, flagSettle)
	return cmd
}

// defaultStore is $XDG_STATE_HOME/tartansim/console.db, or the same under
// ~/.local/state.
func defaultStore() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "tartansim-console.db"
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "tartansim", "console.db")
}

func (a *app) serve(c *cobra.Command, f serveFlags) error {
	opts, store, seed, err := a.serveOptions(c, f)
	if err != nil {
		return err
	}
	apiKey, demo, err := f.api.key()
	if err != nil {
		return err
	}
	boxOpts, err := a.boxOptions(f.api, apiKey, seed)
	if err != nil {
		return err
	}
	srv, err := serve.New(serve.Options{Console: opts, APIKey: apiKey, Box: boxOpts})
	var bad *console.Error
	switch {
	case errors.Is(err, console.ErrTokenRequired):
		return usageErr("--addr %s is not loopback, so the console needs a token: set %s or pass --token-file FILE", f.addr, envToken)
	case errors.Is(err, console.ErrStoreLocked):
		return usageErr("the store %s is in use by another tartansim serve; stop it or pass --store another file", store)
	case errors.Is(err, console.ErrStoreDamaged):
		return usageErr("the store %s is damaged or is not a tartansim console store; it was left untouched: move it aside or pass --store another file", store)
	case errors.As(err, &bad):
		return usageErr("%s", bad.Why)
	case err != nil:
		return inputErr(err)
	}
	defer srv.Close()
	ln, err := srv.Listen()
	if err != nil {
		return inputErr(err)
	}
	st := srv.Console().Settings()
	where := st.WebhookURL
	if where == "" {
		where = "the built-in reference consumer"
	}
	base := strings.TrimSuffix(srv.URL(), "/")
	fmt.Fprintf(a.stdout, "tartansim console: %s\n", srv.URL())
	fmt.Fprintf(a.stdout, "  webhooks to %s; events %s; EOD %s IST; store %s; seed %d\n", where, st.Events, st.EOD, store, seed)
	fmt.Fprintf(a.stdout, "  Tartan API on %s/api/ (calls carry %s); mock-only controls on %s%s\n", base, apiKeyWords(demo), base, box.ControlPrefix)
	switch r := srv.Restored(); {
	case r.Discarded != "":
		fmt.Fprintf(a.stderr, "tartansim serve: the mock Tartan API's corporates in %s were not restored: %s.\n", store, r.Discarded)
	case r.Corporates > 0:
		fmt.Fprintf(a.stdout, "  restored from the store: %d corporates, %d deliveries (%d sends the stop cut short, due at the next EOD batch)\n", r.Corporates, r.Deliveries, r.Interrupted)
	}
	if err := srv.Serve(a.ctx, ln); err != nil {
		return err
	}
	return &exitError{exitInterrupted, fmt.Errorf("interrupted; the console stopped, its log is kept in %s", store)}
}

// serveOptions translates the flags into the console's options; it also
// returns the store's path and the seed.
func (a *app) serveOptions(c *cobra.Command, f serveFlags) (opts []console.Option, store string, seed uint64, err error) {
	opts = []console.Option{console.Addr(f.addr), console.Timeout(a.common.timeout), console.Settle(a.common.settleValue()), console.AllowHosts(f.allow...),
		console.Logger(slog.New(slog.NewTextHandler(a.stderr, nil)))}
	// A new seed each start unless given: the same seed makes the same
	// payloads, so a restart would otherwise repeat requestIds.
	seed = a.common.seedValue()
	opts = append(opts, console.Seed(seed))
	key, ok, err := a.common.appKey()
	if err != nil {
		return nil, "", 0, err
	}
	if ok {
		opts = append(opts, console.Key(key))
	}
	if w := a.common.keyFileWarning(); w != "" {
		fmt.Fprintln(a.stderr, w)
	}
	token, err := serveToken(f)
	if err != nil {
		return nil, "", 0, err
	}
	if token != "" {
		opts = append(opts, console.Token(token))
	}
	if host, _, err := net.SplitHostPort(f.addr); err != nil {
		return nil, "", 0, usageErr("--addr %q is not host:port", f.addr)
	} else if host == "" {
		return nil, "", 0, usageErr("--addr %q has no host: say 127.0.0.1:PORT, or 0.0.0.0:PORT (with a token) for every interface", f.addr)
	}
	tlsConfig, err := a.common.tlsConfig()
	if err != nil {
		return nil, "", 0, err
	}
	opts = append(opts, console.TLS(tlsConfig))

	store = f.store
	if store == "" {
		store = os.Getenv(envStore)
	}
	if store == "" {
		store = defaultStore()
	}
	opts = append(opts, console.StorePath(store))

	patch, err := a.servePatch(c, f)
	if err != nil {
		return nil, "", 0, err
	}
	return append(opts, console.Override(patch)), store, seed, nil
}

// servePatch holds the settings given on the command line (or in the
// environment), which beat the stored ones.
func (a *app) servePatch(c *cobra.Command, f serveFlags) (console.Patch, error) {
	var p console.Patch
	if a.common.target != "" {
		if err := checkTarget(a.common.target, "--target"); err != nil {
			return p, err
		}
		p.WebhookURL = &a.common.target
	}
	if a.common.probe != "" {
		if err := checkTarget(a.common.probe, "--probe"); err != nil {
			return p, err
		}
		p.ProbeURL = &a.common.probe
	}
	events := f.events
	if events == "" {
		events = os.Getenv(envEvents)
	}
	if events != "" {
		if _, err := fixtures.ParseSubscription(events); err != nil {
			return p, usageErr("--events: %s", plain(err))
		}
		p.Events = &[]string{events}
	}
	if c.Flags().Changed("layout") {
		if _, err := a.common.layoutValue(); err != nil {
			return p, err
		}
		p.Layout = &a.common.layout
	}
	if f.eod != "" {
		if _, err := console.DefaultSettings().Apply(console.Patch{EOD: &f.eod}); err != nil {
			return p, usageErr("--eod %q is not a time of day like 23:59 (IST), or off", f.eod)
		}
		p.EOD = &f.eod
	}
	return p, nil
}

// serveToken reads the token from --token, --token-file or the
// environment, in that order.
func serveToken(f serveFlags) (string, error) {
	switch {
	case f.token != "" && f.tokenFile != "":
		return "", usageErr("--token and --token-file both given; use one")
	case f.token != "":
		return f.token, nil
	case f.tokenFile != "":
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", usageErr("cannot read --token-file %s: %v", f.tokenFile, plainIOError(err))
		}
		t := strings.TrimRight(string(b), "\r\n")
		if t == "" {
			return "", usageErr("--token-file %s is empty", f.tokenFile)
		}
		return t, nil
	}
	return os.Getenv(envToken), nil
}
