package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tartansim command")
}

// Every spec starts with tartansim's environment variables cleared, so that
// a developer's own TARTAN_* settings never leak into a run under test; a
// spec that needs one sets it itself.
var _ = BeforeEach(func() {
	for _, v := range []string{envTarget, envKey, envProbe, envTimeout, envSeed, envSettle, envEvents} {
		GinkgoT().Setenv(v, "")
	}
})

// invocation is one in-process run of the command.
type invocation struct {
	code           int
	stdout, stderr string
}

func (i invocation) output() string { return i.stdout + i.stderr }

// tartansim runs the command in-process with args and stdin.
func tartansim(stdin string, args ...string) invocation {
	return tartansimCtx(context.Background(), stdin, args...)
}

func tartansimCtx(ctx context.Context, stdin string, args ...string) invocation {
	var out, errb bytes.Buffer
	var in io.Reader = strings.NewReader(stdin)
	code := run(ctx, args, in, &out, &errb)
	return invocation{code: code, stdout: out.String(), stderr: errb.String()}
}
