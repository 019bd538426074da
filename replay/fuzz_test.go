package replay_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tartansim/tartansim/replay"
)

// FuzzReader: the log reader never panics; every error wraps ErrBadLog; and
// what it reads, written again, reads back the same.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`{"time":"2026-11-27T09:00:00Z","source":"run","seq":1,"attempt":"first","headers":{"tartan-signature":["ab"]},"body":"{}","status":200,"class":"none"}`,
		"{\"headers\":{},\"body\":\"\"}\n\n{\"headers\":{}}\n",
		`{"headers":null}`, `[]`, `{"headers":{"a":"b"}}`, "\xff", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := replay.NewReader(bytes.NewReader(data), "fuzz")
		var got []replay.Entry
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, replay.ErrBadLog) {
					t.Fatalf("error %v does not wrap ErrBadLog", err)
				}
				return
			}
			got = append(got, e)
		}
		var buf bytes.Buffer
		w := replay.NewWriter(&buf)
		for _, e := range got {
			w.Write(e)
		}
		if err := w.Flush(); err != nil {
			return // e.g. a time that JSON cannot hold
		}
		back := replay.NewReader(&buf, "again")
		for i := range got {
			e, err := back.Next()
			if err != nil {
				t.Fatalf("entry %d does not read back: %v", i, err)
			}
			if e.Body != got[i].Body || e.Seq != got[i].Seq {
				t.Fatalf("entry %d changed on a round trip", i)
			}
		}
	})
}
