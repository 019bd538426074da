package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that every error it returns
// is a *FileError wrapping ErrInvalid that points into the file: Line and
// Column are at least 1 (Parse has no error without a position; only
// Validate, on scenarios built in Go, gives 0). A scenario it accepts must
// validate again and have a line for every step.
func FuzzParse(f *testing.F) {
	for _, name := range builtinNames {
		data, err := builtinFiles.ReadFile("builtin/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	files = append(files, filepath.Join("testdata", "example.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: a\norgs: [{id: c, employees: 1}]\nsteps: [{eod: }, {invite: &x {org: c}}, {terminate: *x}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %T %v is not a *FileError wrapping ErrInvalid", err, err)
			}
			if fe.Line < 1 || fe.Column < 1 || fe.File != "fuzz.yaml" || fe.Msg == "" {
				t.Fatalf("error without a place or a message: %#v", fe)
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate rejects: %v", err)
		}
		if _, err := sc.Moments(); err != nil {
			t.Fatalf("Moments: %v", err)
		}
		for i, st := range sc.Steps {
			if st.Line < 1 {
				t.Fatalf("steps[%d] has no line", i)
			}
		}
	})
}
