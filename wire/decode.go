package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/tartansim/tartansim/show"
)

// Decode parses one JSON document into a tree whose objects keep their key
// order and whose numbers are json.Number, so nothing is lost or reordered.
// Duplicate keys are kept as they appear. Trailing data after the document is
// an error.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, show.Refuse("wire", "decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, show.Refuse("wire", "decode: data after the JSON document")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &Object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.Add(kt.(string), v)
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token() // ']'
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil // nil, bool, string, json.Number
	}
}

// Kind names the JSON type of a tree value: "null", "boolean", "number",
// "string", "object" or "array".
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int, int64, float64, json.Number:
		return "number"
	case *Object:
		return "object"
	case []any:
		return "array"
	case Raw:
		return "raw"
	default:
		return fmt.Sprintf("%T", v)
	}
}
