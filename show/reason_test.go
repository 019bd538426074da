package show_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/tartansim/tartansim/show"
)

func TestReason(t *testing.T) {
	sentinel := error(&show.Refusal{Pkg: "box", Why: "bad option"})
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"a plain error is its message", errors.New("disk full"), "disk full"},
		{"a refusal is its Why", show.Refuse("load", "the rate must be positive, not %g", -1.0), "the rate must be positive, not -1"},
		{"a wrapped sentinel keeps the detail", fmt.Errorf("%w: the app key is empty", sentinel), "bad option: the app key is empty"},
		{"context around a refusal stays", fmt.Errorf("reading x.yaml: %w", show.Refuse("scenarios", "no steps")), "reading x.yaml: no steps"},
		{"a refusal of a refusal shows the inner Reason", show.Refuse("conformance", "check %s: %w", "SIG-1", show.Refuse("scenarios", "no steps")), "check SIG-1: no steps"},
		{"a refusal wrapping an OS error", show.Refuse("scenarios", "%w", &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}), "open x: file does not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := show.Reason(c.err); got != c.want {
				t.Errorf("Reason = %q, want %q", got, c.want)
			}
		})
	}
}

func TestRefuseKeepsItsCause(t *testing.T) {
	cause := &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}
	err := show.Refuse("scenarios", "reading %s: %w", "x", cause)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%v does not wrap fs.ErrNotExist", err)
	}
	if got, want := err.Error(), "scenarios: reading x: open x: file does not exist"; got != want {
		t.Fatalf("Error = %q, want %q", got, want)
	}
}

func ExampleReason() {
	err := fmt.Errorf("%w: the app key is empty", error(&show.Refusal{Pkg: "box", Why: "bad option"}))
	fmt.Println(err)
	fmt.Println(show.Reason(err))
	// Output:
	// box: bad option: the app key is empty
	// bad option: the app key is empty
}
