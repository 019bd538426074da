package wire

import (
	"errors"
	"strings"
	"testing"
)

func envelope(t *testing.T) any {
	t.Helper()
	doc, err := Decode([]byte(`{"orgId":"o","vendor.orgId":"v","recordCount":2,"body":[{"name":"A","bank":{"ifsc":"X"}},{"name":"B","bank":{"ifsc":"Y"}}],"a.b":{"c":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestOverrideApply(t *testing.T) {
	cases := []struct {
		op   Op
		in   string
		want string // compact encoding after, or "error: substring"
	}{
		{OpSet, "orgId=new", `"orgId":"new"`},
		{OpSet, "vendor.orgId=v2", `"vendor.orgId":"v2"`},
		{OpSet, `["vendor.orgId"]=v3`, `"vendor.orgId":"v3"`},
		{OpSet, `vendor\.orgId=v4`, `"vendor.orgId":"v4"`},
		{OpSet, "a.b.c=7", `"a.b":{"c":7}`},
		{OpSet, "body[1].name=Zoë", `{"name":"Zoë"`},
		{OpSet, "body[-1].bank.ifsc=Z", `"ifsc":"Z"}}]`},
		{OpSet, "body[*].name=same", `[{"name":"same","bank":{"ifsc":"X"}},{"name":"same"`},
		{OpSet, "body[0].name=42", `{"name":"42"`},
		{OpSet, "body[0].name=null", `{"name":null`},
		{OpSet, "recordCount=null", `"recordCount":null`},
		{OpSet, `recordCount="2"`, `"recordCount":"2"`},
		{OpSet, "recordCount=3", `"recordCount":3`},
		{OpSet, "recordCount=abc", "error: not JSON"},
		{OpSet, "recordCount=true", "error: write it as JSON"},
		{OpSet, "body[0].nmae=x", `error: body[0] has no key "nmae" (keys: bank, name)`},
		{OpSet, "body[5].name=x", "error: has no element [5] (it has 2)"},
		{OpSet, "orgId.x=1", "error: is a string, not a container"},
		{OpSet, "body.name=x", `error: body is an array; index it with [N] or [*] before "name"`},
		{OpSet, "missing=1", `error: the document has no key "missing"`},
		{OpAdd, "body[*].extra=1", `{"name":"A","bank":{"ifsc":"X"},"extra":1}`},
		{OpAdd, "newTop=hello", `"newTop":"hello"`},
		{OpAdd, "orgId=x", "error: already there"},
		{OpDelete, "body[0].bank", `[{"name":"A"},{"name":"B"`},
		{OpDelete, "body[0]", "error: cannot delete an array element"},
		{OpSet, "name", "error: want PATH=VALUE"},
	}
	for _, c := range cases {
		t.Run(c.op.String()+" "+c.in, func(t *testing.T) {
			doc := envelope(t)
			o, err := ParseOverride(c.op, c.in)
			if err == nil {
				err = o.Apply(doc)
			}
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want it to contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := string(Encode(doc, Compact)); !strings.Contains(got, c.want) {
				t.Fatalf("after %s:\n%s\ndoes not contain %s", c.in, got, c.want)
			}
		})
	}
}

func TestNoMatchIsTestable(t *testing.T) {
	_, err := MustParsePath("nope").Set(envelope(t), 1)
	var nm *NoMatchError
	if !errors.Is(err, ErrNoMatch) || !errors.As(err, &nm) || nm.Want != `"nope"` {
		t.Fatalf("err = %#v", err)
	}
}

func TestParsePathSyntax(t *testing.T) {
	good := map[string]string{
		"a":                            "a",
		"a.b[0].c":                     "a.b[0].c",
		`["x.y"][*]`:                   `["x.y"][*]`,
		"a[-1]":                        "a[-1]",
		`a\.b`:                         `["a.b"]`,
		`["q\"uote"].z`:                `["q\"uote"].z`,
		"body[0][1]":                   "body[0][1]",
		"vendor.orgId":                 "vendor.orgId",
		`["a]b"]`:                      `["a]b"]`,
		"employeeMetadata":             "employeeMetadata",
		"body[*].bankDetails.ifscCode": "body[*].bankDetails.ifscCode",
	}
	for in, want := range good {
		p, err := ParsePath(in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", in, err)
			continue
		}
		if got := formatSegs(p.segs); got != want {
			t.Errorf("ParsePath(%q) segments = %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"", ".", "a.", ".a", "a..b", "a[", "a[x]", "a[]", "a[+1]", `a["x`, `a["x"`, "a]", "a[0]b", `a\`} {
		if _, err := ParsePath(in); !errors.Is(err, ErrPathSyntax) {
			t.Errorf("ParsePath(%q) err = %v, want ErrPathSyntax", in, err)
		}
	}
}

func TestAddDottedKeyAndErrors(t *testing.T) {
	doc := envelope(t)
	if _, err := MustParsePath("vendor.orgId").Delete(doc); err != nil {
		t.Fatal(err)
	}
	o, _ := ParseOverride(OpAdd, "vendor.orgId=back")
	if err := o.Apply(doc); err != nil {
		t.Fatalf("add vendor.orgId after unset: %v", err)
	}
	if got := string(Encode(doc, Compact)); !strings.HasSuffix(got, `"vendor.orgId":"back"}`) {
		t.Fatalf("got %s", got)
	}
	if _, err := (Path{}).Add(doc, 1); !errors.Is(err, ErrPathSyntax) {
		t.Fatalf("zero Path Add: %v", err)
	}
	_, err := MustParsePath("body[0].bank[0]").Set(doc, 1)
	if err == nil || !strings.Contains(err.Error(), "is an object; use .key, not [0] (keys: ifsc)") {
		t.Fatalf("indexing an object: %v", err)
	}
}
