package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

const rootExamples = `  # Play the built-in scenarios against the built-in reference consumer
  tartansim run

  # Judge your consumer: conformance checks, with its state probe
  export TARTAN_APP_KEY=...   # or --key-file FILE
  tartansim conformance --target https://staging.example.com/tartan/webhook --probe https://staging.example.com/tartan/state

  # Post one realistic, signed event, or show it as a curl command
  tartansim send sync.events.employee.add
  tartansim send connection.events.requested --dry-run --seed 42

  # A consumer that applies from a queue: wait up to 30s for its state to settle
  tartansim conformance --target $URL --probe $PROBE --settle 30s

  # Only the events your integration subscribed to
  tartansim run --events connection.events.requested,sync.events.employee.add

  # Tartan in a box on http://127.0.0.1:7070/: the console and the mock API
  tartansim serve

  # Load at 2000 deliveries/s with CI thresholds
  tartansim load --rate 2000 --duration 1m --max-p99 500ms --max-error-rate 0.1%

  # Run the reference consumer on :8080 and watch what it decides
  tartansim consumer --addr 127.0.0.1:8080`

// run is the whole program with its inputs and outputs injected, so tests
// run it in-process. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") && len(args) > 0 {
		msg := fmt.Sprintf("unknown command %q", args[0])
		if s := root.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q", s[0])
		}
		err = usageErr("%s (see 'tartansim --help')", msg)
	}
	if err != nil {
		if ctx.Err() != nil && exitCode(err) != exitUsage && exitCode(err) != exitInterrupted {
			err = &exitError{exitInterrupted, errors.New("interrupted")}
		}
		fmt.Fprintf(stderr, "tartansim: %s\n", sentence(err.Error()))
	}
	return exitCode(err)
}

// sentence ends a message with a full stop, once.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

// app holds what every command shares: the streams and the common flags.
type app struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	common         commonFlags
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "tartansim",
		Short: "Impersonate Tartan's webhook sender and judge how a consumer handles it",
		Long: `tartansim builds realistic, correctly signed Tartan HyperSync webhooks (sync
sessions, employee batches, connection invites and terminations), posts them to
the consumer under test, and says whether it handled them correctly.

Without --target, send, run, conformance, load and replay talk to tartansim's
built-in reference consumer, so they work with no set-up at all. serve is
Tartan in a box: the console page and Tartan's REST API, whose calls trigger
the webhooks.

Environment: TARTAN_TARGET_URL, TARTAN_APP_KEY, TARTAN_PROBE_URL, TARTAN_TIMEOUT,
TARTAN_SEED, TARTAN_SETTLE, TARTAN_EVENTS, and for serve TARTAN_API_KEY,
TARTAN_CONSOLE_TOKEN, TARTAN_STORE (a flag beats its variable).
Exit codes: 0 success, 1 the consumer fell short, 2 usage or input error,
3 target or probe unreachable, 4 nothing judged (every check or scenario was
skipped, or nothing was sent), 130 interrupted.`,
		Example:       rootExamples,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if bad, ok := flagValueError(err); ok {
			return bad
		}
		return usageErr("%v (see 'tartansim %s --help')", err, c.Name())
	})
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		a.common.fs = c.Flags()
		return a.common.fromEnv()
	}
	root.AddCommand(
		a.eventsCommand(),
		a.sendCommand(),
		a.signCommand(),
		a.verifyCommand(),
		a.consumerCommand(),
		a.scenariosCommand(),
		a.runCommand(),
		a.conformanceCommand(),
		a.loadCommand(),
		a.replayCommand(),
		a.mergeCommand(),
		a.serveCommand(),
	)
	root.SetOut(a.stdout) // before the completion command, which keeps it
	root.SetErr(a.stderr)
	root.InitDefaultCompletionCmd()
	refuseUnknownShells(root)
	for _, c := range root.Commands() {
		c.Args = wrapArgs(c.Args)
	}
	return root
}

// wrapArgs turns cobra's argument-count errors into usage errors.
func wrapArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		return nil
	}
	return func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return usageErr("%v (see 'tartansim %s --help')", err, c.Name())
		}
		return nil
	}
}

// refuseUnknownShells makes cobra's completion command refuse a shell it
// has no script for (tcsh), or none, with exit 2 and the shells it knows,
// instead of printing its help and exiting 0.
func refuseUnknownShells(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, sub := range c.Commands() {
			shells = append(shells, sub.Name())
		}
		known := strings.Join(shells[:len(shells)-1], ", ") + " or " + shells[len(shells)-1]
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("completion needs a shell: %s", known)
			}
			return usageErr("unsupported shell %q: tartansim completes %s", args[0], known)
		}
	}
}
