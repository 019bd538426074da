package boxtest_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBoxtest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Boxtest Suite")
}
