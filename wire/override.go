package wire

import (
	"fmt"
	"strings"

	"github.com/tartansim/tartansim/show"
)

// Op is what an Override does.
type Op int

const (
	// OpSet replaces values that exist (--set PATH=VALUE).
	OpSet Op = iota
	// OpAdd adds a key that does not exist yet (--add PATH=VALUE).
	OpAdd
	// OpDelete removes keys (--unset PATH), for records whose fields are absent.
	OpDelete
)

func (op Op) String() string {
	switch op {
	case OpAdd:
		return "add"
	case OpDelete:
		return "unset"
	default:
		return "set"
	}
}

// Override is one user-requested change to a document, as written on the
// command line or in a scenario file.
type Override struct {
	Op   Op
	Path Path
	// Text is the value as written: JSON, or bare text (see Apply).
	Text string
}

// ParseOverride parses "PATH=VALUE" for OpSet and OpAdd, or "PATH" for
// OpDelete. The first '=' outside brackets ends the path.
func ParseOverride(op Op, s string) (Override, error) {
	o := Override{Op: op}
	pathText := s
	if op != OpDelete {
		eq := splitAt(s)
		if eq < 0 {
			eq = strings.IndexByte(s, '=') // an unbalanced path: let ParsePath say why
		}
		if eq < 0 {
			return o, show.Refuse("wire", "override %q: want PATH=VALUE", s)
		}
		pathText, o.Text = s[:eq], s[eq+1:]
	}
	p, err := ParsePath(pathText)
	if err != nil {
		return o, err
	}
	o.Path = p
	return o, nil
}

// splitAt returns the index of the first '=' outside brackets and quotes.
func splitAt(s string) int {
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"' && depth > 0:
			quoted = !quoted
		case quoted:
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '\\' && depth == 0:
			i++
		case c == '=' && depth == 0:
			return i
		}
	}
	return -1
}

func (o Override) String() string {
	if o.Op == OpDelete {
		return o.Op.String() + " " + o.Path.String()
	}
	return o.Op.String() + " " + o.Path.String() + "=" + o.Text
}

// Apply changes root. The value is read as follows: text that is JSON of the
// same type as the value it replaces (or null, or a quoted string, object or
// array) is used as JSON; bare text replacing a string stays a string, so
// employeeId=0042 and employeeId=42 both give strings. Bare text that is not
// JSON, replacing a number, boolean or container, is an error rather than a
// silent change of type. For OpAdd, text that is not JSON is a string.
// A path that matches nothing is a *NoMatchError.
func (o Override) Apply(root any) error {
	switch o.Op {
	case OpDelete:
		_, err := o.Path.Delete(root)
		return err
	case OpAdd:
		_, err := o.Path.Add(root, parseText(o.Text))
		return err
	}
	current, err := o.Path.Get(root)
	if err != nil {
		return err
	}
	v, err := coerce(o.Text, current[0])
	if err != nil {
		return show.Refuse("wire", "override %s: %w", o.Path, err)
	}
	_, err = o.Path.Set(root, v)
	return err
}

func parseText(text string) any {
	if v, err := Decode([]byte(text)); err == nil {
		return v
	}
	return text
}

func coerce(text string, current any) (any, error) {
	v, err := Decode([]byte(text))
	isJSON := err == nil
	have := Kind(current)
	switch {
	case isJSON && (Kind(v) == have || have == "null" || v == nil):
		return v, nil
	case isJSON && (strings.HasPrefix(strings.TrimSpace(text), `"`) || Kind(v) == "object" || Kind(v) == "array"):
		return v, nil // explicit JSON changes the type on purpose
	case have == "string":
		return text, nil
	case isJSON:
		return nil, fmt.Errorf("the value there is a %s, and %s is a %s (write it as JSON of the same type)", have, text, Kind(v))
	default:
		return nil, fmt.Errorf("the value there is a %s, and %q is not JSON (write it as JSON, e.g. '\"%s\"', to force a string)", have, text, text)
	}
}
