package probe_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/tartansim/tartansim/probe"
)

// FuzzParse: Parse never panics, every error wraps
// ErrInvalidState, and what it accepts survives json.Marshal then Parse
// unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"orgId":"o","connectionStatus":"CONNECTION_INVITED","employees":[{"employeeId":"TRT-0042","name":"Zoë & <Sons>","n":1e6}],"applied":{"r":1}}`,
		`{"orgId":"o","employees":[],"applied":{}}`,
		`{"orgId":"o","employees":null}`,
		`{"orgId":"o","employees":[null]}`,
		`{"orgId":"o","applied":{"r":1.5}}`,
		`{"orgId":"o","pending":3}`,
		`{"orgId":"o","pending":-1}`,
		`{"orgId":"o","pending":"2"}`,
		`{"orgId":"o","retention":"purge-on-termination"}`,
		`{"orgId":"o","retention":"keep"}`,
		`{"ORGID":"a","orgId":"b","extra":[1,{"x":null}]}`,
		`{"orgId":"\ud800"}`,
		`{"orgId":"o"} x`,
		`[]`, `null`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := probe.Parse(data)
		if err != nil {
			if !errors.Is(err, probe.ErrInvalidState) {
				t.Fatalf("error %v does not wrap ErrInvalidState", err)
			}
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal accepted state: %v", err)
		}
		back, err := probe.Parse(b)
		if err != nil {
			t.Fatalf("re-parse %s: %v", b, err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip changed the state:\n%#v\n%#v", s, back)
		}
	})
}
