package scenarios

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/tartansim/tartansim/show"
)

// ErrInvalid is wrapped by every error about a scenario's content: match it
// with errors.Is, and use errors.As with *FileError for the details.
var ErrInvalid = error(&show.Refusal{Pkg: "scenarios", Why: "invalid scenario"})

// FileError is a problem in a scenario, located in its file.
//
// Errors from Parse always have Line and Column of at least 1: they point
// at the offending key or value, or, for something missing, at the closest
// thing present (the parent field, at worst the first key of the file).
// Line and Column are 0 only for scenarios built in Go and checked with
// Validate, which have no file; Line is then the step's Line if it has one.
type FileError struct {
	File         string // the file name given to Parse; may be empty
	Line, Column int    // 1-based; 0 when unknown
	// Field is the path of the field at fault, as in
	// "steps[2].delta-sync.leavers"; empty for a YAML syntax error or a
	// problem with the whole file.
	Field string
	Msg   string // what is wrong, in plain words
}

// Error reads "FILE:LINE:COL: FIELD: MESSAGE", leaving out the parts that
// are unknown; with a line but no file name it reads "line LINE: …".
func (e *FileError) Error() string {
	out := e.File
	if e.Line > 0 {
		if out == "" {
			out = "line "
		} else {
			out += ":"
		}
		out += strconv.Itoa(e.Line)
		if e.Column > 0 {
			out += ":" + strconv.Itoa(e.Column)
		}
	}
	if out != "" {
		out += ": "
	}
	if e.Field != "" {
		out += e.Field + ": "
	}
	return out + e.Msg
}

// Reason is Error: the file, line and field already say where.
func (e *FileError) Reason() string { return e.Error() }

// Unwrap returns ErrInvalid.
func (e *FileError) Unwrap() error { return ErrInvalid }

// maxFileSize is the largest scenario file Parse reads.
const maxFileSize = 1 << 20

// ParseFile reads and parses the scenario file at path. An unreadable file
// is an error wrapping the *fs.PathError; a bad scenario is a *FileError.
func ParseFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, show.Refuse("scenarios", "%w", err)
	}
	return Parse(path, data)
}

// Parse reads a scenario from YAML. file names the source in messages and
// becomes Scenario.File; it may be empty.
//
// Decoding is strict: unknown fields anywhere, a value of the wrong type
// ("many" employees, 1.5 employees, "5" where a number goes) and duplicate
// keys are errors. Then the scenario is checked as Validate does, and each
// override is tried against sample webhooks of the kinds its step sends, so
// that a path that can never match fails here, not halfway through a run.
// Every error is a *FileError that wraps ErrInvalid; Parse does not panic
// on any input.
//
// Parse fills Scenario.File and each Step.Line, and applies the defaults:
// Layout "" becomes "compact", a duplicate fault's Copies 0 becomes 1, and
// an action written with no value ("eod:") is that action with its zero
// value. Anchors, aliases and merge keys ("<<: *faults") work as in YAML.
func Parse(file string, data []byte) (*Scenario, error) {
	if len(data) > maxFileSize {
		return nil, &FileError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("the file is %d bytes; a scenario file has at most %d", len(data), maxFileSize)}
	}
	var tree *ast.File
	perr := guard(func() (err error) { tree, err = parser.ParseBytes(data, 0); return err })
	if perr != nil {
		return nil, yamlError(file, nil, perr)
	}
	var body ast.Node
	for _, doc := range tree.Docs {
		switch {
		case doc == nil || doc.Body == nil:
		case body != nil:
			line, col := clampPos(nodePos(doc.Body))
			return nil, &FileError{File: file, Line: line, Column: col, Msg: "a second YAML document: a file holds one scenario"}
		default:
			body = doc.Body
		}
	}
	if body == nil {
		return nil, &FileError{File: file, Line: 1, Column: 1, Msg: "the file is empty; a scenario has a name, orgs and steps"}
	}
	src, ferr := newSource(file, body)
	if ferr != nil {
		return nil, ferr
	}
	sc := new(Scenario)
	if derr := guard(func() error { return yaml.NodeToValue(body, sc, yaml.DisallowUnknownField()) }); derr != nil {
		return nil, yamlError(file, src, derr)
	}
	sc.File = file
	for i := range sc.Steps {
		st := &sc.Steps[i]
		st.Line, _ = src.locate(fmt.Sprintf("steps[%d]", i))
		fillActions(st, fmt.Sprintf("steps[%d]", i), src)
	}
	c := &checker{s: sc, file: file, locate: src.locate}
	if ferr := c.check(); ferr != nil {
		return nil, ferr
	}
	applyDefaults(sc)
	return sc, nil
}

// guard runs a call into the YAML library and turns a panic of the library,
// on input it did not foresee, into an error. Panics of this package are
// not caught: the fuzz test must see them.
func guard(call func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot read the file as YAML (%v)", r)
		}
	}()
	return call()
}

// fillActions gives a step the action it names with no value ("eod:").
func fillActions(st *Step, path string, src *source) {
	present := func(name string) bool { return src.has(path + "." + name) }
	if st.Invite == nil && present("invite") {
		st.Invite = &OrgRef{}
	}
	if st.InitialSync == nil && present("initial-sync") {
		st.InitialSync = &OrgRef{}
	}
	if st.DeltaSync == nil && present("delta-sync") {
		st.DeltaSync = &OrgDelta{}
	}
	if st.RealtimeSync == nil && present("realtime-sync") {
		st.RealtimeSync = &OrgDelta{}
	}
	if st.Terminate == nil && present("terminate") {
		st.Terminate = &OrgRef{}
	}
	if st.EOD == nil && present("eod") {
		st.EOD = &EOD{}
	}
	if st.Event == nil && present("event") {
		st.Event = &SingleEvent{}
	}
}

func applyDefaults(sc *Scenario) {
	if sc.Layout == "" {
		sc.Layout = "compact"
	}
	for i := range sc.Steps {
		for j := range sc.Steps[i].Faults {
			f := &sc.Steps[i].Faults[j]
			if f.Copies == 0 && (f.Type == FaultDuplicate || f.Type == FaultDuplicateConcurrent) {
				f.Copies = 1
			}
		}
	}
}

var dupKey = regexp.MustCompile(`^mapping key "(.*)" already defined at \[(\d+):(\d+)\]$`)

// yamlError turns an error of the YAML library into a *FileError at its
// position, in plain words where the library's are about Go types.
func yamlError(file string, src *source, err error) *FileError {
	fe := &FileError{File: file, Line: 1, Column: 1, Msg: err.Error()}
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return fe
	}
	fe.Msg = ye.GetMessage()
	if tk := ye.GetToken(); tk != nil && tk.Position != nil {
		fe.Line, fe.Column = clampPos(*tk.Position)
	}
	if src != nil {
		fe.Field = src.place(fe.Line, fe.Column)
	}
	var (
		te *yaml.TypeError
		oe *yaml.OverflowError
		ue *yaml.UnexpectedNodeTypeError
		se *yaml.SyntaxError
	)
	switch {
	case errors.As(err, &te):
		fe.Msg = fmt.Sprintf("want %s, got %s", typeWords(te.DstType), tokenWords(ye))
	case errors.As(err, &oe):
		fe.Msg = fmt.Sprintf("%s is out of range for %s", oe.SrcNum, typeWords(oe.DstType))
	case errors.As(err, &ue):
		fe.Msg = fmt.Sprintf("want a %s, got a %s", ue.Expected.YAMLName(), ue.Actual.YAMLName())
	case errors.As(err, &se):
		if m := dupKey.FindStringSubmatch(se.Message); m != nil {
			fe.Msg = fmt.Sprintf("duplicate key %q (first at line %s)", m[1], m[2])
		} else {
			fe.Msg = "invalid YAML: " + se.Message
		}
	}
	return fe
}

func typeWords(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "a whole number"
	case reflect.String:
		return "text"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Pointer, reflect.Map:
		return "a mapping (key: value lines)"
	}
	return t.String()
}

func tokenWords(e yaml.Error) string {
	if tk := e.GetToken(); tk != nil && tk.Value != "" {
		return strconv.Quote(tk.Value)
	}
	return "something else"
}
