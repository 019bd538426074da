package main

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/tartansim/tartansim/load"
)

// writeFileAtomic writes a report file at path by way of a temporary file
// beside it, synced and then renamed over path: a crash at any moment
// leaves the old file or the whole new one, never half of one. The file
// gets the mode os.Create gives (0666 less the umask).
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := createBeside(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// createBeside creates a new temporary file beside path, in its directory,
// where a rename over path is atomic.
func createBeside(path string) (*os.File, error) {
	for {
		name := path + "." + strconv.FormatUint(rand.Uint64(), 36) + ".tmp"
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// writeHTMLFile writes r's HTML report to path, the --html flag's; its
// error is the usage error to return once the rest of the report is out.
func writeHTMLFile(path string, r *load.Report) error {
	if err := writeFileAtomic(path, func(w io.Writer) error { return load.WriteHTML(w, r) }); err != nil {
		return usageErr("cannot write --html %s: %s, so the run's report is incomplete", path, ioReason(err))
	}
	return nil
}

// writeJSON writes v as the command's indented JSON report.
func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return a.reportErr(err)
	}
	return nil
}

// reportErr is the usage error for a report that could not be written
// whole to stdout (a full disk).
func (a *app) reportErr(err error) error {
	what := "the report"
	if a.common.json {
		what = "the --json report"
	}
	return usageErr("cannot write %s: %s, so the run's report is incomplete", what, ioReason(err))
}
