package scenarios

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// source is a scenario file's YAML tree, indexed by field path
// ("steps[2].faults[0].type") so that every message can point at the line
// and column of what it is about. Building it also checks the tree against
// the Go types of the model, more strictly than the YAML decoder does: no
// unknown fields, whole numbers where numbers go (not "5" or 1.5), text
// where text goes.
type source struct {
	file    string
	root    token.Position
	at      map[string]token.Position // field path → where messages point
	spots   []spot                    // every key and value, to place the decoder's errors
	anchors map[string]ast.Node
	visits  int
}

// spot is a position in the file and the field path found there.
type spot struct {
	line, col int
	path      string
}

// maxVisits bounds the work aliases can cause: a scenario file has
// thousands of values at most, and an alias bomb has billions.
const maxVisits = 500_000

var durationType = reflect.TypeOf(Duration(0))

func newSource(file string, body ast.Node) (*source, *FileError) {
	s := &source{file: file, at: map[string]token.Position{}, anchors: map[string]ast.Node{}}
	s.root = nodePos(body)
	if err := s.walk(body, reflect.TypeOf(Scenario{}), "", nil); err != nil {
		return s, err
	}
	sort.SliceStable(s.spots, func(i, j int) bool {
		a, b := s.spots[i], s.spots[j]
		return a.line < b.line || (a.line == b.line && a.col < b.col)
	})
	return s, nil
}

// has reports whether the file spells out the field at path.
func (s *source) has(path string) bool {
	_, ok := s.at[path]
	return ok
}

// locate returns where a message about path should point: the field's
// value, or its key when the value is a mapping, a list or empty; for a
// field that is absent, its closest present parent; at worst the first key
// of the file. Line and column are at least 1.
func (s *source) locate(path string) (line, col int) {
	for {
		if p, ok := s.at[path]; ok {
			return clampPos(p)
		}
		if path == "" {
			return clampPos(s.root)
		}
		path = parentPath(path)
	}
}

// place returns the field path at a position the YAML decoder reported:
// the path of the key or value there, or of the last one before it.
func (s *source) place(line, col int) string {
	i := sort.Search(len(s.spots), func(i int) bool {
		sp := s.spots[i]
		return sp.line > line || (sp.line == line && sp.col > col)
	})
	if i == 0 {
		return ""
	}
	return s.spots[i-1].path
}

func (s *source) fail(path string, n ast.Node, format string, args ...any) *FileError {
	line, col := clampPos(nodePos(n))
	return &FileError{File: s.file, Line: line, Column: col, Field: path, Msg: fmt.Sprintf(format, args...)}
}

// walk checks node n against type t and records where each field is.
// key is the mapping key whose value n is, nil for list elements.
func (s *source) walk(n ast.Node, t reflect.Type, path string, key ast.Node) *FileError {
	if s.visits++; s.visits > maxVisits {
		return s.fail(path, n, "the file has more than %d values, counting those aliases repeat", maxVisits)
	}
	point := nodePos(n)
	v, err := s.resolve(n, path)
	if err != nil {
		return err
	}
	if key != nil && (!isScalar(v) || isNull(v)) {
		point = nodePos(key)
	}
	if _, seen := s.at[path]; !seen {
		s.at[path] = point
	}
	pos := nodePos(v)
	s.spots = append(s.spots, spot{pos.Line, pos.Column, path})
	for t.Kind() == reflect.Pointer {
		if isNull(v) {
			return nil
		}
		t = t.Elem()
	}
	if t == durationType {
		return s.duration(v, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		return s.mapping(v, t, path)
	case reflect.Slice:
		seq, ok := v.(*ast.SequenceNode)
		if !ok {
			if isNull(v) {
				return nil
			}
			return s.fail(path, v, "want a list, got %s", describe(v))
		}
		for i, e := range seq.Values {
			if err := s.walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), nil); err != nil {
				return err
			}
		}
	case reflect.String:
		if !isScalar(v) {
			return s.fail(path, v, "want text, got %s", describe(v))
		}
	case reflect.Int, reflect.Uint64:
		return s.integer(v, t, path)
	}
	return nil
}

// resolve looks through tags, anchors and aliases to the value itself.
func (s *source) resolve(n ast.Node, path string) (ast.Node, *FileError) {
	for range 100 {
		switch x := n.(type) {
		case *ast.TagNode:
			n = x.Value
		case *ast.AnchorNode:
			if x.Name != nil && x.Name.GetToken() != nil {
				s.anchors[x.Name.GetToken().Value] = x.Value
			}
			n = x.Value
		case *ast.AliasNode:
			name := ""
			if x.Value != nil && x.Value.GetToken() != nil {
				name = x.Value.GetToken().Value
			}
			target, ok := s.anchors[name]
			if !ok {
				return nil, s.fail(path, x, "alias *%s refers to no anchor &%s above it", name, name)
			}
			n = target
		default:
			if n == nil {
				return &ast.NullNode{BaseNode: &ast.BaseNode{}}, nil
			}
			return n, nil
		}
	}
	return nil, s.fail(path, n, "aliases refer to each other in a loop")
}

// mapping checks the keys of a mapping against the fields of struct type t.
func (s *source) mapping(v ast.Node, t reflect.Type, path string) *FileError {
	var values []*ast.MappingValueNode
	switch m := v.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		if isNull(v) {
			return nil
		}
		return s.fail(path, v, "want a mapping (key: value lines), got %s", describe(v))
	}
	for _, mv := range values {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			if err := s.merge(mv.Value, t, path); err != nil {
				return err
			}
			continue
		}
		name := keyText(mv.Key)
		ft, ok := fieldType(t, name)
		child := joinPath(path, name)
		if !ok {
			return s.fail(child, mv.Key, "%s", unknownField(t, name))
		}
		kp := nodePos(mv.Key)
		s.spots = append(s.spots, spot{kp.Line, kp.Column, child})
		if err := s.walk(mv.Value, ft, child, mv.Key); err != nil {
			return err
		}
	}
	return nil
}

// merge checks the mappings a merge key ("<<: *defaults") brings in.
func (s *source) merge(n ast.Node, t reflect.Type, path string) *FileError {
	v, err := s.resolve(n, path)
	if err != nil {
		return err
	}
	if seq, ok := v.(*ast.SequenceNode); ok {
		for _, e := range seq.Values {
			if err := s.merge(e, t, path); err != nil {
				return err
			}
		}
		return nil
	}
	return s.mapping(v, t, path)
}

func (s *source) integer(v ast.Node, t reflect.Type, path string) *FileError {
	n, ok := v.(*ast.IntegerNode)
	if !ok {
		return s.fail(path, v, "want a whole number, got %s", describe(v))
	}
	switch x := n.Value.(type) {
	case int64:
		if x < 0 && t.Kind() == reflect.Uint64 {
			return s.fail(path, v, "want a whole number of 0 or more, got %d", x)
		}
	case uint64:
		if t.Kind() == reflect.Int && x > uint64(maxInt) {
			return s.fail(path, v, "%d is too large", x)
		}
	}
	return nil
}

const maxInt = int(^uint(0) >> 1)

func (s *source) duration(v ast.Node, path string) *FileError {
	if isNull(v) {
		return nil
	}
	if _, ok := v.(*ast.IntegerNode); ok {
		return s.fail(path, v, "%s has no unit; write a duration such as 90s, 2m or 1h30m", describe(v))
	}
	text, ok := scalarText(v)
	if !ok {
		return s.fail(path, v, "want a duration such as 90s, 2m or 1h30m, got %s", describe(v))
	}
	if _, err := time.ParseDuration(text); err != nil {
		return s.fail(path, v, "%q is not a duration; write e.g. 90s, 2m or 1h30m", text)
	}
	return nil
}

// fieldType returns the type of the field of struct t whose YAML name is
// name.
func fieldType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if inline(f) {
			if ft, ok := fieldType(f.Type, name); ok {
				return ft, true
			}
		} else if yamlName(f) == name {
			return f.Type, true
		}
	}
	return nil, false
}

// yamlNames lists the YAML names of struct t's fields, in order.
func yamlNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if inline(f) {
			out = append(out, yamlNames(f.Type)...)
		} else if n := yamlName(f); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// inline reports whether f is an embedded struct whose fields are spelled
// in its parent's mapping (`yaml:",inline"`), as OrgDelta's fixtures.Delta.
func inline(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return f.Anonymous && f.Type.Kind() == reflect.Struct && opts == "inline"
}

// unknownField says what is wrong with key name in a mapping of type t.
func unknownField(t reflect.Type, name string) string {
	known := yamlNames(t)
	msg := fmt.Sprintf("unknown field %q", name)
	if guess := closest(name, known); guess != "" {
		return msg + fmt.Sprintf("; did you mean %q?", guess)
	}
	if t == reflect.TypeOf(Step{}) {
		return msg + fmt.Sprintf(" (a step's action is one of %s; its other fields are at, faults, concurrency, layout and overrides)", orList(stepActions))
	}
	return msg + fmt.Sprintf(" (known: %s)", strings.Join(known, ", "))
}

// keyText returns the text of a mapping key, through its anchor or tag.
func keyText(k ast.MapKeyNode) string {
	var n ast.Node = k
	for n != nil {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
			continue
		case *ast.TagNode:
			n = x.Value
			continue
		}
		if t, ok := scalarText(n); ok {
			return t
		}
		return n.String()
	}
	return ""
}

// scalarText returns the text of a scalar node.
func scalarText(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return "", false
	case *ast.NullNode, nil:
		return "", true
	case *ast.StringNode:
		return x.Value, true
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value, true
	}
	return "", true
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok || n == nil
}

func isScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return false
	}
	return true
}

// describe names a value for a message: its text, or what kind it is.
func describe(n ast.Node) string {
	switch x := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode, nil:
		return "nothing"
	case *ast.StringNode:
		return fmt.Sprintf("%q", x.Value)
	case *ast.LiteralNode:
		return "a block of text"
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return "a " + n.Type().YAMLName()
}

// nodePos returns where a node starts: a block mapping at its first key.
func nodePos(n ast.Node) token.Position {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
		return nodePos(m.Values[0].Key)
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil {
		return nodePos(mv.Key)
	}
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return token.Position{}
	}
	return *n.GetToken().Position
}

func clampPos(p token.Position) (line, col int) {
	return max(p.Line, 1), max(p.Column, 1)
}

func joinPath(path, name string) string {
	if strings.ContainsAny(name, ".[]\" ") || name == "" {
		name = fmt.Sprintf("%q", name)
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// parentPath strips the last segment of a field path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
