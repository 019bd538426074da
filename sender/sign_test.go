package sender_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tartansim/tartansim/sender"
)

// The expected values were computed outside Go, e.g.
//
//	printf %s '{"a":1}' | openssl dgst -sha256 -hmac key
func TestSignKnownAnswers(t *testing.T) {
	tests := []struct {
		name, key, body, want string
	}{
		{"RFC 4231 case 2", "Jefe", "what do ya want for nothing?",
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"compact JSON", "key", `{"a":1}`,
			"88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e342"},
		{"an envelope", "app-key-123", `{"event":"sync.events.initiated","recordCount":null}`,
			"6d947ecb66761d4377926d8a50811f1ffee4140db78be637bf6a9ec8363e65a1"},
		{"empty key and body", "", "",
			"b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sender.Sign([]byte(tt.key), []byte(tt.body)); got != tt.want {
				t.Errorf("Sign(%q, %q) = %s, want %s", tt.key, tt.body, got, tt.want)
			}
			if err := sender.Verify([]byte(tt.key), []byte(tt.body), tt.want); err != nil {
				t.Errorf("Verify of the known answer: %v", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	key, body := []byte("app-key-123"), []byte(`{"event":"sync.events.initiated","recordCount":null}`)
	valid := sender.Sign(key, body)
	sentinels := []error{sender.ErrMissingSignature, sender.ErrMalformedSignature, sender.ErrSignatureMismatch}
	tests := []struct {
		name string
		key  []byte
		body []byte
		sig  string
		want error // nil or one of sentinels
	}{
		{"valid", key, body, valid, nil},
		{"upper-case hex", key, body, strings.ToUpper(valid), nil},
		{"empty", key, body, "", sender.ErrMissingSignature},
		{"one digit short", key, body, valid[:63], sender.ErrMalformedSignature},
		{"one digit long", key, body, valid + "0", sender.ErrMalformedSignature},
		{"with a prefix", key, body, "sha256=" + valid, sender.ErrMalformedSignature},
		{"with a trailing space", key, body, valid[:63] + " ", sender.ErrMalformedSignature},
		{"not hex", key, body, "g" + valid[1:], sender.ErrMalformedSignature},
		{"base64 of the right length", key, body, strings.Repeat("A/+=", 16), sender.ErrMalformedSignature},
		{"another body", key, append(body, ' '), valid, sender.ErrSignatureMismatch},
		{"another key", []byte("app-key-124"), body, valid, sender.ErrSignatureMismatch},
		{"all zeros", key, body, strings.Repeat("0", 64), sender.ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sender.Verify(tt.key, tt.body, tt.sig)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.want; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
		})
	}
}

func TestSignatureValue(t *testing.T) {
	key, body := []byte("app-key-123"), []byte(`{"event":"sync.events.initiated","recordCount":null}`)
	valid := sender.Sign(key, body)
	tests := []struct {
		variant sender.Signature
		check   func(t *testing.T, value string, ok bool)
	}{
		{sender.SignatureValid, func(t *testing.T, v string, ok bool) {
			if !ok || v != valid {
				t.Errorf("got %q, %v; want %q, true", v, ok, valid)
			}
		}},
		{sender.SignatureMissing, func(t *testing.T, v string, ok bool) {
			if ok || v != "" {
				t.Errorf("got %q, %v; want no header", v, ok)
			}
		}},
		{sender.SignatureEmpty, func(t *testing.T, v string, ok bool) {
			if !ok || v != "" {
				t.Errorf("got %q, %v; want an empty header", v, ok)
			}
			if err := sender.Verify(key, body, v); !errors.Is(err, sender.ErrMissingSignature) {
				t.Errorf("Verify = %v, want ErrMissingSignature", err)
			}
		}},
		{sender.SignatureWrongKey, func(t *testing.T, v string, ok bool) {
			if err := sender.Verify([]byte(sender.WrongKey), body, v); !ok || err != nil {
				t.Errorf("does not verify under WrongKey: %v", err)
			}
			if err := sender.Verify(key, body, v); !errors.Is(err, sender.ErrSignatureMismatch) {
				t.Errorf("Verify under the app key = %v, want ErrSignatureMismatch", err)
			}
		}},
		{sender.SignatureNearMiss, func(t *testing.T, v string, ok bool) {
			if !ok || len(v) != sender.SignatureLen || v[:63] != valid[:63] || v[63] == valid[63] {
				t.Errorf("got %q, want %q with only its last digit changed", v, valid)
			}
			if err := sender.Verify(key, body, v); !errors.Is(err, sender.ErrSignatureMismatch) {
				t.Errorf("Verify = %v, want ErrSignatureMismatch", err)
			}
		}},
		{sender.SignatureTruncated, func(t *testing.T, v string, ok bool) {
			if !ok || len(v) != 62 || v != valid[:62] {
				t.Errorf("got %q, want the first 62 digits of %q", v, valid)
			}
			if err := sender.Verify(key, body, v); !errors.Is(err, sender.ErrMalformedSignature) {
				t.Errorf("Verify = %v, want ErrMalformedSignature", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.variant.String(), func(t *testing.T) {
			v, ok := sender.SignatureValue(key, body, tt.variant)
			tt.check(t, v, ok)
		})
	}
}

// A near miss must differ even when the valid signature ends in the digit
// a naive implementation would substitute.
func TestNearMissOfASignatureEndingInZero(t *testing.T) {
	key := []byte("app-key-123")
	for i := range 1000 {
		body := fmt.Appendf(nil, `{"n":%d}`, i)
		valid := sender.Sign(key, body)
		if valid[63] != '0' {
			continue
		}
		near, _ := sender.SignatureValue(key, body, sender.SignatureNearMiss)
		if near == valid || near[:63] != valid[:63] {
			t.Fatalf("near miss %q of %q", near, valid)
		}
		return
	}
	t.Fatal("no signature ending in 0 among 1000 bodies")
}

func TestPrepare(t *testing.T) {
	key, body := []byte("app-key-123"), []byte(`{"a":1}`)
	for _, hc := range []sender.HeaderCase{sender.HeaderLower, sender.HeaderCanonical, sender.HeaderUpper} {
		t.Run(hc.String(), func(t *testing.T) {
			d := sender.Prepare(key, body, sender.SignatureValid, hc)
			want := http.Header{"content-type": {"application/json"}, hc.Name(): {sender.Sign(key, body)}}
			if fmt.Sprint(d.Header) != fmt.Sprint(want) {
				t.Errorf("Header = %v, want %v", d.Header, want)
			}
			if got, ok := sender.SignatureHeader(d.Header); !ok || got != sender.Sign(key, body) {
				t.Errorf("SignatureHeader = %q, %v", got, ok)
			}
			if string(d.Body) != `{"a":1}` || d.Fault != sender.FaultNone {
				t.Errorf("Body = %q, Fault = %v", d.Body, d.Fault)
			}
		})
	}
	d := sender.Prepare(key, body, sender.SignatureMissing, sender.HeaderLower)
	if _, ok := sender.SignatureHeader(d.Header); ok || len(d.Header) != 1 {
		t.Errorf("SignatureMissing: Header = %v, want content-type only", d.Header)
	}
}
