package deliverylog

// DueAtEOD is Tartan's end-of-day rule, the one every door applies: the
// next EOD batch re-sends a delivery, identical bytes, when it is genuine
// (never a forged one), none of its attempts was acknowledged, and no EOD
// batch has re-sent it yet. A delivery is re-sent at EOD once: one whose
// EOD re-send fails again has failed for good, and only a resend by hand
// (Tartan's resend API, the console's Resend) sends it again.
//
// attempts are every attempt of one delivery so far, in any order; a
// delivery with none (built, never tried) is not due. A resend by hand that
// fails leaves a delivery due if no EOD batch has re-sent it yet.
func DueAtEOD[T Tried](forged bool, attempts []T) bool {
	if forged || len(attempts) == 0 {
		return false
	}
	for _, a := range attempts {
		if kind, ok := a.Tried(); ok || kind == EOD {
			return false
		}
	}
	return true
}

// Tried is what DueAtEOD needs of an attempt: its kind, and whether the
// consumer acknowledged it.
type Tried interface {
	Tried() (kind Kind, acknowledged bool)
}

// Tried returns a's kind and whether it was acknowledged.
func (a Attempt) Tried() (Kind, bool) { return a.Kind, a.OK() }
