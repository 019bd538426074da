package wire

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParsePath: the override path parser never panics, and applying a parsed
// path either matches or says why with a *NoMatchError.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a", "vendor.orgId", `["vendor.orgId"]`, "body[0].name", "body[*].bankDetails.ifscCode", "body[-1]", `a\.b`, `["q\"uote"]`, "a[", "[", "]", ".", `["`, "a..b", "body[99999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if !errors.Is(err, ErrPathSyntax) {
				t.Fatalf("ParsePath(%q) error %v does not wrap ErrPathSyntax", s, err)
			}
			return
		}
		doc, _ := Decode([]byte(`{"orgId":"o","vendor.orgId":"v","body":[{"name":"A","bankDetails":{"ifscCode":"X"}}]}`))
		if _, err := p.Set(doc, "x"); err != nil && !errors.Is(err, ErrNoMatch) {
			t.Fatalf("Set(%q): unexpected error %v", s, err)
		}
		if _, err := p.Get(doc); err != nil && !errors.Is(err, ErrNoMatch) {
			t.Fatalf("Get(%q): unexpected error %v", s, err)
		}
		if !json.Valid(Encode(doc, Compact)) {
			t.Fatalf("Set(%q) left an invalid document", s)
		}
		if !utf8.ValidString(s) {
			return // the canonical form writes keys as JSON, which cannot hold invalid UTF-8
		}
		// The canonical form parses to the same segments.
		again, err := ParsePath(formatSegs(p.segs))
		if err != nil || formatSegs(again.segs) != formatSegs(p.segs) {
			t.Fatalf("canonical form of %q does not round-trip: %q, %v", s, formatSegs(p.segs), err)
		}
	})
}

// FuzzDecode: whatever Decode accepts, each layout writes as valid JSON that
// decodes to the same compact bytes.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,"x",null,true,{"b":[]}]`, `"zoë"`, `{"a":{"a":1},"a":2}`, `1e400`, `"\ud83d\ude00"`, `"\udead"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Decode(data)
		if err != nil {
			return
		}
		compact := Encode(doc, Compact)
		for _, l := range Layouts() {
			out := Encode(doc, l)
			if !json.Valid(out) {
				t.Fatalf("%s output is not valid JSON: %q", l, out)
			}
			back, err := Decode(out)
			if err != nil {
				t.Fatalf("%s output does not decode: %v", l, err)
			}
			if got := Encode(back, Compact); string(got) != string(compact) {
				t.Fatalf("%s round trip changed the document:\n%q\n%q", l, compact, got)
			}
		}
	})
}
