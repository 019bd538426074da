package wire

import "time"

// TimeStampLayout is the layout of the envelope's timeStamp: UTC, at
// one-second resolution, no T and no zone ("2025-05-26 03:18:30").
const TimeStampLayout = time.DateTime

// IST is India Standard Time (UTC+05:30), the zone of Tartan's day: its
// EOD batch runs at the end of an IST day.
var IST = time.FixedZone("IST", 5*3600+1800)

// Stamp is the version of a write: when Tartan says the delivery was made,
// and where it sits in its sync session. Build one with NewStamp; compare
// two with Compare or OlderThan. It is Tartan's ordering rule, the one every
// consumer must apply, so the reference consumer and the judge both use it.
type Stamp struct {
	known   bool      // false when timeStamp was empty or unparseable
	at      time.Time // UTC, meaningful only when known
	session string    // syncSessionId
	counter int64     // webhookCounter, 1-based within session; 0 if unreadable
}

// NewStamp builds the stamp of a delivery from its envelope fields:
// timeStamp (TimeStampLayout, UTC; empty or unparseable is unknown),
// syncSessionId and webhookCounter.
func NewStamp(timeStamp, session string, counter int64) Stamp {
	at, err := time.ParseInLocation(TimeStampLayout, timeStamp, time.UTC)
	return Stamp{known: err == nil, at: at, session: session, counter: counter}
}

// Order is how two stamps compare.
type Order int

// The outcomes of Compare.
const (
	// Older: the write must not overwrite the other.
	Older Order = -1
	// Tie: the stamps cannot be ordered (equal times in different sessions,
	// or in the same session with equal counters): either write is correct.
	Tie Order = 0
	// Newer: the write overwrites the other.
	Newer Order = 1
)

// Compare orders s against t:
//  1. an unknown time is older than every known one; two unknown times are
//     equal;
//  2. known times compare as times (one-second resolution);
//  3. equal times in the same non-empty session compare by webhookCounter;
//  4. anything else is a Tie.
func (s Stamp) Compare(t Stamp) Order {
	switch {
	case s.known != t.known:
		if s.known {
			return Newer
		}
		return Older
	case s.known && !s.at.Equal(t.at):
		if s.at.Before(t.at) {
			return Older
		}
		return Newer
	case s.session != "" && s.session == t.session && s.counter != t.counter:
		if s.counter < t.counter {
			return Older
		}
		return Newer
	default:
		return Tie
	}
}

// OlderThan reports whether s is strictly older than t, so that a write
// stamped s must not overwrite one stamped t. A Tie is not older: a
// consumer that applies every write that is not older keeps the later
// arrival, which is correct.
func (s Stamp) OlderThan(t Stamp) bool { return s.Compare(t) == Older }
