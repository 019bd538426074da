package sender_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/tartansim/tartansim/sender"
)

// TestClassifyClosedUnderWrite: when a server breaks the connection while
// a request is still being written, net/http may report the write on the
// connection it closed itself ("use of closed network connection") rather
// than the reset. That is the server's doing: reset, not other. Seen
// against an h2c-only consumer with requests sent concurrently.
func TestClassifyClosedUnderWrite(t *testing.T) {
	closed := &net.OpError{Op: "write", Net: "tcp", Err: fmt.Errorf("poll: %w", net.ErrClosed)}
	for _, tc := range []struct {
		err  error
		want sender.ErrorClass
	}{
		{closed, sender.ClassReset},
		{fmt.Errorf("sender: post http://x/: %w", closed), sender.ClassReset},
		// Our own deadline or cancellation still says so.
		{fmt.Errorf("%w (%w)", context.DeadlineExceeded, closed), sender.ClassTimeout},
		{context.Canceled, sender.ClassOther},
	} {
		if got := sender.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
