// Package wire is Tartan's JSON on the wire: ordered documents, the three byte
// layouts tartansim can emit, and override paths.
//
// Tartan signs the exact bytes it sends and its examples differ in key order and
// spacing, so tartansim never lets encoding/json choose either. A document is a
// tree of plain values whose objects keep their key order:
//
//	nil, bool, string, int, int64, float64, json.Number, *Object, []any, Raw
//
// Append and Encode write such a tree in a Layout: Compact ({"a":1}), Python
// (json.dumps defaults: ", " and ": " separators, non-ASCII escaped as \uXXXX)
// or Indented (two spaces, raw UTF-8). Decode reads bytes back into a tree with
// the order kept and numbers as json.Number, so a document survives a round
// trip byte for byte in the layout it was written in.
//
// A Path addresses values inside a tree for overrides such as
// --set 'body[0].name=Zoë'. Paths that match nothing are errors, never silent.
//
//	doc, _ := wire.Decode([]byte(`{"orgId":"x","vendor.orgId":"y"}`))
//	p, _ := wire.ParsePath("vendor.orgId")
//	_, _ = p.Set(doc, "z")
//	fmt.Printf("%s\n", wire.Encode(doc, wire.Python)) // {"orgId": "x", "vendor.orgId": "z"}
package wire
