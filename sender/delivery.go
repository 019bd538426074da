package sender

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tartansim/tartansim/show"
)

// Fault is a delivery fault the Sender injects on purpose.
type Fault int

const (
	// FaultNone sends the delivery normally.
	FaultNone Fault = iota
	// FaultDrop never sends the delivery; the Result records it as dropped.
	FaultDrop
	// FaultAckLost writes the whole request, waits for the answer to begin
	// (or the timeout), then closes the connection without reading it: the
	// answer is lost on its way back, as when Tartan gives up on a slow ack.
	// The consumer has handled it (or outlasted the timeout); Tartan counts
	// it as failed.
	FaultAckLost
)

var faultNames = [...]string{"none", "drop", "ack-lost"}

func (f Fault) String() string {
	if f < 0 || int(f) >= len(faultNames) {
		return fmt.Sprintf("Fault(%d)", int(f))
	}
	return faultNames[f]
}

// ParseFault turns a fault name ("none", "drop", "ack-lost") into a Fault.
func ParseFault(s string) (Fault, error) {
	for i, n := range faultNames {
		if s == n {
			return Fault(i), nil
		}
	}
	return 0, show.Refuse("sender", "unknown fault %q (want one of %s)", s, strings.Join(faultNames[:], ", "))
}

// Signature selects what goes into the signature header.
type Signature int

const (
	// SignatureValid is the correct signature of the body.
	SignatureValid Signature = iota
	// SignatureMissing omits the header altogether.
	SignatureMissing
	// SignatureEmpty sends the header with an empty value.
	SignatureEmpty
	// SignatureWrongKey signs the body with WrongKey instead of the app key.
	SignatureWrongKey
	// SignatureNearMiss is the valid signature with its last hex digit changed.
	SignatureNearMiss
	// SignatureTruncated is the valid signature without its last two hex digits.
	SignatureTruncated
)

// WrongKey is the key SignatureWrongKey signs with. It is never a real key.
const WrongKey = "tartansim-wrong-key"

var signatureNames = [...]string{"valid", "missing", "empty", "wrong-key", "near-miss", "truncated"}

func (s Signature) String() string {
	if s < 0 || int(s) >= len(signatureNames) {
		return fmt.Sprintf("Signature(%d)", int(s))
	}
	return signatureNames[s]
}

// SignatureNames lists the names of the signature variants, in order.
func SignatureNames() []string { return append([]string(nil), signatureNames[:]...) }

// ParseSignature turns a variant name such as "near-miss" into a Signature.
func ParseSignature(s string) (Signature, error) {
	for i, n := range signatureNames {
		if s == n {
			return Signature(i), nil
		}
	}
	return 0, show.Refuse("sender", "unknown signature variant %q (want one of %s)", s, strings.Join(signatureNames[:], ", "))
}

// HeaderCase selects how the signature header's name is spelled on the wire.
type HeaderCase int

const (
	// HeaderLower is "tartan-signature", as Tartan sends it.
	HeaderLower HeaderCase = iota
	// HeaderCanonical is "Tartan-Signature".
	HeaderCanonical
	// HeaderUpper is "TARTAN-SIGNATURE".
	HeaderUpper
)

var headerCaseNames = [...]string{"lower", "canonical", "upper"}

func (c HeaderCase) String() string {
	if c < 0 || int(c) >= len(headerCaseNames) {
		return fmt.Sprintf("HeaderCase(%d)", int(c))
	}
	return headerCaseNames[c]
}

// ParseHeaderCase turns "lower", "canonical" or "upper" into a HeaderCase.
func ParseHeaderCase(s string) (HeaderCase, error) {
	for i, n := range headerCaseNames {
		if s == n {
			return HeaderCase(i), nil
		}
	}
	return 0, show.Refuse("sender", "unknown header case %q (want one of %s)", s, strings.Join(headerCaseNames[:], ", "))
}

// Name returns the signature header's name in this casing.
func (c HeaderCase) Name() string {
	switch c {
	case HeaderCanonical:
		return "Tartan-Signature"
	case HeaderUpper:
		return "TARTAN-SIGNATURE"
	default:
		return HeaderSignature
	}
}

// Delivery is one prepared webhook: the exact body bytes and the exact
// headers to send with them. A Delivery is plain data; the same value can be
// sent many times (a duplicate or an EOD redelivery sends identical bytes).
type Delivery struct {
	// Body is sent as is; the Sender never re-encodes it.
	Body []byte
	// Header is sent as is. Keys are written in the spelling they have in
	// the map, so a lower-case key stays lower-case on the wire.
	Header http.Header
	// Fault is injected by the Sender; FaultNone sends normally.
	Fault Fault
	// Gate, when set, holds the request with its connection open until
	// every Send of the gate is ready, and then writes it (see Gate).
	Gate *Gate
}

// Prepare builds a Delivery for body: content-type and the signature header
// chosen by sig and hc. It never mutates body.
func Prepare(key, body []byte, sig Signature, hc HeaderCase) Delivery {
	h := http.Header{}
	h[HeaderContentType] = []string{ContentType}
	if value, ok := SignatureValue(key, body, sig); ok {
		h[hc.Name()] = []string{value}
	}
	return Delivery{Body: body, Header: h}
}

// SignatureValue returns the header value for variant sig, and false when the
// variant omits the header.
func SignatureValue(key, body []byte, sig Signature) (string, bool) {
	switch sig {
	case SignatureMissing:
		return "", false
	case SignatureEmpty:
		return "", true
	case SignatureWrongKey:
		return Sign([]byte(WrongKey), body), true
	case SignatureNearMiss:
		s := []byte(Sign(key, body))
		last := s[len(s)-1]
		if last == '0' {
			s[len(s)-1] = '1'
		} else {
			s[len(s)-1] = '0'
		}
		return string(s), true
	case SignatureTruncated:
		s := Sign(key, body)
		return s[:len(s)-2], true
	default:
		return Sign(key, body), true
	}
}

// SignatureHeader returns the value of the signature header in h, whatever
// the spelling of its name, and whether it was present.
func SignatureHeader(h http.Header) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, HeaderSignature) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}
