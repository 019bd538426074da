package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// Error is a request the console refuses: Why is one sentence for people
// (lower case, no full stop: Sentence finishes it), Field the key of the
// request it is about (a JSON key, a query parameter or the path's id; ""
// when it is about none), and Err the kind of refusal, a sentinel such as
// ErrBadInput or ErrNotFound, for errors.Is. Every control answers it as
// {"message": Sentence(), "field": Field}.
type Error struct {
	Err   error
	Field string
	Why   string
}

func (e *Error) Error() string { return e.Err.Error() + ": " + e.Why }

func (e *Error) Unwrap() error { return e.Err }

// Reason is Why, for people (see show.Reasoned).
func (e *Error) Reason() string { return e.Why }

// Sentence is Why for people: a capital letter (unless it starts with a
// name such as sync.events.initiated) and a full stop.
func (e *Error) Sentence() string { return sentence(e.Why) }

// refuse makes an *Error of kind about field.
func refuse(kind error, field, format string, args ...any) error {
	return &Error{Err: kind, Field: field, Why: fmt.Sprintf(format, args...)}
}

// sentence finishes msg as one sentence.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return "Something went wrong."
	}
	first, _, _ := strings.Cut(msg, " ")
	first = strings.TrimRight(first, ".,;:")
	if strings.IndexFunc(first, func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
		msg = strings.ToUpper(msg[:1]) + msg[1:] // a word, not a name like sync.events.initiated
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// apiError is every error answer of the console's API: one plain sentence,
// and the key of the request it is about ("" when none).
type apiError struct {
	Message string `json:"message"`
	Field   string `json:"field"`
}

func writeError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, apiError{Message: msg, Field: field})
}

// fail answers err: an *Error with the status of its kind, anything else
// (the store failing, a run's engine) as a 500 in one sentence.
func fail(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		writeError(w, http.StatusInternalServerError, "", plainError(err))
		return
	}
	status := http.StatusBadRequest
	switch {
	case errors.Is(e, ErrNotSubscribed):
		status = http.StatusUnprocessableEntity
	case errors.Is(e, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(e, ErrBusy):
		status = http.StatusConflict
	}
	writeError(w, status, e.Field, e.Sentence())
}

// plainError is an error of another package (a run's engine, the store)
// as one sentence for people: an *Error's own sentence, or the text without
// the packages' prefixes.
func plainError(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Sentence()
	}
	msg := err.Error()
	for _, p := range []string{"console: ", "conformance: ", "scenarios: ", "sender: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return sentence(msg)
}

// readJSON decodes a request body, a JSON object, into v (a pointer to a
// struct). An empty body leaves v as it is. A key v has no field for is
// refused by name, and so is a value of the wrong type; either answers 400
// and returns false, having changed nothing.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeBody(r.Body, v); err != nil {
		fail(w, err)
		return false
	}
	return true
}

// decodeBody is readJSON's work: it returns an *Error of ErrBadInput.
func decodeBody(body io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(body, maxBody+1))
	if err != nil {
		return refuse(ErrBadInput, "", "the request body could not be read")
	}
	if len(data) > maxBody {
		return refuse(ErrBadInput, "", "the request body is larger than %d MiB", maxBody>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	keys, err := objectKeys(data)
	if err != nil {
		return refuse(ErrBadInput, "", "the request body is not a JSON object")
	}
	allowed := jsonKeys(reflect.TypeOf(v).Elem())
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return refuse(ErrBadInput, k, "the key %q is not one this endpoint takes: it takes none", k)
			}
			return refuse(ErrBadInput, k, "the key %q is not one this endpoint takes: it takes %s", k, strings.Join(allowed, ", "))
		}
	}
	// Into a fresh value, copied to v only whole: a body refused half-way
	// leaves v as it was.
	fresh := reflect.New(reflect.TypeOf(v).Elem())
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(fresh.Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return refuse(ErrBadInput, te.Field, "the value of %q is a JSON %s, not %s", te.Field, te.Value, jsonKind(te.Type))
		}
		return refuse(ErrBadInput, "", "the request body is not the JSON this endpoint takes")
	}
	reflect.ValueOf(v).Elem().Set(fresh.Elem())
	return nil
}

// objectKeys returns the top-level keys of a JSON object, in order.
func objectKeys(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more after the object")
	}
	return keys, nil
}

// jsonKeys lists the JSON keys of struct type t, embedded structs' too, in
// the order of its fields.
func jsonKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			keys = append(keys, jsonKeys(f.Type)...)
		case name == "":
			keys = append(keys, f.Name)
		default:
			keys = append(keys, name)
		}
	}
	return keys
}

// jsonKind says which JSON value a Go type takes, with an article.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return "a number"
	}
}
