package box_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBox(t *testing.T) {
	RegisterFailHandler(Fail)
	// No spec waits on a budget: time moves on a FakeClock, and a spec
	// that waits for the consumer waits on its SpecContext.
	RunSpecs(t, "box")
}
