package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// maxBody bounds a request body to the API: a payload of a few hundred
// records fits many times over.
const maxBody = 4 << 20

// routes is the console: the page and its control API. Every endpoint is
// documented in docs/console.md.
func (s *Server) routes() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /{$}", pageHandler())
	m.Handle("GET /assets/", assetHandler())
	m.HandleFunc("GET /api/console/settings", s.getSettings)
	m.HandleFunc("PUT /api/console/settings", s.putSettings)
	m.HandleFunc("GET /api/console/payload", s.getPayload)
	m.HandleFunc("POST /api/console/send", s.postSend)
	m.HandleFunc("GET /api/console/deliveries", s.getDeliveries)
	m.HandleFunc("GET /api/console/deliveries/{id}", s.getDelivery)
	m.HandleFunc("POST /api/console/deliveries/{id}/resend", s.postResend)
	m.HandleFunc("POST /api/console/eod", s.postEOD)
	m.HandleFunc("POST /api/console/recover", s.postRecover)
	m.HandleFunc("POST /api/console/connection", s.postConnection)
	m.HandleFunc("GET /api/console/stats", s.getStats)
	m.HandleFunc("GET /api/console/scenarios", s.getScenarios)
	m.HandleFunc("GET /api/console/checks", s.getChecks)
	m.HandleFunc("GET /api/console/runs", s.getRuns)
	m.HandleFunc("POST /api/console/runs", s.postRun)
	m.HandleFunc("GET /api/console/runs/{id}", s.getRun)
	m.HandleFunc("POST /api/console/runs/{id}/cancel", s.postCancel)
	m.HandleFunc("GET /api/console/stream", s.serveStream)
	m.HandleFunc("GET /api/console/export", s.getExport)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", fmt.Sprintf("There is no %s %s in the console's API.", r.Method, r.URL.Path))
	})
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// CatalogueEntry is one event of the catalogue, as the Endpoint section
// lists it.
type CatalogueEntry struct {
	ID         string `json:"id"`
	Event      string `json:"event"`
	EventType  string `json:"eventType"`
	Documented bool   `json:"documented"`
	Summary    string `json:"summary"`
	Subscribed bool   `json:"subscribed"`
}

// SettingsView is GET /api/console/settings: the settings, the catalogue
// with what is subscribed, and facts about the server. It never holds the
// key; KeyGiven says whether there is one.
type SettingsView struct {
	Settings
	Subscribed []string         `json:"subscribed"` // catalogue IDs
	Catalogue  []CatalogueEntry `json:"catalogue"`
	Layouts    []string         `json:"layouts"`
	KeyGiven   bool             `json:"keyGiven"`
	// Builtin is the built-in reference consumer's webhook URL, used
	// while WebhookURL is "".
	Builtin string    `json:"builtinWebhookUrl"`
	NextEOD time.Time `json:"nextEod,omitzero"`
	LastEOD time.Time `json:"lastEod,omitzero"`
	Store   string    `json:"store"`
}

func (s *Server) settingsView() SettingsView {
	st := s.Settings()
	sub := st.Subscription()
	v := SettingsView{Settings: st, Subscribed: []string{}, KeyGiven: s.key != nil, Builtin: s.builtin.webhookURL(),
		NextEOD: st.nextEOD(s.clock.Now()), LastEOD: s.LastEOD(), Store: s.store.Path()}
	for _, k := range fixtures.Catalogue() {
		v.Catalogue = append(v.Catalogue, CatalogueEntry{ID: k.ID(), Event: k.Event, EventType: k.Type, Documented: k.Documented, Summary: k.Summary, Subscribed: sub.Has(k)})
		if sub.Has(k) {
			v.Subscribed = append(v.Subscribed, k.ID())
		}
	}
	for _, l := range wire.Layouts() {
		v.Layouts = append(v.Layouts, l.String())
	}
	return v
}

func (s *Server) getSettings(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.settingsView())
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	var p Patch
	if !readJSON(w, r, &p) {
		return
	}
	if _, err := s.Update(p); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.settingsView())
}

func (s *Server) getPayload(w http.ResponseWriter, r *http.Request) {
	p, err := s.Payload(r.URL.Query().Get("event"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// AttemptView is one attempt in full, with a curl line that sends the
// same request: GET /api/console/deliveries/{id} and the answers of send
// and resend.
type AttemptView struct {
	deliverylog.Attempt
	Judged
	Curl string `json:"curl"`
}

// UnmarshalJSON reads a view (see Row.UnmarshalJSON).
func (v *AttemptView) UnmarshalJSON(b []byte) error {
	var c struct {
		Curl string `json:"curl"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	v.Curl = c.Curl
	return unmarshalJudged(b, &v.Attempt, &v.Judged)
}

func view(a deliverylog.Attempt) AttemptView {
	d := a.Request(nil)
	return AttemptView{Attempt: a, Judged: judged(&a), Curl: show.Curl(a.Target, d.Header, d.Body)}
}

func (s *Server) postSend(w http.ResponseWriter, r *http.Request) {
	var t TestSend
	if !readJSON(w, r, &t) {
		return
	}
	a, err := s.Send(r.Context(), t)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, view(a))
}

func (s *Server) getDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := s.parseFilter(q)
	if err != nil {
		fail(w, err)
		return
	}
	before, err := optionalInt(q.Get("before"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "before", "before is a whole number: an attempt's id.")
		return
	}
	limit, err := optionalInt(q.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "limit", "limit is a whole number.")
		return
	}
	page, err := s.log.List(f, before, int(limit))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func optionalInt(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

func (s *Server) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, "id", fmt.Sprintf("%q is not an attempt number.", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	a, found, err := s.log.Get(id)
	switch {
	case err != nil:
		fail(w, err)
	case !found:
		writeError(w, http.StatusNotFound, "id", fmt.Sprintf("There is no attempt %d in the log.", id))
	default:
		writeJSON(w, http.StatusOK, view(a))
	}
}

// noBody is the body of the controls that take none: {} or nothing, and
// any key is refused by name.
type noBody struct{}

func (s *Server) postResend(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r)
	if !ok || !readJSON(w, r, &noBody{}) {
		return
	}
	a, handed, err := s.Resend(r.Context(), id)
	switch {
	case err != nil:
		fail(w, err)
	case handed:
		writeJSON(w, http.StatusAccepted, Handed{Handed: true, Delivery: a.Delivery, Source: a.Source})
	default:
		writeJSON(w, http.StatusOK, view(a))
	}
}

// Handed is the answer (202) of a resend handed to what made the delivery
// (see ResendThrough): its attempt joins the log when it is sent.
type Handed struct {
	Handed   bool               `json:"handed"`
	Delivery int64              `json:"delivery"`
	Source   deliverylog.Source `json:"source"`
}

func (s *Server) postEOD(w http.ResponseWriter, r *http.Request) {
	if !readJSON(w, r, &noBody{}) {
		return
	}
	rep, err := s.EOD(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// Stats is GET /api/console/stats: the log's aggregates.
type Stats struct {
	Counts
	// Pending counts the deliveries due at the next EOD batch
	// (deliverylog.DueAtEOD).
	Pending int       `json:"pending"`
	NextEOD time.Time `json:"nextEod,omitzero"`
	LastEOD time.Time `json:"lastEod,omitzero"`
}

func (s *Server) getStats(w http.ResponseWriter, _ *http.Request) {
	ids, err := s.store.pending()
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Stats{Counts: s.log.Counts(), Pending: len(ids), NextEOD: s.Settings().nextEOD(s.clock.Now()), LastEOD: s.LastEOD()})
}

func (s *Server) getScenarios(w http.ResponseWriter, _ *http.Request) {
	type entry struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Steps       int    `json:"steps"`
	}
	var out []entry
	for _, sc := range scenarios.Builtins() {
		out = append(out, entry{sc.Name, sc.Description, len(sc.Steps)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getChecks(w http.ResponseWriter, _ *http.Request) {
	type entry struct {
		ID         string `json:"id"`
		Label      string `json:"label"`
		Title      string `json:"title"`
		NeedsProbe bool   `json:"needsProbe"`
	}
	var out []entry
	for _, c := range conformance.Checks() {
		out = append(out, entry{c.ID, c.Label, c.Title, c.NeedsProbe})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getRuns(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Runs())
}

func (s *Server) postRun(w http.ResponseWriter, r *http.Request) {
	var req RunRequest
	if !readJSON(w, r, &req) {
		return
	}
	run, err := s.StartRun(req)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, run)
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	run, ok := s.RunByID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "id", fmt.Sprintf("There is no run %s.", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) postCancel(w http.ResponseWriter, r *http.Request) {
	if !readJSON(w, r, &noBody{}) {
		return
	}
	if err := s.CancelRun(r.PathValue("id")); err != nil {
		fail(w, err)
		return
	}
	run, _ := s.RunByID(r.PathValue("id"))
	writeJSON(w, http.StatusOK, run)
}
