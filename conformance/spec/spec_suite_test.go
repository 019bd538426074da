package spec_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/conformance/spec"
	"github.com/tartansim/tartansim/fixtures"
)

func TestSpec(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "conformance/spec")
}

// nothingEnv set to 1 makes the test binary, started as a child by the
// spec below, a suite that declares the conformance specs against a
// consumer whose subscription leaves every check out: a suite that judges
// nothing. Unset, the specs are not declared at all.
const nothingEnv = "SPEC_TEST_NOTHING_JUDGED"

var _ = os.Getenv(nothingEnv) == "1" && spec.Declare(func() conformance.Target {
	none, err := fixtures.ParseSubscription("none")
	Expect(err).NotTo(HaveOccurred())
	// Nothing listens there, and nothing is sent: every check is SKIP first.
	return conformance.Target{URL: "http://127.0.0.1:9/webhook", Key: key, Seed: 5, Events: none}
})
