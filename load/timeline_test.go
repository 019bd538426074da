package load

import (
	"testing"
	"time"
)

// A send that completes after its second has closed counts in its own
// second, however late it is told.
func TestTimelineStragglers(t *testing.T) {
	tl := newTimeline()
	tl.add(0, time.Millisecond, false)
	tl.add(3, time.Millisecond, false)
	tl.add(1, time.Millisecond, true) // two seconds behind
	tl.add(2, time.Millisecond, false)
	got := tl.finish()
	want := []struct{ sent, errors int64 }{{1, 0}, {1, 1}, {1, 0}, {1, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %d seconds, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].At != i || got[i].Sent != w.sent || got[i].Errors != w.errors {
			t.Errorf("second %d: got %+v, want at %d sent %d errors %d", i, got[i], i, w.sent, w.errors)
		}
	}
}
