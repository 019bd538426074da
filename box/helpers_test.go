package box_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
)

// ctx is a context that ends with the spec.
func ctx() context.Context {
	c, cancel := context.WithCancel(context.Background())
	DeferCleanup(cancel)
	return c
}
