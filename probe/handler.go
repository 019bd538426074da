package probe

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Handler serves the state probe contract over state: GET (or HEAD)
// ?orgId=X answers 200 with state(X) as JSON; no orgId is 400; other
// methods are 405; an error from state is 500 with its text. An unknown org
// is what state says of it (a State with nothing in it, as the contract
// asks).
//
// A probe serves employee data without authentication: it is for test
// harnesses only, never to be exposed beyond them.
func Handler(state Func) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
			return
		}
		orgID := r.URL.Query().Get("orgId")
		if orgID == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "missing orgId query parameter"})
			return
		}
		st, err := state(r.Context(), orgID)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, st)
	})
}

// writeJSON writes v as the response, with status. HTML characters are not
// escaped, so & and < read as held.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // only strings, ints and decoded JSON
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
