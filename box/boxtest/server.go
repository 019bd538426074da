package boxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"github.com/onsi/ginkgo/v2"

	"github.com/tartansim/tartansim/box"
)

// Server is a box serving Tartan's API and the controls on a loopback
// port, as httptest.Server serves a handler.
type Server struct {
	// URL is the Tartan base URL ("http://127.0.0.1:port"): point the
	// consumer's Tartan client at it. The API is under URL+"/api/", the
	// controls under URL+box.ControlPrefix.
	URL string
	// Box drives the simulated corporates from Go: Accept, SyncWith,
	// FailNext, EOD, Verdict, ...
	Box *box.Box

	apiKey string
	srv    *httptest.Server
}

// servers counts the boxes NewServer made in this process, for their seeds.
var servers atomic.Uint64

// nextSeed is the seed of the next box without box.Seed: from the Ginkgo
// run's seed (-ginkgo.seed), the parallel process and how many boxes came
// before it, so that two boxes in one suite, or in two processes of
// ginkgo -p, never mint the same org ids and requestIds, and a rerun with
// the same seed makes the same ones.
func nextSeed() uint64 {
	s := uint64(ginkgo.GinkgoRandomSeed())*0x9e3779b97f4a7c15 + uint64(ginkgo.GinkgoParallelProcess())<<32 + servers.Add(1)
	return max(s, 1)
}

// NewServer starts a box that sends webhooks to target (the consumer's
// webhook URL; SetTarget changes it later) signed with appKey, and serves
// the API to callers that present apiKey. Close it when done. Each box gets
// a seed of its own (see Box.Seed; failure messages print it) unless opts
// fix one with box.Seed.
func NewServer(target string, appKey []byte, apiKey string, opts ...box.Option) (*Server, error) {
	b, err := box.New(target, appKey, apiKey, append([]box.Option{box.Seed(nextSeed())}, opts...)...)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", b.Handler())
	mux.Handle(box.ControlPrefix, b.Controls())
	srv := httptest.NewServer(mux)
	return &Server{URL: srv.URL, Box: b, apiKey: apiKey, srv: srv}, nil
}

// Close stops the box, then the server.
func (s *Server) Close() {
	s.Box.Close()
	s.srv.Close()
}

// Invite calls Generate SDK token as the consumer would and returns the
// org_id: for suites whose own code does not make that call.
func (s *Server) Invite(ctx context.Context, email, orgName, fullname, remoteOrgID string) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "org_name": orgName, "fullname": fullname, "remote_org_id": remoteOrgID})
	out, err := s.call(ctx, "/api/sdk/token/", "application/json", body)
	if err != nil {
		return "", err
	}
	var ans struct {
		OrgID string `json:"org_id"`
	}
	if err := json.Unmarshal(out, &ans); err != nil || ans.OrgID == "" {
		return "", fmt.Errorf("boxtest: the token answer has no org_id: %s", out)
	}
	return ans.OrgID, nil
}

// Terminate calls Terminate connection as the consumer would.
func (s *Server) Terminate(ctx context.Context, clientOrg string) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("client_org", clientOrg)
	_ = w.Close()
	_, err := s.call(ctx, "/api/terminate_connection/", w.FormDataContentType(), buf.Bytes())
	return err
}

// call POSTs body to path with the API key; a non-200 answer is an error.
func (s *Server) call(ctx context.Context, path, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Token "+s.apiKey)
	req.Header.Set("Content-Type", contentType)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, box.MaxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("boxtest: %s answered %s: %s", strings.TrimSuffix(path, "/"), resp.Status, out)
	}
	return out, nil
}

// Org is one corporate of the box: the actual value of Converge.
type Org struct {
	Box *box.Box
	ID  string
}

// Org names a corporate of the box by its org_id (or remote_org_id).
func (s *Server) Org(id string) Org { return Org{Box: s.Box, ID: id} }

// GomegaString is how failure messages show an Org: its id, not the box's
// insides.
func (o Org) GomegaString() string { return "org " + o.ID }
