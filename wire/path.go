package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tartansim/tartansim/show"
)

// Path addresses values in a document tree. Its syntax:
//
//	name.name        object keys, separated by dots
//	name[2]          the third element of an array; [-1] is the last
//	name[*]          every element of an array
//	["vendor.orgId"] a key written as a JSON string, for any character
//	vendor\.orgId    a backslash escapes '.', '[' and '\' in a bare key
//
// Because Tartan's envelope has a top-level key that contains a dot, a bare
// dotted run that matches no nested key also matches the literal dotted key:
// vendor.orgId finds "vendor.orgId" when there is no "vendor" object.
type Path struct {
	text string
	segs []segment
}

type segment struct {
	key   string
	index int  // when !isKey
	all   bool // [*]
	isKey bool
	bare  bool // a bare key, eligible for joining with the next bare keys
}

// ErrPathSyntax is wrapped by ParsePath for malformed paths.
var ErrPathSyntax = error(&show.Refusal{Pkg: "wire", Why: "bad path"})

// ErrNoMatch is wrapped by *NoMatchError.
var ErrNoMatch = error(&show.Refusal{Pkg: "wire", Why: "path matches nothing"})

// NoMatchError says where a path stopped matching and what was there.
type NoMatchError struct {
	Path      string   // the whole path
	At        string   // the part that did match, "" for the root
	Want      string   // the segment that did not, e.g. `"nmae"` or `[12]`
	Available []string // keys of the object there, or the array's length as "0".."n-1"
	Found     string   // the JSON kind found there
}

func (e *NoMatchError) Error() string { return "wire: " + e.Reason() }

// Reason says where the path stopped matching and what is there, for
// people.
func (e *NoMatchError) Reason() string {
	where := e.At
	if where == "" {
		where = "the document"
	}
	switch {
	case e.Found != "object" && e.Found != "array":
		return fmt.Sprintf("path %q matches nothing: %s is a %s, not a container", e.Path, where, e.Found)
	case len(e.Available) == 0:
		return fmt.Sprintf("path %q matches nothing: %s is an empty %s", e.Path, where, e.Found)
	case e.Found == "object" && strings.HasPrefix(e.Want, "["):
		return fmt.Sprintf("path %q matches nothing: %s is an object; use .key, not %s (keys: %s)", e.Path, where, e.Want, strings.Join(e.Available, ", "))
	case e.Found == "array" && strings.HasPrefix(e.Want, `"`):
		return fmt.Sprintf("path %q matches nothing: %s is an array; index it with [N] or [*] before %s", e.Path, where, e.Want)
	case e.Found == "array":
		return fmt.Sprintf("path %q matches nothing: %s has no element %s (it has %d)", e.Path, where, e.Want, len(e.Available))
	default:
		return fmt.Sprintf("path %q matches nothing: %s has no key %s (keys: %s)", e.Path, where, e.Want, strings.Join(e.Available, ", "))
	}
}

func (e *NoMatchError) Unwrap() error { return ErrNoMatch }

// ParsePath parses s in the syntax described on Path.
func ParsePath(s string) (Path, error) {
	p := Path{text: s}
	if s == "" {
		return p, fmt.Errorf("%w: empty path", ErrPathSyntax)
	}
	i := 0
	expectKey := true // at the start or after '.'
	for i < len(s) {
		var (
			seg segment
			err error
		)
		switch {
		case s[i] == '[':
			seg, i, err = parseBracket(s, i)
			if err != nil {
				return p, err
			}
			p.segs = append(p.segs, seg)
			expectKey = false
		case s[i] == '.':
			if expectKey {
				return p, fmt.Errorf("%w %q: empty key at offset %d", ErrPathSyntax, s, i)
			}
			expectKey = true
			i++
			if i == len(s) {
				return p, fmt.Errorf("%w %q: ends with a dot", ErrPathSyntax, s)
			}
		default:
			if !expectKey {
				return p, fmt.Errorf("%w %q: expected . or [ at offset %d", ErrPathSyntax, s, i)
			}
			seg, i, err = parseBare(s, i)
			if err != nil {
				return p, err
			}
			p.segs = append(p.segs, seg)
			expectKey = false
		}
		if !expectKey && i < len(s) && s[i] != '.' && s[i] != '[' {
			return p, fmt.Errorf("%w %q: expected . or [ at offset %d", ErrPathSyntax, s, i)
		}
	}
	if expectKey {
		return p, fmt.Errorf("%w %q: ends with a dot", ErrPathSyntax, s)
	}
	return p, nil
}

// parseBracket reads the segment of s that opens with '[' at i: a quoted
// key ["…"], an index [3] or every element [*]. It returns the offset after
// the ']'.
func parseBracket(s string, i int) (segment, int, error) {
	j := i + 1
	if j < len(s) && s[j] == '"' {
		// a JSON string key
		end := j + 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			return segment{}, i, fmt.Errorf("%w %q: unterminated string at offset %d", ErrPathSyntax, s, j)
		}
		var key string
		if err := json.Unmarshal([]byte(s[j:end+1]), &key); err != nil {
			return segment{}, i, fmt.Errorf("%w %q: bad quoted key at offset %d", ErrPathSyntax, s, j)
		}
		if end+1 >= len(s) || s[end+1] != ']' {
			return segment{}, i, fmt.Errorf("%w %q: missing ] at offset %d", ErrPathSyntax, s, end+1)
		}
		return segment{key: key, isKey: true}, end + 2, nil
	}
	end := strings.IndexByte(s[j:], ']')
	if end < 0 {
		return segment{}, i, fmt.Errorf("%w %q: missing ] after offset %d", ErrPathSyntax, s, i)
	}
	idx := s[j : j+end]
	seg := segment{}
	if idx == "*" {
		seg.all = true
	} else {
		n, err := strconv.Atoi(idx)
		if err != nil || idx == "" || strings.HasPrefix(idx, "+") {
			return segment{}, i, fmt.Errorf("%w %q: index %q is not a number or *", ErrPathSyntax, s, idx)
		}
		seg.index = n
	}
	return seg, j + end + 1, nil
}

// parseBare reads the bare key of s that starts at i, up to the next '.'
// or '[' (a backslash escapes the next byte). It returns the offset after.
func parseBare(s string, i int) (segment, int, error) {
	var b strings.Builder
	for i < len(s) && s[i] != '.' && s[i] != '[' {
		if s[i] == ']' {
			return segment{}, i, fmt.Errorf("%w %q: unexpected ] at offset %d", ErrPathSyntax, s, i)
		}
		if s[i] == '\\' {
			if i+1 >= len(s) {
				return segment{}, i, fmt.Errorf("%w %q: ends with a backslash", ErrPathSyntax, s)
			}
			i++
		}
		b.WriteByte(s[i])
		i++
	}
	return segment{key: b.String(), isKey: true, bare: true}, i, nil
}

// MustParsePath is ParsePath for paths known at compile time; it panics on a
// syntax error.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

func (p Path) String() string { return p.text }

// Get returns every value the path matches, in document order.
func (p Path) Get(root any) ([]any, error) {
	var out []any
	err := p.walk(root, func(parent any, key string, idx int) {
		if o, ok := parent.(*Object); ok {
			v, _ := o.Get(key)
			out = append(out, v)
		} else {
			out = append(out, parent.([]any)[idx])
		}
	})
	return out, err
}

// Set replaces every value the path matches with v (a tree value; containers
// are cloned for each match) and returns how many it replaced. A path that
// matches nothing is a *NoMatchError.
func (p Path) Set(root any, v any) (int, error) {
	n := 0
	err := p.walk(root, func(parent any, key string, idx int) {
		n++
		if o, ok := parent.(*Object); ok {
			o.Set(key, Clone(v))
		} else {
			parent.([]any)[idx] = Clone(v)
		}
	})
	return n, err
}

// Delete removes every key the path matches from its object and returns how
// many it removed. Array elements cannot be deleted (that would renumber the
// others); deleting one is an error.
func (p Path) Delete(root any) (int, error) {
	if len(p.segs) > 0 && !p.segs[len(p.segs)-1].isKey {
		return 0, show.Refuse("wire", "path %q: cannot delete an array element", p.text)
	}
	type hit struct {
		o   *Object
		key string
	}
	var hits []hit
	err := p.walk(root, func(parent any, key string, _ int) {
		hits = append(hits, hit{parent.(*Object), key})
	})
	for _, h := range hits {
		h.o.Delete(h.key)
	}
	return len(hits), err
}

// Add adds the path's last key, with value v, to every object its parent
// path matches, and returns how many objects it added to. A key that is
// already there is an error: use Set to replace.
func (p Path) Add(root any, v any) (int, error) {
	if len(p.segs) == 0 {
		return 0, fmt.Errorf("%w: empty path", ErrPathSyntax)
	}
	if !p.segs[len(p.segs)-1].isKey {
		return 0, show.Refuse("wire", "path %q: add needs a key at the end, not an index", p.text)
	}
	// The new key is the last segment or, as in walk, a run of trailing
	// bare keys naming one dotted key (vendor.orgId) whose parent exists.
	var firstErr error
	for j := len(p.segs) - 1; j >= 0; j-- {
		if j < len(p.segs)-1 && !p.segs[j].bare {
			break
		}
		n, err := p.addAt(root, j, v)
		if err == nil || !errors.Is(err, ErrNoMatch) {
			return n, err
		}
		if firstErr == nil {
			firstErr = err
		}
		if !p.segs[j].bare {
			break
		}
	}
	return 0, firstErr
}

// addAt adds the key made of segments j.. to the objects segments ..j match.
func (p Path) addAt(root any, j int, v any) (int, error) {
	keys := make([]string, 0, len(p.segs)-j)
	for _, s := range p.segs[j:] {
		keys = append(keys, s.key)
	}
	key := strings.Join(keys, ".")
	parent := Path{text: formatSegs(p.segs[:j]), segs: p.segs[:j]}
	var targets []*Object
	collect := func(v any) error {
		o, ok := v.(*Object)
		if !ok {
			return show.Refuse("wire", "path %q: %s is a %s, not an object", p.text, parent.text, Kind(v))
		}
		if o.Has(key) {
			return show.Refuse("wire", "path %q: key %q is already there (use set to replace it)", p.text, key)
		}
		targets = append(targets, o)
		return nil
	}
	if j == 0 {
		if err := collect(root); err != nil {
			return 0, err
		}
	} else {
		vals, err := parent.Get(root)
		if err != nil {
			return 0, err
		}
		for _, v := range vals {
			if err := collect(v); err != nil {
				return 0, err
			}
		}
	}
	for _, o := range targets {
		o.Add(key, Clone(v))
	}
	return len(targets), nil
}

func formatSegs(segs []segment) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.isKey && s.bare && s.key != "" && !strings.ContainsAny(s.key, ".[]\\\""):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		case s.isKey:
			q, _ := json.Marshal(s.key)
			b.WriteString("[" + string(q) + "]")
		case s.all:
			b.WriteString("[*]")
		default:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		}
	}
	return b.String()
}

// walk calls hit for every match with the container holding it and the key
// or index within it. It returns a *NoMatchError when nothing matches.
func (p Path) walk(root any, hit func(parent any, key string, idx int)) error {
	if len(p.segs) == 0 {
		return fmt.Errorf("%w: empty path", ErrPathSyntax)
	}
	w := &walker{p: p, hit: hit}
	w.visit(root, p.segs, nil)
	if w.matched == 0 {
		if w.first == nil {
			w.first = &NoMatchError{Path: p.text, Found: Kind(root)}
		}
		return w.first
	}
	return nil
}

// walker is one walk of a path through a document: what it hit, and the
// first place it found nothing, for the error.
type walker struct {
	p       Path
	hit     func(parent any, key string, idx int)
	first   *NoMatchError
	matched int
}

// fail notes that v, reached by done, has nothing that matches want (avail
// lists what it has); only the first failure is kept.
func (w *walker) fail(v any, done []segment, want string, avail []string) {
	if w.first == nil {
		w.first = &NoMatchError{Path: w.p.text, At: formatSegs(done), Want: want, Available: avail, Found: Kind(v)}
	}
}

// next goes on into child, which consumed segments of segs matched: a hit
// when they were the last.
func (w *walker) next(child any, segs, done []segment, consumed int, parent any, key string, idx int) {
	if consumed == len(segs) {
		w.matched++
		w.hit(parent, key, idx)
		return
	}
	w.visit(child, segs[consumed:], append(done[:len(done):len(done)], segs[:consumed]...))
}

// visit matches segs against v, reached by done.
func (w *walker) visit(v any, segs, done []segment) {
	switch t := v.(type) {
	case *Object:
		w.object(t, segs, done)
	case []any:
		w.array(t, segs, done)
	default:
		w.fail(v, done, formatSegs(segs[:1]), nil)
	}
}

func (w *walker) object(t *Object, segs, done []segment) {
	s := segs[0]
	if s.isKey {
		if c, ok := t.Get(s.key); ok {
			w.next(c, segs, done, 1, t, s.key, 0)
			return
		}
		// A run of bare keys may name one literal dotted key.
		if s.bare {
			key := s.key
			for n := 1; n < len(segs) && segs[n].bare; n++ {
				key += "." + segs[n].key
				if c, ok := t.Get(key); ok {
					w.next(c, segs, done, n+1, t, key, 0)
					return
				}
			}
		}
	}
	keys := append([]string(nil), t.keys...)
	sort.Strings(keys)
	want := strconv.Quote(s.key)
	if !s.isKey {
		want = formatSegs(segs[:1])
	}
	w.fail(t, done, want, keys)
}

func (w *walker) array(t []any, segs, done []segment) {
	s := segs[0]
	avail := make([]string, len(t))
	for i := range t {
		avail[i] = strconv.Itoa(i)
	}
	switch {
	case s.isKey:
		w.fail(t, done, strconv.Quote(s.key), avail)
	case s.all:
		if len(t) == 0 {
			w.fail(t, done, "[*]", nil)
		}
		for i, c := range t {
			w.next(c, segs, done, 1, t, "", i)
		}
	default:
		i := s.index
		if i < 0 {
			i += len(t)
		}
		if i < 0 || i >= len(t) {
			w.fail(t, done, "["+strconv.Itoa(s.index)+"]", avail)
			return
		}
		w.next(t[i], segs, done, 1, t, "", i)
	}
}
