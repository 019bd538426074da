package console

import (
	"io"
	"net/http"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/show"
)

// Export writes the attempts f matches (Filter{}: the whole log), oldest
// first, as the NDJSON delivery log that `tartansim replay` reads: the
// lines the store holds, one deliverylog.Attempt per attempt, the exact
// body and headers (never the key). It reads the store, not memory, so a
// log of any length exports.
func (s *Server) Export(w io.Writer, f Filter) error {
	out := deliverylog.NewWriter(w)
	err := s.store.each(func(a deliverylog.Attempt) error {
		if f.Match(&a) {
			out.Write(a)
		}
		return nil
	})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return show.Refuse("console", "exporting the log: %w", err)
	}
	return nil
}

func (s *Server) getExport(w http.ResponseWriter, r *http.Request) {
	f, err := s.parseFilter(r.URL.Query())
	if err != nil {
		fail(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Content-Disposition", `attachment; filename="tartansim-deliveries.ndjson"`)
	h.Set("Cache-Control", "no-store")
	_ = s.Export(w, f) // the status is sent; a broken stream shows as a short file
}
