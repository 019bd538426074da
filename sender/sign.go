package sender

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/tartansim/tartansim/show"
)

// HeaderSignature is the header that carries the signature, spelled as Tartan
// sends it. Header names are case-insensitive; see HeaderCase for variants.
const HeaderSignature = "tartan-signature"

// HeaderContentType is the only other header Tartan documents.
const HeaderContentType = "content-type"

// ContentType is the value of HeaderContentType on every delivery.
const ContentType = "application/json"

// SignatureLen is the length of a well-formed signature: lowercase hex of a
// 32-byte HMAC-SHA256.
const SignatureLen = 2 * sha256.Size

// Errors returned by Verify; test with errors.Is, since some are wrapped with
// detail.
var (
	// ErrMissingSignature means the signature was empty.
	ErrMissingSignature = error(&show.Refusal{Pkg: "sender", Why: "missing signature"})
	// ErrMalformedSignature means the signature is not 64 hex digits.
	ErrMalformedSignature = error(&show.Refusal{Pkg: "sender", Why: "malformed signature"})
	// ErrSignatureMismatch means a well-formed signature does not match the body.
	ErrSignatureMismatch = error(&show.Refusal{Pkg: "sender", Why: "signature does not match body"})
)

// Sign returns the tartan-signature for body: the lowercase hex HMAC-SHA256 of
// the exact bytes, keyed with the app key's bytes. It cannot fail.
func Sign(key, body []byte) string {
	return hex.EncodeToString(mac(key, body))
}

// Verify checks sig against body under key, as a correct consumer does: over
// the raw bytes, comparing in constant time. Upper-case hex is accepted, since
// hex digits carry no case; anything else that is not 64 hex digits is
// ErrMalformedSignature. It returns nil on a match.
func Verify(key, body []byte, sig string) error {
	if sig == "" {
		return ErrMissingSignature
	}
	if len(sig) != SignatureLen {
		return fmt.Errorf("%w: %d characters, want %d", ErrMalformedSignature, len(sig), SignatureLen)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrMalformedSignature)
	}
	if !hmac.Equal(got, mac(key, body)) {
		return ErrSignatureMismatch
	}
	return nil
}

func mac(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)
}

// Signer signs many bodies with one key, keeping its HMAC state between
// them: what Sign does, without the allocations of a fresh HMAC per body.
// It is for one goroutine that signs a stream of deliveries (the load
// engine); a Signer is not safe for concurrent use.
type Signer struct {
	mac hash.Hash
	sum [sha256.Size]byte
}

// NewSigner returns a Signer for key.
func NewSigner(key []byte) *Signer {
	return &Signer{mac: hmac.New(sha256.New, key)}
}

// Sign returns the tartan-signature of body, as Sign(key, body) does.
func (s *Signer) Sign(body []byte) string {
	s.mac.Reset()
	s.mac.Write(body)
	return hex.EncodeToString(s.mac.Sum(s.sum[:0]))
}
