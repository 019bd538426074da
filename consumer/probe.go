package consumer

import (
	"context"
	"net/http"

	"github.com/tartansim/tartansim/probe"
)

// Probe returns the state probe handler, for mounting on a mux of your own
// (Handler mounts it at ProbePath): probe.Handler over State.
//
// The probe is unauthenticated and serves employee data: it exists for
// tartansim, so never expose it beyond the test harness.
func (c *Consumer) Probe() http.Handler {
	return probe.Handler(func(_ context.Context, orgID string) (probe.State, error) { return c.State(orgID), nil })
}
