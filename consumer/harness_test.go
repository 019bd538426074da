package consumer_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

// The app key and the org every spec talks about.
const (
	appKey = "test-app-key-d0c1"
	orgID  = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
)

// harness is a Consumer behind an httptest server, with every Decision kept.
type harness struct {
	c   *consumer.Consumer
	srv *httptest.Server

	mu       sync.Mutex
	verdicts []consumer.Decision
}

func newHarness(opts ...consumer.Option) *harness {
	h := &harness{}
	opts = append([]consumer.Option{consumer.Observe(h.observe)}, opts...)
	h.c = consumer.New([]byte(appKey), opts...)
	h.srv = httptest.NewServer(h.c.Handler())
	DeferCleanup(h.srv.Close)
	return h
}

func (h *harness) observe(v consumer.Decision) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.verdicts = append(h.verdicts, v)
}

// observed returns a copy of the verdicts so far.
func (h *harness) observed() []consumer.Decision {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]consumer.Decision(nil), h.verdicts...)
}

// last returns the latest verdict.
func (h *harness) last() consumer.Decision {
	GinkgoHelper()
	vs := h.observed()
	Expect(vs).NotTo(BeEmpty())
	return vs[len(vs)-1]
}

// post sends d to the webhook with its headers spelled as in d.Header (the
// Go client writes header keys as they are in the map).
func (h *harness) post(d sender.Delivery) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+consumer.WebhookPath, strings.NewReader(string(d.Body)))
	if err != nil {
		return 0, "", err
	}
	req.Header = d.Header.Clone()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// send posts d and returns the status and response body.
func (h *harness) send(d sender.Delivery) (int, string) {
	GinkgoHelper()
	status, body, err := h.post(d)
	Expect(err).NotTo(HaveOccurred())
	return status, body
}

// deliver posts body with a valid signature, as Tartan sends it.
func (h *harness) deliver(body []byte) int {
	GinkgoHelper()
	status, _ := h.send(sender.Prepare([]byte(appKey), body, sender.SignatureValid, sender.HeaderLower))
	return status
}

// probe reads the state of org through the HTTP probe.
func (h *harness) probe(org string) probe.State {
	GinkgoHelper()
	resp, err := h.srv.Client().Get(h.srv.URL + consumer.ProbePath + "?orgId=" + org)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	Expect(resp.Header.Get("Content-Type")).To(Equal("application/json"))
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	s, err := probe.Parse(b)
	Expect(err).NotTo(HaveOccurred())
	return s
}

// rawPost writes a request by hand on a TCP connection, so the header name
// reaches the server spelled exactly as given.
func rawPost(addr, headerName, sig string, body []byte) (int, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return 0, err
	}
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\ncontent-type: application/json\r\n%s: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		consumer.WebhookPath, addr, headerName, sig, len(body), body)
	if err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// envelopeJSON is a compact Tartan envelope, hand-written; the fields are
// filled in by the builders below.
const envelopeJSON = `{"syncSessionId":%q,"webhookCounter":%d,"requestId":%q,"orgId":%q,"event":%q,"eventType":%q,"recordCount":%d,"body":[%s],"timeStamp":%q,"statusCode":"200","message":"success","vendor.orgId":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}`

// delivery builds an envelope about orgID with the given body records.
func delivery(event, eventType, requestID, session string, counter int, timeStamp string, records ...string) []byte {
	return fmt.Appendf(nil, envelopeJSON, session, counter, requestID, orgID, event, eventType,
		len(records), strings.Join(records, ","), timeStamp)
}

// add is an initial-sync employee.add in session "adfsbvdzfbsvzd".
func add(requestID, timeStamp string, records ...string) []byte {
	return delivery("sync.events.employee.add", "sync.events.initial", requestID, "adfsbvdzfbsvzd", 2, timeStamp, records...)
}

// update is a delta employee.update.
func update(requestID, session string, counter int, timeStamp string, records ...string) []byte {
	return delivery("sync.events.employee.update", "sync.events.delta", requestID, session, counter, timeStamp, records...)
}

// connection is a connection event whose body[0].status is status.
func connection(event, requestID, timeStamp, status string) []byte {
	rec := fmt.Sprintf(`{"orgId":%q,"orgName":"Intellect Design Pvt Ltd","orgCin":null,"hrms":null,"status":%q,"invitedBy":"ankur@tartanhq.com","acceptedBy":null,"terminatedBy":null,"remote_org_id":"afesgvbfojsdfdogfauwr"}`, orgID, status)
	return delivery(event, "connection.events", requestID, "bhkjqhg6662bkkjbwwfwj", 1, timeStamp, rec)
}

// person is a short employee record.
func person(employeeID, name, status string) string {
	return fmt.Sprintf(`{"id":"7","employeeId":%q,"name":%q,"status":%q,"terminationDate":"","pan":"************","designation":"NOT AVAILABLE"}`, employeeID, name, status)
}

// employee returns the record of employeeID in s, or nil.
func employee(s probe.State, employeeID string) map[string]any {
	for _, e := range s.Employees {
		if e["employeeId"] == employeeID {
			return e
		}
	}
	return nil
}

// outcomes lists the outcomes of vs.
func outcomes(vs []consumer.Decision) []consumer.Outcome {
	out := make([]consumer.Outcome, len(vs))
	for i, v := range vs {
		out[i] = v.Outcome
	}
	return out
}
