package wire

import (
	"encoding/json"
	"testing"
)

func sample() any {
	rec := NewObject(4).
		Add("name", "Zoë D'Souza & <Co> \"quoted\"").
		Add("hindi", "अमित").
		Add("emoji", "😀").
		Add("ctl", "a\tb\nc\u0001")
	return NewObject(6).
		Add("orgId", "o-1").
		Add("recordCount", nil).
		Add("webhookCounter", 3).
		Add("ok", true).
		Add("body", []any{rec, []any{}, NewObject(0)}).
		Add("vendor.orgId", "v-1")
}

func TestEncodeLayouts(t *testing.T) {
	cases := []struct {
		layout Layout
		want   string
	}{
		{Compact, `{"orgId":"o-1","recordCount":null,"webhookCounter":3,"ok":true,"body":[{"name":"Zoë D'Souza & <Co> \"quoted\"","hindi":"अमित","emoji":"😀","ctl":"a\tb\nc\u0001"},[],{}],"vendor.orgId":"v-1"}`},
		{Python, `{"orgId": "o-1", "recordCount": null, "webhookCounter": 3, "ok": true, "body": [{"name": "Zo\u00eb D'Souza & <Co> \"quoted\"", "hindi": "\u0905\u092e\u093f\u0924", "emoji": "\ud83d\ude00", "ctl": "a\tb\nc\u0001"}, [], {}], "vendor.orgId": "v-1"}`},
		{Indented, "{\n  \"orgId\": \"o-1\",\n  \"recordCount\": null,\n  \"webhookCounter\": 3,\n  \"ok\": true,\n  \"body\": [\n    {\n      \"name\": \"Zoë D'Souza & <Co> \\\"quoted\\\"\",\n      \"hindi\": \"अमित\",\n      \"emoji\": \"😀\",\n      \"ctl\": \"a\\tb\\nc\\u0001\"\n    },\n    [],\n    {}\n  ],\n  \"vendor.orgId\": \"v-1\"\n}"},
	}
	for _, c := range cases {
		t.Run(c.layout.String(), func(t *testing.T) {
			got := string(Encode(sample(), c.layout))
			if got != c.want {
				t.Fatalf("Encode(%s):\n got %s\nwant %s", c.layout, got, c.want)
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("Encode(%s) is not valid JSON", c.layout)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, l := range Layouts() {
		first := Encode(sample(), l)
		doc, err := Decode(first)
		if err != nil {
			t.Fatalf("%s: Decode: %v", l, err)
		}
		if again := Encode(doc, l); string(again) != string(first) {
			t.Fatalf("%s: round trip changed the bytes:\n%s\n%s", l, first, again)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":}`, `[1,]`, `{"a":1} x`, `{"a":1}{}`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) = nil error, want one", in)
		}
	}
}

func TestParseLayout(t *testing.T) {
	for _, l := range Layouts() {
		got, err := ParseLayout(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLayout(%q) = %v, %v", l.String(), got, err)
		}
	}
	if _, err := ParseLayout("pretty"); err == nil {
		t.Error("ParseLayout(pretty) = nil error")
	}
}

func TestObjectMoveAndDelete(t *testing.T) {
	o := NewObject(3).Add("a", 1).Add("b", 2).Add("c", 3)
	o.Move("c", 0)
	o.Delete("b")
	o.Set("d", 4)
	o.Set("a", 5)
	if got := string(Encode(o, Compact)); got != `{"c":3,"a":5,"d":4}` {
		t.Fatalf("got %s", got)
	}
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	if got := string(Encode("a\xffb", Compact)); got != "\"a\ufffdb\"" {
		t.Errorf("compact: %q", got)
	}
	if got := string(Encode("a\xffb", Python)); got != `"a\ufffdb"` {
		t.Errorf("python: %q", got)
	}
}

func TestAppendAtMatchesNestedEncoding(t *testing.T) {
	rec := NewObject(2).Add("a", 1).Add("b", []any{"x"})
	for _, l := range Layouts() {
		whole := string(Encode(NewObject(1).Add("body", []any{rec}), l))
		raw := Raw(AppendAt(nil, rec, l, 2))
		spliced := string(Encode(NewObject(1).Add("body", []any{raw}), l))
		if whole != spliced {
			t.Errorf("%s: a Raw record encoded at depth 2 differs:\n%s\n%s", l, whole, spliced)
		}
	}
}
