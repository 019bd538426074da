package deliverylog_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tartansim/tartansim/deliverylog"
)

// FuzzReader: the log reader never panics; every error wraps ErrBadLog; a
// torn line it drops is the last, unended one, and the log without it reads
// the same with no torn line; and what it reads, written again, reads back
// the same.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`{"time":"2026-11-27T09:00:00Z","source":"run","seq":1,"attempt":"first","headers":{"tartan-signature":["ab"]},"body":"{}","status":200,"class":"none"}`,
		"{\"headers\":{},\"body\":\"\"}\n\n{\"headers\":{}}\n",
		`{"headers":null}`, `[]`, `{"headers":{"a":"b"}}`, "\xff", "",
		"{\"headers\":{},\"body\":\"\"}\n{\"headers\":{},\"bo", "{\"headers\":{}}\n\x00\x00", "{\"headers\":{}}\r\n{\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := deliverylog.NewReader(bytes.NewReader(data), "fuzz")
		var got []deliverylog.Attempt
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, deliverylog.ErrBadLog) {
					t.Fatalf("error %v does not wrap ErrBadLog", err)
				}
				return
			}
			got = append(got, e)
		}
		if torn, ok := r.Torn(); ok {
			cut := len(data) - torn.Bytes
			if torn.Bytes <= 0 || bytes.IndexByte(data[cut:], '\n') >= 0 || (cut > 0 && data[cut-1] != '\n') {
				t.Fatalf("torn %+v is not the unended last line of %q", torn, data)
			}
			rest := deliverylog.NewReader(bytes.NewReader(data[:cut]), "rest")
			for i := range got {
				if e, err := rest.Next(); err != nil || e.Delivery != got[i].Delivery {
					t.Fatalf("without its torn line, entry %d reads %v", i, err)
				}
			}
			if _, err := rest.Next(); err != io.EOF {
				t.Fatalf("without its torn line, the log does not end: %v", err)
			}
			if _, ok := rest.Torn(); ok {
				t.Fatal("without its torn line, the log is torn")
			}
		}
		var buf bytes.Buffer
		w := deliverylog.NewWriter(&buf)
		for _, e := range got {
			w.Write(e)
		}
		if err := w.Flush(); err != nil {
			return // e.g. a time that JSON cannot hold
		}
		back := deliverylog.NewReader(&buf, "again")
		for i := range got {
			e, err := back.Next()
			if err != nil {
				t.Fatalf("entry %d does not read back: %v", i, err)
			}
			if e.Body != got[i].Body || e.Delivery != got[i].Delivery {
				t.Fatalf("entry %d changed on a round trip", i)
			}
		}
	})
}
