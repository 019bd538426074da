package wire_test

import (
	"errors"
	"fmt"

	"github.com/tartansim/tartansim/wire"
)

// One document in the three layouts. Keys keep the order they were added in,
// "vendor.orgId" is one top-level key, null stays null, and only the Python
// layout escapes non-ASCII text.
func ExampleEncode() {
	doc := wire.NewObject(5).
		Add("orgId", "f47ac10b").
		Add("vendor.orgId", "3fa85f64").
		Add("recordCount", nil).
		Add("body", []any{wire.NewObject(2).Add("name", "Zoë D'Souza").Add("employeeId", "TRT-0042")}).
		Add("statusCode", "200")

	for _, l := range wire.Layouts() {
		fmt.Printf("%s:\n%s\n", l, wire.Encode(doc, l))
	}
	// Output:
	// compact:
	// {"orgId":"f47ac10b","vendor.orgId":"3fa85f64","recordCount":null,"body":[{"name":"Zoë D'Souza","employeeId":"TRT-0042"}],"statusCode":"200"}
	// python:
	// {"orgId": "f47ac10b", "vendor.orgId": "3fa85f64", "recordCount": null, "body": [{"name": "Zo\u00eb D'Souza", "employeeId": "TRT-0042"}], "statusCode": "200"}
	// indented:
	// {
	//   "orgId": "f47ac10b",
	//   "vendor.orgId": "3fa85f64",
	//   "recordCount": null,
	//   "body": [
	//     {
	//       "name": "Zoë D'Souza",
	//       "employeeId": "TRT-0042"
	//     }
	//   ],
	//   "statusCode": "200"
	// }
}

// Decode keeps the key order of the bytes (here vendor.orgId last, as in most
// of Tartan's examples) and numbers exactly as written, so re-encoding in the
// same layout gives the same bytes.
func ExampleDecode() {
	in := []byte(`{"webhookCounter":2,"orgId":"f47ac10b","recordCount":10,"timeStamp":"2025-05-26 03:19:30","vendor.orgId":"3fa85f64"}`)
	v, err := wire.Decode(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	doc := v.(*wire.Object)
	fmt.Println(doc.Keys())
	n, _ := doc.Get("recordCount")
	fmt.Printf("%T %v\n", n, n)
	fmt.Println(string(wire.Encode(doc, wire.Compact)) == string(in))
	// Output:
	// [webhookCounter orgId recordCount timeStamp vendor.orgId]
	// json.Number 10
	// true
}

// A bare dotted path finds the literal top-level key "vendor.orgId" when
// there is no "vendor" object; a path that matches nothing is an error that
// says what is there instead.
func ExamplePath_Set() {
	v, _ := wire.Decode([]byte(`{"orgId":"f47ac10b","vendor.orgId":"3fa85f64","body":[{"name":"Asha"},{"name":"Ravi"}]}`))

	n, err := wire.MustParsePath("vendor.orgId").Set(v, "7a8b9c0d")
	fmt.Println(n, err)
	n, err = wire.MustParsePath("body[*].name").Set(v, "Zoë")
	fmt.Println(n, err)
	fmt.Printf("%s\n", wire.Encode(v, wire.Compact))

	_, err = wire.MustParsePath("body[0].nmae").Set(v, "x")
	var nm *wire.NoMatchError
	fmt.Println(errors.As(err, &nm), errors.Is(err, wire.ErrNoMatch))
	fmt.Println(err)
	// Output:
	// 1 <nil>
	// 2 <nil>
	// {"orgId":"f47ac10b","vendor.orgId":"7a8b9c0d","body":[{"name":"Zoë"},{"name":"Zoë"}]}
	// true true
	// wire: path "body[0].nmae" matches nothing: body[0] has no key "nmae" (keys: name)
}

// Overrides are what --set, --add and --unset parse into. Bare text replacing
// a string stays a string; replacing a number it must be JSON, so a typo is an
// error instead of a silent change of type.
func ExampleParseOverride() {
	v, _ := wire.Decode([]byte(`{"orgId":"f47ac10b","recordCount":1,"body":[{"employeeId":"5"}],"vendor.orgId":"3fa85f64"}`))

	for _, o := range []struct {
		op   wire.Op
		text string
	}{
		{wire.OpSet, "vendor.orgId=7a8b9c0d"},
		{wire.OpSet, "body[0].employeeId=0042"},
		{wire.OpSet, "recordCount=ten"},
		{wire.OpSet, "recordCount=null"},
		{wire.OpAdd, `body[0].surprise={"nested":true}`},
		{wire.OpDelete, "orgId"},
		{wire.OpSet, "body[0].employeeID=7"},
	} {
		ov, err := wire.ParseOverride(o.op, o.text)
		if err == nil {
			err = ov.Apply(v)
		}
		fmt.Printf("%-6s %-34s %v\n", o.op, o.text, err)
	}
	fmt.Printf("%s\n", wire.Encode(v, wire.Compact))
	// Output:
	// set    vendor.orgId=7a8b9c0d              <nil>
	// set    body[0].employeeId=0042            <nil>
	// set    recordCount=ten                    wire: override recordCount: the value there is a number, and "ten" is not JSON (write it as JSON, e.g. '"ten"', to force a string)
	// set    recordCount=null                   <nil>
	// add    body[0].surprise={"nested":true}   <nil>
	// unset  orgId                              <nil>
	// set    body[0].employeeID=7               wire: path "body[0].employeeID" matches nothing: body[0] has no key "employeeID" (keys: employeeId, surprise)
	// {"recordCount":null,"body":[{"employeeId":"0042","surprise":{"nested":true}}],"vendor.orgId":"7a8b9c0d"}
}

// ParseEffect reads a body as every consumer should: what it would store,
// and in which order its writes stand.
func ExampleParseEffect() {
	ch, err := wire.ParseEffect([]byte(`{"syncSessionId":"s1","webhookCounter":2,"requestId":"r-1","orgId":"org-7",` +
		`"event":"sync.events.employee.update","eventType":"sync.events.delta","timeStamp":"2025-05-25 03:18:30",` +
		`"body":[{"employeeId":"E-1","designation":"VP"},{"name":"no id"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Kind == wire.EffectEmployees, ch.Len, len(ch.Records), ch.Skipped, ch.Records[0].ID, ch.Records[0].Fields["designation"])
	// Output: true 2 1 1 E-1 VP
}
