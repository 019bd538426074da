package scenarios_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// TestScenarios runs the package's Ginkgo specs (the runner's behaviour);
// the format's table tests are plain Go tests beside them.
func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "scenarios")
}
