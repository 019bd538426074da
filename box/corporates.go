package box

import (
	"net/http"
	"strings"

	"github.com/tartansim/tartansim/judge"
)

// Corporate is one corporate as the console's Tartan API panel shows it:
// who it is, where its connection stands, and its verdict.
type Corporate struct {
	OrgID       string `json:"orgId"`
	Name        string `json:"name"`
	RemoteOrgID string `json:"remoteOrgId,omitempty"`
	// Status is the connection's (fixtures.StatusInvited, …), or
	// CONNECTION_REJECTED, ours, for a corporate that rejected the invite
	// (see Box.Reject; never in a webhook).
	Status string `json:"connectionStatus"`
	// Employees counts the employees of its simulated HRMS now.
	Employees int `json:"employees"`
	// Verdict is its latest verdict (Verdicts), with its sessions and its
	// deliveries acknowledged of made.
	Verdict judge.Verdict `json:"verdict"`
}

// Corporates returns every corporate invited, in the order invited.
func (b *Box) Corporates() []Corporate {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Corporate, 0, len(b.order))
	for _, id := range b.order {
		o := b.orgs[id]
		out = append(out, Corporate{OrgID: o.id, Name: o.corp.Name, RemoteOrgID: o.corp.RemoteOrgID, Status: o.status,
			Employees: len(o.source), Verdict: b.latest(o)})
	}
	return out
}

// Named returns the ids of the corporates whose name starts with name,
// ignoring case ("" matches none).
func (b *Box) Named(name string) []string {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	var ids []string
	for _, c := range b.Corporates() {
		if strings.HasPrefix(strings.ToLower(c.Name), strings.ToLower(name)) {
			ids = append(ids, c.OrgID)
		}
	}
	return ids
}

// Armed is what FailNext armed and is still to come: the fault (as
// sender.ParseFault reads it: drop, ack-lost), and how many first sends it
// will fail (0: none).
type Armed struct {
	Fault string `json:"fault,omitempty"`
	Next  int    `json:"next"`
}

// ArmedFailures returns what FailNext armed and is left.
func (b *Box) ArmedFailures() Armed {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failN == 0 {
		return Armed{}
	}
	return Armed{Fault: b.fail.String(), Next: b.failN}
}

// CorporatesPath is where CorporatesHandler is served beside the controls
// (serve mounts it): the console's Tartan API panel reads it.
const CorporatesPath = ControlPrefix + "corporates"

// CorporatesHandler serves GET CorporatesPath: {corporates: [Corporate],
// armed: Armed}.
func (b *Box) CorporatesHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, struct {
			Corporates []Corporate `json:"corporates"`
			Armed      Armed       `json:"armed"`
		}{b.Corporates(), b.ArmedFailures()})
	})
}
