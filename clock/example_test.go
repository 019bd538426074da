package clock_test

import (
	"fmt"
	"time"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/wire"
)

// A fake clock moves only when told: a day of schedule passes at once.
func ExampleFake() {
	c := clock.NewFake(time.Date(2026, 12, 1, 23, 58, 0, 0, wire.IST))
	eod := c.After(time.Minute)
	c.Advance(time.Hour)
	fmt.Println((<-eod).Format("15:04 MST"), c.Now().Format("15:04 MST"))
	// Output: 23:59 IST 00:58 IST
}
