package conformance_test

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
)

var _ = Describe("an unreachable target", func() {
	It("is an *UnreachableError that says why, and matches ErrUnreachable", func() {
		var err error = &conformance.UnreachableError{Why: "connection refused"}
		Expect(err.Error()).To(Equal("conformance: target unreachable: connection refused"))
		wrapped := fmt.Errorf("somewhere: %w", err)
		Expect(errors.Is(wrapped, conformance.ErrUnreachable)).To(BeTrue())
		var ue *conformance.UnreachableError
		Expect(errors.As(wrapped, &ue)).To(BeTrue())
		Expect(ue.Why).To(Equal("connection refused"))
	})
})
