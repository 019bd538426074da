package box

import (
	"net/http"

	"github.com/tartansim/tartansim/wire"
)

// apiControls registers the controls of faults on Tartan's API:
//
//	POST   {prefix}api/faults   arm {"endpoint", "status", "retryAfter", "reset", "delay", "shift", "next" | "fraction"}
//	GET    {prefix}api/faults   the faults still armed
//	DELETE {prefix}api/faults   disarm them all
//	GET    {prefix}api/calls    the API calls received (method, path, status, time)
//	GET    {prefix}api/verdict  the verdict on the consumer as a client, overall and per corporate
//	GET    {prefix}orgs/{org}/api/verdict  the verdict on its calls about one corporate
func (b *Box) apiControls(mux *http.ServeMux, p string) {
	mux.HandleFunc("POST "+p+"api/faults", func(w http.ResponseWriter, r *http.Request) {
		fields, ok := readControl(w, r, apiFaultKeys...)
		if !ok {
			return
		}
		f, err := decodeAPIFault(fields)
		if err == nil {
			err = b.ArmAPIFault(f)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, b.APIFaults())
	})
	mux.HandleFunc("GET "+p+"api/faults", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, b.APIFaults()) })
	mux.HandleFunc("DELETE "+p+"api/faults", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := readControl(w, r); !ok {
			return
		}
		writeDoc(w, http.StatusOK, wire.NewObject(1).Add("disarmed", b.DisarmAPIFaults()))
	})
	mux.HandleFunc("GET "+p+"api/calls", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, b.Calls()) })
	mux.HandleFunc("GET "+p+"api/verdict", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, b.ClientVerdict()) })
	mux.HandleFunc("GET "+p+"orgs/{org}/api/verdict", func(w http.ResponseWriter, r *http.Request) {
		v, err := b.OrgClientVerdict(r.PathValue("org"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, v)
	})
}
