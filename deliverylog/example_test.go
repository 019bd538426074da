package deliverylog_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
)

// A log whose writer was killed in the middle of its third line: the two
// whole lines are read, and the torn one is reported.
func ExampleReader_Torn() {
	var log strings.Builder
	w := deliverylog.NewWriter(&log)
	for seq := range int64(3) {
		w.Write(deliverylog.Attempt{Time: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Source: deliverylog.FromLoad, Delivery: seq,
			Kind: deliverylog.Load, Headers: map[string][]string{"tartan-signature": {"ab"}}, Body: "{}", Status: 200, Class: "none"})
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	crashed := log.String()[:log.Len()-40]

	r := deliverylog.NewReader(strings.NewReader(crashed), "load.ndjson")
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("delivery", e.Delivery, e.Status)
	}
	if t, ok := r.Torn(); ok {
		fmt.Printf("load.ndjson:%d: torn, %d bytes dropped\n", t.Line, t.Bytes)
	}
	// Output:
	// delivery 0 200
	// delivery 1 200
	// load.ndjson:3: torn, 127 bytes dropped
}
