package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/show"
)

// recordFile is the file of a --record flag, written through a
// deliverylog.Writer (which bounds what a crash can lose). At the first failed
// write (a full disk) it calls stop, so that the run ends there instead of
// sending on with nothing recorded.
type recordFile struct {
	path string
	f    *os.File
	stop func() // nil: nothing to stop

	mu      sync.Mutex
	err     error // the first failed write, sync or close
	stopped bool  // it was a write: the run stopped there
}

// createRecord creates the --record file at path; stop is called at its
// first failed write.
func createRecord(path string, stop func()) (*recordFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, usageErr("cannot write --record %s: %s", path, plainIOError(err))
	}
	return &recordFile{path: path, f: f, stop: stop}, nil
}

func (r *recordFile) Write(p []byte) (int, error) {
	n, err := r.f.Write(p)
	if err != nil {
		r.fail(err, true)
	}
	return n, err
}

// Sync syncs the file to the disk; a device or a pipe, which cannot be
// synced, needs no sync. deliverylog.Writer.Close calls it.
func (r *recordFile) Sync() error {
	if err := r.f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// fail keeps err if it is the first; write says it is a failed write, and
// then the run is stopped.
func (r *recordFile) fail(err error, write bool) {
	r.mu.Lock()
	first := r.err == nil
	if first {
		r.err, r.stopped = err, write
	}
	r.mu.Unlock()
	if first && write && r.stop != nil {
		r.stop()
	}
}

// close closes the log written through w, which syncs the file, or with a
// nil w (the writer was a library's, and it flushed it) syncs the file
// itself; then closes the file. It returns the usage error that says the
// record is incomplete, or nil.
func (r *recordFile) close(w *deliverylog.Writer) error {
	var err error
	if w != nil {
		err = w.Close()
	} else {
		err = r.Sync()
	}
	if err != nil {
		r.fail(err, false) // a failed write was kept already: this keeps a failed sync
	}
	if err := r.f.Close(); err != nil {
		r.fail(err, false)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		return nil
	}
	return usageErr("cannot write --record %s: %s", r.path, ioReason(r.err))
}

// ioReason is why a file operation failed, without the operation and path
// that the message already names: "no space left on device".
func ioReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && !os.IsNotExist(err) && !os.IsPermission(err) {
		return pe.Err.Error()
	}
	return plainIOError(err)
}

// failure is the error to exit with once the report is printed, given the
// error close returned: the run stopped at the first failed write after
// sent sends (attempts, for run), or the log could not be synced or closed
// at the end.
func (r *recordFile) failure(err error, sent int, seed uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil || !r.stopped {
		return err
	}
	return &exitError{exitUsage, fmt.Errorf("%w; the run stopped at that first failed write, after %s, and the report of what was sent is above (seed %d)", err, show.Plural(sent, "send"), seed)}
}

// attempts counts the attempts the reports made: what run --record logs.
func attempts(reports []*scenarios.Report) int {
	n := 0
	for _, r := range reports {
		for _, d := range r.Deliveries {
			n += len(d.Attempts)
		}
	}
	return n
}
