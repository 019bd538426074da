package load_test

import (
	"os"

	"github.com/tartansim/tartansim/replay"
)

// closeLog ends a delivery log as the command does: what is buffered is
// written, and the file is synced and closed.
func closeLog(w *replay.Writer, f *os.File) error {
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}
