package conformance_test

// The harness of broken_test.go: how a consumer under test is served, played
// and judged, and the pieces the broken consumers are built from.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// appKey is the app key every consumer under test shares with the harness.
const appKey = "conformance-broken-consumers-key"

// subject is a consumer under test: the reference consumer, or one with a
// single realistic integrator bug.
type subject struct {
	name string // short, for the matrix
	bug  string // the bug, in one sentence
	// fails lists the checks it must FAIL; every other check must PASS (or
	// SKIP, without a probe, when it needs one).
	fails []string
	// timeout is Target.Timeout; 0 keeps conformance.DefaultTimeout.
	timeout time.Duration
	// settle is Target.Settle; 0 keeps judge.DefaultSettle.
	settle time.Duration
	// parallel is Options.Parallel; 0 keeps conformance.DefaultParallel.
	parallel int
	// keep is Options.Keep; nil plays every check.
	keep func(conformance.Check) bool
	// noProbe plays the checks without a state probe.
	noProbe bool
	// httpProbe serves the state probe over HTTP (contract v1, GET
	// /probe?orgId=…); otherwise it is handed to the checks as a Go
	// function, the same contract in Go, which is cheaper (about a fifth of a
	// run under the race detector).
	httpProbe bool
	// rawHeaders serves the consumer behind rawServer, which keeps header
	// names as the client spelled them, instead of net/http's server.
	rawHeaders bool
	// build makes a fresh consumer that verifies with key: its webhook, and
	// what it holds about an org, which the harness serves as its probe.
	build func(key []byte) (webhook http.Handler, state func(orgID string) probe.State)
}

// outcome is one conformance run against a subject.
type outcome struct {
	subject subject
	seed    uint64
	results []conformance.Result
	elapsed time.Duration
}

// play serves s on loopback (webhook at /webhook, and probe at /probe when
// httpProbe) and runs every check against it with seed.
func play(s subject, seed uint64) outcome {
	GinkgoHelper()
	key := []byte(appKey)
	webhook, state := s.build(key)
	mux := http.NewServeMux()
	mux.Handle(consumer.WebhookPath, webhook)
	if s.httpProbe {
		mux.Handle(consumer.ProbePath, probeHandler(state))
	}
	var url string
	if s.rawHeaders {
		srv := serveRaw(mux)
		DeferCleanup(srv.Close)
		url = srv.URL
	} else {
		srv := httptest.NewServer(mux)
		DeferCleanup(srv.Close)
		url = srv.URL
	}
	t := conformance.Target{URL: url + consumer.WebhookPath, Key: key, Timeout: s.timeout, Settle: s.settle, Seed: seed}
	switch {
	case s.noProbe:
	case s.httpProbe:
		t.Probe = probe.HTTP(url+consumer.ProbePath, nil)
	default:
		t.Probe = func(_ context.Context, orgID string) (probe.State, error) { return state(orgID), nil }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	res, err := conformance.Run(ctx, t, conformance.Options{Parallel: s.parallel, Keep: s.keep})
	Expect(err).NotTo(HaveOccurred(), "%s, seed %d", s.name, seed)
	if s.keep == nil {
		Expect(res).To(HaveLen(len(conformance.Checks())), "%s, seed %d", s.name, seed)
	}
	return outcome{subject: s, seed: seed, results: res, elapsed: time.Since(began)}
}

// expected is the verdict s must get on every check.
func expected(s subject) map[string]conformance.Verdict {
	want := map[string]conformance.Verdict{}
	for _, c := range conformance.Checks() {
		switch {
		case slices.Contains(s.fails, c.ID):
			want[c.ID] = conformance.Fail
		case s.noProbe && c.NeedsProbe:
			want[c.ID] = conformance.Skip
		default:
			want[c.ID] = conformance.Pass
		}
	}
	return want
}

// verdicts maps check IDs to the verdicts of o.
func (o outcome) verdicts() map[string]conformance.Verdict {
	got := map[string]conformance.Verdict{}
	for _, r := range o.results {
		got[r.ID] = r.Verdict
	}
	return got
}

// explain says, for a failed assertion, which verdicts were unexpected and
// why the checks gave them, with the seed that reproduces the run.
func (o outcome) explain() string {
	want := expected(o.subject)
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s), seed %d (rerun with --ginkgo.seed=%d):", o.subject.name, o.subject.bug, o.seed, o.seed)
	for _, r := range o.results {
		if r.Verdict == want[r.ID] {
			continue
		}
		fmt.Fprintf(&b, "\n  %s: %s, want %s: %s", r.ID, r.Verdict, want[r.ID], r.Reason)
		for _, d := range r.Details[:min(3, len(r.Details))] {
			fmt.Fprintf(&b, "\n    - %s", d)
		}
	}
	return b.String()
}

// matrix renders the verdicts of every outcome as a Markdown table, with
// each run's time.
func matrix(outs []outcome) string {
	var b strings.Builder
	b.WriteString("| consumer | must fail |")
	for _, c := range conformance.Checks() {
		fmt.Fprintf(&b, " %s |", c.ID)
	}
	b.WriteString(" run time |\n|---|---|")
	for range conformance.Checks() {
		b.WriteString("---|")
	}
	b.WriteString("---:|\n")
	var total time.Duration
	for _, o := range outs {
		must := strings.Join(o.subject.fails, ", ")
		if must == "" {
			must = "none"
		}
		fmt.Fprintf(&b, "| %s | %s |", o.subject.name, must)
		for _, r := range o.results {
			cell := string(r.Verdict)
			if !slices.Contains(o.subject.fails, r.ID) && r.Verdict == conformance.Fail {
				cell += " (!)"
			}
			if slices.Contains(o.subject.fails, r.ID) {
				cell = "**" + cell + "**"
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		fmt.Fprintf(&b, " %s |\n", o.elapsed.Round(time.Millisecond))
		total += o.elapsed
	}
	fmt.Fprintf(&b, "\n%d runs of %d checks in %s.\n\nWhy each FAIL failed (the check's first reason):\n\n", len(outs), len(conformance.Checks()), total.Round(time.Millisecond))
	for _, o := range outs {
		for _, r := range o.results {
			if r.Verdict == conformance.Fail {
				fmt.Fprintf(&b, "- %s / %s: %s\n", o.subject.name, r.ID, r.Reason)
			}
		}
	}
	return b.String()
}

// probeHandler serves state as the probe contract v1: GET ?orgId=….
func probeHandler(state func(string) probe.State) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org := r.URL.Query().Get("orgId")
		if r.Method != http.MethodGet || org == "" {
			reply(w, http.StatusBadRequest, "GET ?orgId=… only")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(state(org))
	})
}

// reply writes a JSON answer: {"status":"ok"} for 2xx, {"error":msg} else.
func reply(w http.ResponseWriter, status int, msg string) {
	body := map[string]string{"error": msg}
	if status < 300 {
		body = map[string]string{"status": "ok"}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// readBody reads r's body and puts it back, so that the request can still be
// handed on to the reference consumer.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, consumer.DefaultMaxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}

// signatureOf is the tartan-signature header as a careful Go consumer reads
// it (net/http has canonicalised the name).
func signatureOf(r *http.Request) string { return r.Header.Get(sender.HeaderSignature) }

// verified is the correct check: HMAC over the raw bytes, constant time.
func verified(key, body []byte, r *http.Request) bool {
	return sender.Verify(key, body, signatureOf(r)) == nil
}

// envelope is what the broken consumers read of a delivery.
type envelope struct {
	SyncSessionID  string            `json:"syncSessionId"`
	WebhookCounter int               `json:"webhookCounter"`
	RequestID      string            `json:"requestId"`
	OrgID          string            `json:"orgId"`
	Event          string            `json:"event"`
	Body           []json.RawMessage `json:"body"`
}

func peek(body []byte) (envelope, error) {
	var env envelope
	err := json.Unmarshal(body, &env)
	return env, err
}

// genuine reads r's body (and puts it back) and reports whether it is a
// delivery signed with key whose envelope parses.
func genuine(key []byte, r *http.Request) ([]byte, envelope, bool) {
	body, err := readBody(r)
	if err != nil || !verified(key, body, r) {
		return body, envelope{}, false
	}
	env, err := peek(body)
	return body, env, err == nil
}

// signedBody reads the body of a consumer written from scratch, and
// answers the request itself when it is no delivery to apply: 405 for
// another method, 400 for a body it cannot read, 401 for a signature that
// does not verify over the raw bytes.
func signedBody(key []byte, w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, "POST only")
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, consumer.DefaultMaxBody))
	if err != nil {
		reply(w, http.StatusBadRequest, "unreadable body")
		return nil, false
	}
	if sender.Verify(key, body, r.Header.Get(sender.HeaderSignature)) != nil {
		reply(w, http.StatusUnauthorized, "invalid signature")
		return nil, false
	}
	return body, true
}

// acksAndDrops is a consumer that answers 200 to the genuine deliveries
// drop selects and does nothing with them (the bug), and hands every other
// request to the reference.
func acksAndDrops(key []byte, drop func(st *store, body []byte, env envelope) bool) (http.Handler, func(string) probe.State) {
	st := newStore(key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, env, ok := genuine(key, r); ok && drop(st, body, env) {
			reply(w, http.StatusOK, "")
			return
		}
		st.pass(w, r)
	}), st.ref.State
}

// employeeEvent reports whether event carries employee records.
func employeeEvent(event string) bool { return strings.HasPrefix(event, "sync.events.employee.") }

// store is the reference consumer serving as the storage and business logic
// of a broken consumer: the bug lives in the code in front of it (or in how
// what it holds is reported), and everything else is the reference's, so
// that the bug is the only difference.
type store struct {
	key []byte
	ref *consumer.Consumer
}

func newStore(key []byte, opts ...consumer.Option) *store {
	return &store{key: key, ref: consumer.New(key, opts...)}
}

// apply hands body to the reference as a delivery whose signature the broken
// consumer has already judged (right or wrong): it is signed afresh, so the
// reference's own, correct, check cannot overrule that judgement. The
// answer is returned, not written.
func (s *store) apply(ctx context.Context, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, consumer.WebhookPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", sender.ContentType)
	req.Header.Set(sender.HeaderSignature, sender.Sign(s.key, body))
	rec := httptest.NewRecorder()
	s.ref.ServeHTTP(rec, req)
	return rec
}

// pass hands r on to the reference unchanged: it verifies and applies.
func (s *store) pass(w http.ResponseWriter, r *http.Request) { s.ref.ServeHTTP(w, r) }

// relay writes a recorded answer to w.
func relay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// rewrite decodes a delivery keeping its key order and numbers, lets f
// change it, and encodes it again (compact).
func rewrite(body []byte, f func(doc *wire.Object)) ([]byte, error) {
	doc, err := wire.Decode(body)
	if err != nil {
		return nil, err
	}
	o, ok := doc.(*wire.Object)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	f(o)
	return wire.Encode(o, wire.Compact), nil
}

// mapStrings replaces every string in a decoded document by f of it.
func mapStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case *wire.Object:
		for i := range t.Len() {
			k, e := t.At(i)
			t.Set(k, mapStrings(e, f))
		}
	case []any:
		for i := range t {
			t[i] = mapStrings(t[i], f)
		}
	}
	return v
}

// employeeKey returns a record's employeeId as a map key.
func employeeKey(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	}
	return ""
}

// rawServer is a loopback HTTP/1.1 server that hands its handler the header
// names exactly as the client spelled them. net/http's server canonicalises
// every incoming name ("tartan-signature" and "TARTAN-SIGNATURE" both become
// "Tartan-Signature"), so a Go handler behind it cannot even have the
// SIG-HEADER-CASE bug; an integrator's code can, wherever the platform keeps
// the spelling: an AWS API Gateway (REST) event's headers map, Node's
// req.rawHeaders, a Python dict built from them. rawServer plays such a
// platform. It speaks just enough HTTP/1.1 for the sender and the probe
// client: Content-Length bodies, keep-alive.
type rawServer struct {
	URL    string
	ln     net.Listener
	h      http.Handler
	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

func serveRaw(h http.Handler) *rawServer {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	s := &rawServer{URL: "http://" + ln.Addr().String(), ln: ln, h: h, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Close stops accepting, closes every connection and waits for them.
func (s *rawServer) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *rawServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	br := bufio.NewReader(c)
	for {
		req, err := readRawRequest(br)
		if err != nil {
			return // EOF, a closed connection, or something this server does not speak
		}
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		var out bytes.Buffer
		fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
		rec.Header().Set("Content-Length", strconv.Itoa(rec.Body.Len()))
		_ = rec.Header().Write(&out)
		out.WriteString("\r\n")
		out.Write(rec.Body.Bytes())
		if _, err := c.Write(out.Bytes()); err != nil {
			return
		}
	}
}

// readRawRequest reads one request, keeping header names as sent.
func readRawRequest(br *bufio.Reader) (*http.Request, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !strings.HasPrefix(proto, "HTTP/1.") {
		return nil, fmt.Errorf("rawServer: bad request line %q", line)
	}
	h := http.Header{}
	var length int64
	for {
		l, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("rawServer: bad header line %q", l)
		}
		value = strings.TrimSpace(value)
		h[name] = append(h[name], value) // the spelling as sent: no canonicalisation
		switch {
		case strings.EqualFold(name, "Content-Length"):
			if length, err = strconv.ParseInt(value, 10, 64); err != nil || length < 0 || length > consumer.DefaultMaxBody {
				return nil, fmt.Errorf("rawServer: bad Content-Length %q", value)
			}
		case strings.EqualFold(name, "Transfer-Encoding"):
			return nil, errors.New("rawServer: Transfer-Encoding is not supported")
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	req, err := http.NewRequest(method, "http://rawserver"+target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h
	req.RequestURI = target
	return req, nil
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// effects counts how many times a consumer ran each delivery's side
// effects, per org and requestId: the applied counts its probe reports.
// Safe for concurrent use.
type effects struct {
	mu sync.Mutex
	n  map[string]map[string]int
}

// ran counts one run of requestID's effects for orgID.
func (e *effects) ran(orgID, requestID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		e.n = map[string]map[string]int{}
	}
	if e.n[orgID] == nil {
		e.n[orgID] = map[string]int{}
	}
	e.n[orgID][requestID]++
}

// report puts the counts of s's org into s, as its applied counts.
func (e *effects) report(s probe.State) probe.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	s.Applied = map[string]int{}
	for id, n := range e.n[s.OrgID] {
		s.Applied[id] = n
	}
	return s
}

// keepRecords keeps in doc's body only the records keep says to keep.
func keepRecords(doc *wire.Object, keep func(rec *wire.Object) bool) {
	records, _ := doc.Get("body")
	list, _ := records.([]any)
	kept := []any{}
	for _, rec := range list {
		if o, ok := rec.(*wire.Object); ok && keep(o) {
			kept = append(kept, rec)
		}
	}
	doc.Set("body", kept)
}
