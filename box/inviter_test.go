package box_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"

	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// inviter is a small consumer of the kind the box exists for: it accepts
// events only for corporates it invited itself (through Generate SDK
// token), and it reconciles from employee_list. Its probe is a Go func.
type inviter struct {
	key    []byte
	api    string // the Tartan base URL
	apiKey string
	client *http.Client

	mu      sync.Mutex
	remotes map[string]bool  // remote_org_ids it invited
	orgs    map[string]*held // by orgId: the corporates it knows it invited
	ignored map[string]int   // deliveries about corporates it never invited, by orgId
}

type held struct {
	status string
	emps   map[string]map[string]any
}

func newInviter(key []byte, api, apiKey string) *inviter {
	return &inviter{key: key, api: api, apiKey: apiKey, client: &http.Client{},
		remotes: map[string]bool{}, orgs: map[string]*held{}, ignored: map[string]int{}}
}

func (c *inviter) call(method, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, c.api+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Token "+c.apiKey)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Invite calls Generate SDK token for a corporate of its own.
func (c *inviter) Invite(remote, email, name string) (string, error) {
	return c.InviteSized(remote, email, name, 0)
}

// InviteSized invites a corporate of employees people
// (corporate_reference_data.employees), or of the box's size when 0.
func (c *inviter) InviteSized(remote, email, name string, employees int) (string, error) {
	c.mu.Lock()
	c.remotes[remote] = true // before the call: the webhook may come first
	c.mu.Unlock()
	req := map[string]any{"email": email, "org_name": name, "fullname": "Asha Rao", "remote_org_id": remote}
	if employees > 0 {
		req["corporate_reference_data"] = map[string]any{"employees": employees}
	}
	body, _ := json.Marshal(req)
	status, out, err := c.call(http.MethodPost, "/api/sdk/token/", "application/json", body)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("token: %d %s", status, out)
	}
	var ans struct {
		OrgID string `json:"org_id"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		return "", err
	}
	c.mu.Lock()
	c.org(ans.OrgID)
	c.mu.Unlock()
	return ans.OrgID, nil
}

func (c *inviter) org(id string) *held {
	h, ok := c.orgs[id]
	if !ok {
		h = &held{emps: map[string]map[string]any{}}
		c.orgs[id] = h
	}
	return h
}

// Terminate calls Terminate connection with a multipart form, as Tartan's
// docs show it.
func (c *inviter) Terminate(orgID string) (int, []byte, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("client_org", orgID)
	_ = w.Close()
	return c.call(http.MethodPost, "/api/terminate_connection/", w.FormDataContentType(), buf.Bytes())
}

// Reconcile reads every page of employee_list (source db) and holds what
// it says.
func (c *inviter) Reconcile(orgID string) (int, error) {
	n := 0
	for page := 1; ; page++ {
		status, out, err := c.call(http.MethodGet, "/api/v2/employee_list?org="+url.QueryEscape(orgID)+"&page_size=100&page="+strconv.Itoa(page), "", nil)
		if err != nil {
			return n, err
		}
		if status != http.StatusOK {
			return n, fmt.Errorf("employee_list: %d %s", status, out)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var ans struct {
			PageInfo struct {
				Next bool `json:"next"`
			} `json:"pageInfo"`
			Data []map[string]any `json:"data"`
		}
		if err := dec.Decode(&ans); err != nil {
			return n, err
		}
		c.mu.Lock()
		h := c.org(orgID)
		for _, rec := range ans.Data {
			if id, ok := wire.EmployeeKey(rec["employeeId"]); ok {
				h.emps[id] = rec
				n++
			}
		}
		c.mu.Unlock()
		if !ans.PageInfo.Next {
			return n, nil
		}
	}
}

func (c *inviter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	sig, _ := sender.SignatureHeader(r.Header)
	if sender.Verify(c.key, body, sig) != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	ch, err := wire.ParseEffect(body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.orgs[ch.OrgID]
	if !ok && ch.Event == "connection.events.requested" {
		var env struct {
			Body []struct {
				Remote string `json:"remote_org_id"`
			} `json:"body"`
		}
		if json.Unmarshal(body, &env) == nil && len(env.Body) > 0 && c.remotes[env.Body[0].Remote] {
			h, ok = c.org(ch.OrgID), true
		}
	}
	if !ok {
		c.ignored[ch.OrgID]++
		w.WriteHeader(http.StatusOK) // acknowledged politely, and ignored
		return
	}
	switch ch.Kind {
	case wire.EffectEmployees:
		for _, rec := range ch.Records {
			h.emps[rec.ID] = rec.Fields
		}
	case wire.EffectConnection:
		h.status = ch.Status
	}
	w.WriteHeader(http.StatusOK)
}

// Probe is the inviter's state probe, as a Go func (contract v1.1, no
// applied counts).
func (c *inviter) Probe(_ context.Context, orgID string) (probe.State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := probe.State{OrgID: orgID, Employees: []map[string]any{}, Pending: probe.NoPending()}
	h, ok := c.orgs[orgID]
	if !ok {
		return st, nil
	}
	st.ConnectionStatus = h.status
	for _, id := range slices.Sorted(maps.Keys(h.emps)) {
		st.Employees = append(st.Employees, h.emps[id])
	}
	return st, nil
}
