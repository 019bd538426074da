package sender_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tartansim/tartansim/sender"
)

// FuzzVerify checks that Verify never panics, accepts what Sign produced,
// and rejects a body with one byte changed as a mismatch.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("app-key-123"), []byte(`{"event":"sync.events.initiated","recordCount":null}`), "", uint(0))
	f.Add([]byte(""), []byte(""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", uint(3))
	f.Add([]byte("clé-अमित"), []byte("{\"name\": \"Zo\\u00eb\"}"), "ZZ", uint(7))
	f.Add([]byte("key"), []byte(`{"a":1}`), "88A67F24BBCDAED0E6C997404BB79A743BAF44C6BAB2F4C27328E3009D22E342", uint(1))
	f.Add([]byte("k"), []byte{0xff, 0x00, '\n'}, "88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e34", uint(2))

	f.Fuzz(func(t *testing.T, key, body []byte, sig string, at uint) {
		// Any input: no panic, and nil only for the right signature.
		if err := sender.Verify(key, body, sig); err == nil && !bytes.EqualFold([]byte(sig), []byte(sender.Sign(key, body))) {
			t.Fatalf("Verify accepted %q, which is not Sign's %q", sig, sender.Sign(key, body))
		}

		good := sender.Sign(key, body)
		if err := sender.Verify(key, body, good); err != nil {
			t.Fatalf("Verify(Sign) = %v", err)
		}
		if len(body) == 0 {
			return
		}
		flipped := bytes.Clone(body)
		flipped[at%uint(len(body))] ^= 0x01
		if err := sender.Verify(key, flipped, good); !errors.Is(err, sender.ErrSignatureMismatch) {
			t.Fatalf("Verify with byte %d flipped = %v, want ErrSignatureMismatch", at%uint(len(body)), err)
		}
	})
}
