package wire

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tartansim/tartansim/show"
)

// Layout is a byte layout of a JSON document. Tartan's real layout is not
// documented, so tartansim can emit several; a correct consumer accepts all
// of them because it verifies the raw bytes.
type Layout int

const (
	// Compact has no insignificant white space and raw UTF-8 text. It does
	// not escape <, > and & (unlike encoding/json).
	Compact Layout = iota
	// Python is what Python's json.dumps writes by default: ", " and ": "
	// separators on one line, every non-ASCII character escaped as \uXXXX
	// (lowercase hex, surrogate pairs beyond the BMP).
	Python
	// Indented puts each member on its own line, indented by two spaces, with
	// ": " after keys and raw UTF-8 text, like JSON.stringify(v, null, 2).
	Indented
)

// DefaultLayout is the layout used when none is chosen.
const DefaultLayout = Compact

var layoutNames = [...]string{"compact", "python", "indented"}

// Layouts lists every layout, in order.
func Layouts() []Layout { return []Layout{Compact, Python, Indented} }

func (l Layout) String() string {
	if l < 0 || int(l) >= len(layoutNames) {
		return fmt.Sprintf("Layout(%d)", int(l))
	}
	return layoutNames[l]
}

// ParseLayout turns "compact", "python" or "indented" into a Layout.
func ParseLayout(s string) (Layout, error) {
	for i, n := range layoutNames {
		if s == n {
			return Layout(i), nil
		}
	}
	return 0, show.Refuse("wire", "unknown layout %q (want one of %s)", s, strings.Join(layoutNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (l Layout) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Layout) UnmarshalText(b []byte) error {
	v, err := ParseLayout(string(b))
	if err == nil {
		*l = v
	}
	return err
}

// Encode returns v written in layout l. It panics on a value that is not part
// of a document tree (see the package doc), since that is a programming error.
func Encode(v any, l Layout) []byte {
	return Append(make([]byte, 0, 1024), v, l)
}

// Append appends v written in layout l to dst and returns the extended slice.
func Append(dst []byte, v any, l Layout) []byte {
	return appendValue(dst, v, l, 0)
}

// AppendAt is Append for a value that will sit at nesting depth depth of a
// larger document: what a Raw value placed there must hold in the Indented
// layout (the other layouts do not depend on depth).
func AppendAt(dst []byte, v any, l Layout, depth int) []byte {
	return appendValue(dst, v, l, depth)
}

func appendValue(dst []byte, v any, l Layout, depth int) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, t)
	case string:
		return AppendString(dst, t, l)
	case int:
		return strconv.AppendInt(dst, int64(t), 10)
	case int64:
		return strconv.AppendInt(dst, t, 10)
	case float64:
		return appendFloat(dst, t)
	case json.Number:
		return append(dst, t...)
	case Raw:
		return append(dst, t...)
	case *Object:
		return appendObject(dst, t, l, depth)
	case []any:
		return appendArray(dst, t, l, depth)
	default:
		panic(fmt.Sprintf("wire: cannot encode %T", v))
	}
}

func appendObject(dst []byte, o *Object, l Layout, depth int) []byte {
	if o == nil {
		return append(dst, "null"...)
	}
	if len(o.keys) == 0 {
		return append(dst, "{}"...)
	}
	dst = append(dst, '{')
	for i, k := range o.keys {
		dst = appendSeparator(dst, i, l, depth+1)
		dst = AppendString(dst, k, l)
		if l == Compact {
			dst = append(dst, ':')
		} else {
			dst = append(dst, ':', ' ')
		}
		dst = appendValue(dst, o.vals[i], l, depth+1)
	}
	dst = appendClose(dst, l, depth)
	return append(dst, '}')
}

func appendArray(dst []byte, a []any, l Layout, depth int) []byte {
	if len(a) == 0 {
		return append(dst, "[]"...)
	}
	dst = append(dst, '[')
	for i, e := range a {
		dst = appendSeparator(dst, i, l, depth+1)
		dst = appendValue(dst, e, l, depth+1)
	}
	dst = appendClose(dst, l, depth)
	return append(dst, ']')
}

// appendSeparator writes what comes before the i-th member of a container
// whose members sit at depth.
func appendSeparator(dst []byte, i int, l Layout, depth int) []byte {
	switch l {
	case Indented:
		if i > 0 {
			dst = append(dst, ',')
		}
		return appendIndent(dst, depth)
	case Python:
		if i > 0 {
			dst = append(dst, ',', ' ')
		}
	default:
		if i > 0 {
			dst = append(dst, ',')
		}
	}
	return dst
}

func appendClose(dst []byte, l Layout, depth int) []byte {
	if l == Indented {
		return appendIndent(dst, depth)
	}
	return dst
}

func appendIndent(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		panic("wire: cannot encode NaN or infinity")
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendFloat(dst, f, 'f', 1, 64)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string in layout l. Invalid UTF-8 is
// replaced by U+FFFD, as encoding/json does.
func AppendString(dst []byte, s string, l Layout) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != 0x7f {
				i++
				continue
			}
			if b == 0x7f && l != Python {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedByte(dst, b)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			if l == Python {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, "\ufffd"...)
			}
			i += size
			start = i
			continue
		}
		if l == Python {
			dst = append(dst, s[start:i]...)
			dst = appendUnicodeEscape(dst, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscapedByte(dst []byte, b byte) []byte {
	switch b {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	default:
		return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
	}
}

func appendUnicodeEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		r -= 0x10000
		dst = appendU4(dst, 0xd800+(r>>10))
		return appendU4(dst, 0xdc00+(r&0x3ff))
	}
	return appendU4(dst, r)
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
