package box_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBox(t *testing.T) {
	RegisterFailHandler(Fail)
	// A webhook reaches the consumer in milliseconds; under -race on a
	// loaded 2-core runner, allow far more than Gomega's default second.
	SetDefaultEventuallyTimeout(10 * time.Second)
	RunSpecs(t, "box")
}
