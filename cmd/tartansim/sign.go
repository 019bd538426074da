package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/sender"
)

// readInput reads the exact bytes of FILE, or stdin for "-" or no argument.
func (a *app) readInput(args []string) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		b, err := io.ReadAll(a.stdin)
		if err != nil {
			return nil, usageErr("cannot read standard input: %v", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return nil, usageErr("cannot read %s: %s", args[0], plainIOError(err))
	}
	return b, nil
}

// keyAndInput returns the app key and the exact bytes to sign or verify.
func (a *app) keyAndInput(args []string) ([]byte, []byte, error) {
	key, err := a.requireKey()
	if err != nil {
		return nil, nil, err
	}
	body, err := a.readInput(args)
	return key, body, err
}

// requireKey returns the app key or the missing-key error.
func (a *app) requireKey() ([]byte, error) {
	key, ok, err := a.common.appKey()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoKey
	}
	if w := a.common.keyFileWarning(); w != "" {
		fmt.Fprintln(a.stderr, w)
	}
	return key, nil
}

func (a *app) signCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign [FILE|-]",
		Short: "Print the tartan-signature of a file's exact bytes",
		Long: `Print the hex tartan-signature (HMAC-SHA256 of the exact bytes, keyed with the
app key) of FILE, or of standard input. Not one byte is changed: a trailing
newline in the file is part of what is signed.`,
		Example: "  TARTAN_APP_KEY=... tartansim sign body.json\n  printf '%s' '{\"a\":1}' | tartansim sign --key-file key.txt",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			key, body, err := a.keyAndInput(args)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, sender.Sign(key, body))
			return nil
		},
	}
	a.common.register(cmd.Flags(), flagKey)
	return cmd
}

func (a *app) verifyCommand() *cobra.Command {
	var sig string
	cmd := &cobra.Command{
		Use:   "verify [FILE|-] --signature HEX",
		Short: "Exit 0 when a signature matches a file's exact bytes",
		Long: `Check a tartan-signature against the exact bytes of FILE (or standard input),
as a correct consumer does: raw bytes, constant-time comparison.
Exit 0 when it matches, 1 when it does not.`,
		Example: "  tartansim verify body.json --signature 3f1c...e9\n  curl ... | tartansim verify - --signature \"$SIG\"",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("signature") {
				return usageErr("--signature HEX is required")
			}
			key, body, err := a.keyAndInput(args)
			if err != nil {
				return err
			}
			switch err := sender.Verify(key, body, sig); {
			case err == nil:
				fmt.Fprintln(a.stdout, "signature matches")
				return nil
			case errors.Is(err, sender.ErrMissingSignature):
				return shortErr("the signature is empty")
			case errors.Is(err, sender.ErrMalformedSignature):
				return shortErr("the signature is not 64 hex digits, so it cannot match")
			default:
				return shortErr("the signature does not match these bytes under this key")
			}
		},
	}
	cmd.Flags().StringVar(&sig, "signature", "", "the tartan-signature header value (64 hex digits) to check")
	a.common.register(cmd.Flags(), flagKey)
	return cmd
}
