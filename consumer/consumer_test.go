package consumer_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/clock"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/sender"
)

var _ = Describe("the reference consumer", func() {
	var h *harness
	BeforeEach(func() { h = newHarness() })

	It("applies a valid delivery and reports it", func() {
		Expect(h.deliver(add("req-1", "2025-05-26 03:18:30", person("TRT-0042", "Manas Mallik", "Active")))).To(Equal(http.StatusOK))

		s := h.c.State(orgID)
		Expect(s.OrgID).To(Equal(orgID))
		Expect(s.Applied).To(Equal(map[string]int{"req-1": 1}))
		Expect(s.Employees).To(HaveLen(1))
		Expect(employee(s, "TRT-0042")).To(HaveKeyWithValue("name", "Manas Mallik"))
		Expect(h.probe(orgID)).To(Equal(s))

		v := h.last()
		Expect(v.RequestID).To(Equal("req-1"))
		Expect(v.Outcome).To(Equal(consumer.OutcomeApplied))
		Expect(v.Status).To(Equal(http.StatusOK))
		Expect(v.Event).To(Equal("sync.events.employee.add"))
		Expect(v.EventType).To(Equal("sync.events.initial"))
		Expect(v.OrgID).To(Equal(orgID))
		Expect(v.Records).To(Equal(1))
	})

	It("answers a short JSON body", func() {
		d := sender.Prepare([]byte(appKey), add("req-1", "2025-05-26 03:18:30", person("5", "A", "Active")), sender.SignatureValid, sender.HeaderLower)
		status, body := h.send(d)
		Expect(status).To(Equal(http.StatusOK))
		Expect(body).To(MatchJSON(`{"status":"ok"}`))
	})

	Describe("signatures", Label("signature"), func() {
		body := add("req-forged", "2025-05-26 03:18:30", person("TRT-0042", "Forged", "Active"))

		DescribeTable("a delivery without a valid signature is refused and has no effect",
			func(variant sender.Signature) {
				d := sender.Prepare([]byte(appKey), body, variant, sender.HeaderLower)
				sig, _ := sender.SignatureHeader(d.Header)
				status, resp := h.send(d)

				Expect(status).To(Equal(http.StatusUnauthorized))
				Expect(resp).To(MatchJSON(`{"error":"invalid signature"}`))
				Expect(h.c.State(orgID).Employees).To(BeEmpty())
				Expect(h.probe(orgID).Applied).To(BeEmpty())
				v := h.last()
				Expect(v.Outcome).To(Equal(consumer.OutcomeRejected))
				Expect(v.RequestID).To(BeEmpty(), "an unverified body is never read")
				Expect(v.Reason).NotTo(BeEmpty())
				Expect(v.Reason).NotTo(ContainSubstring(appKey))
				if sig != "" {
					Expect(v.Reason + resp).NotTo(ContainSubstring(sig))
				}
			},
			Entry("missing", sender.SignatureMissing),
			Entry("empty", sender.SignatureEmpty),
			Entry("signed with another key", sender.SignatureWrongKey),
			Entry("last hex digit changed", sender.SignatureNearMiss),
			Entry("truncated", sender.SignatureTruncated),
		)

		It("refuses a tampered body under the original signature", func() {
			sig := sender.Sign([]byte(appKey), body)
			tampered := bytes.Replace(body, []byte("Forged"), []byte("Forgeд"), 1)
			d := sender.Prepare([]byte(appKey), tampered, sender.SignatureValid, sender.HeaderLower)
			d.Header[sender.HeaderSignature] = []string{sig}

			status, _ := h.send(d)
			Expect(status).To(Equal(http.StatusUnauthorized))
			Expect(h.c.State(orgID).Employees).To(BeEmpty())
		})

		It("refuses a non-hex signature of the right length", func() {
			d := sender.Prepare([]byte(appKey), body, sender.SignatureValid, sender.HeaderLower)
			d.Header[sender.HeaderSignature] = []string{strings.Repeat("zz", 32)}
			status, _ := h.send(d)
			Expect(status).To(Equal(http.StatusUnauthorized))
			Expect(h.last().Reason).To(Equal("the signature is not 64 hex digits"))
		})

		DescribeTable("the header name is case-insensitive on the wire",
			func(name string) {
				status, err := rawPost(h.srv.Listener.Addr().String(), name, sender.Sign([]byte(appKey), body), body)
				Expect(err).NotTo(HaveOccurred())
				Expect(status).To(Equal(http.StatusOK))
				Expect(h.c.State(orgID).Applied).To(Equal(map[string]int{"req-forged": 1}))
			},
			Entry("as Tartan sends it", "tartan-signature"),
			Entry("canonical", "Tartan-Signature"),
			Entry("upper case", "TARTAN-SIGNATURE"),
			Entry("mixed", "tArTaN-sIgNaTuRe"),
		)

		It("finds a non-canonical header key when called in-process", func() {
			req := httptest.NewRequest(http.MethodPost, consumer.WebhookPath, bytes.NewReader(body))
			req.Header = http.Header{"tartan-signature": {sender.Sign([]byte(appKey), body)}}
			rec := httptest.NewRecorder()
			h.c.ServeHTTP(rec, req)
			Expect(rec.Code).To(Equal(http.StatusOK))
		})

		It("verifies the raw bytes, so layouts a re-serialiser would break still pass", func() {
			python := []byte(`{"syncSessionId": "adfsbvdzfbsvzd", "webhookCounter": 2, "requestId": "req-py", "orgId": "` + orgID + `", "event": "sync.events.employee.add", "eventType": "sync.events.initial", "recordCount": 1, "body": [{"id": "7", "employeeId": "TRT-0042", "name": "Zo\u00eb D\u2019Souza", "pan": "************"}], "timeStamp": "2025-05-26 03:18:30", "statusCode": "200", "message": "success", "vendor.orgId": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}`)
			indented := []byte(`{
  "syncSessionId": "adfsbvdzfbsvzd",
  "webhookCounter": 3,
  "requestId": "req-indented",
  "orgId": "` + orgID + `",
  "vendor.orgId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  "event": "sync.events.employee.add",
  "eventType": "sync.events.initial",
  "recordCount": 1,
  "body": [
    {
      "id": "8",
      "employeeId": "TRT-0043",
      "name": "Anaïs <Nair> & Co"
    }
  ],
  "timeStamp": "2025-05-26 03:18:30",
  "statusCode": "200",
  "message": "success"
}`)
			for _, body := range [][]byte{python, indented} {
				// A consumer that re-encodes before hashing would compute a different MAC.
				var doc any
				Expect(json.Unmarshal(body, &doc)).To(Succeed())
				reencoded, err := json.Marshal(doc)
				Expect(err).NotTo(HaveOccurred())
				Expect(sender.Verify([]byte(appKey), reencoded, sender.Sign([]byte(appKey), body))).To(MatchError(sender.ErrSignatureMismatch))

				Expect(h.deliver(body)).To(Equal(http.StatusOK))
			}
			s := h.probe(orgID)
			Expect(employee(s, "TRT-0042")).To(HaveKeyWithValue("name", "Zoë D’Souza"))
			Expect(employee(s, "TRT-0043")).To(HaveKeyWithValue("name", "Anaïs <Nair> & Co"))
			Expect(s.Applied).To(Equal(map[string]int{"req-py": 1, "req-indented": 1}))
		})

		It("never logs the key or a received signature", func() {
			var logs bytes.Buffer
			h = newHarness(consumer.Logger(slog.New(slog.NewTextHandler(&logs, nil))))
			good := sender.Prepare([]byte(appKey), body, sender.SignatureValid, sender.HeaderLower)
			bad := sender.Prepare([]byte(appKey), body, sender.SignatureNearMiss, sender.HeaderLower)
			h.send(bad)
			h.send(good)

			Expect(logs.String()).To(ContainSubstring("outcome=rejected"))
			Expect(logs.String()).To(ContainSubstring("outcome=applied"))
			Expect(logs.String()).NotTo(ContainSubstring(appKey))
			for _, d := range []sender.Delivery{good, bad} {
				sig, ok := sender.SignatureHeader(d.Header)
				Expect(ok).To(BeTrue())
				Expect(sig).To(HaveLen(sender.SignatureLen))
				Expect(logs.String()).NotTo(ContainSubstring(sig))
			}
		})
	})

	Describe("duplicates", Label("delivery"), func() {
		body := add("req-dup", "2025-05-26 03:18:30", person("TRT-0042", "Manas Mallik", "Active"))

		It("applies a delivery sent twice in sequence once", func() {
			Expect(h.deliver(body)).To(Equal(http.StatusOK))
			Expect(h.deliver(body)).To(Equal(http.StatusOK))

			Expect(h.probe(orgID).Applied).To(Equal(map[string]int{"req-dup": 1}))
			Expect(outcomes(h.observed())).To(Equal([]consumer.Outcome{consumer.OutcomeApplied, consumer.OutcomeDuplicate}))
		})

		It("applies 20 identical concurrent deliveries once", func() {
			const n = 20
			d := sender.Prepare([]byte(appKey), body, sender.SignatureValid, sender.HeaderLower)
			statuses := make([]int, n)
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					statuses[i], _, errs[i] = h.post(d)
				})
			}
			close(start)
			wg.Wait()

			for i := range n {
				Expect(errs[i]).NotTo(HaveOccurred())
				Expect(statuses[i]).To(Equal(http.StatusOK))
			}
			Expect(h.probe(orgID).Applied).To(Equal(map[string]int{"req-dup": 1}))
			Expect(outcomes(h.observed())).To(ConsistOf(append([]consumer.Outcome{consumer.OutcomeApplied},
				repeat(consumer.OutcomeDuplicate, n-1)...)))
		})
	})

	Describe("ordering", Label("delivery"), func() {
		const session = "fdsbdgfvvdsd"

		It("keeps a newer update when an older one is redelivered at EOD, and takes a newer one", func() {
			older := update("req-older", session, 2, "2025-05-26 03:18:30", person("TRT-0042", "Older", "Active"))
			newer := update("req-newer", "nextsessionabc", 2, "2025-05-27 03:18:30", person("TRT-0042", "Newer", "Active"))
			newest := update("req-newest", "thirdsessionxyz", 2, "2025-05-28 03:18:30", person("TRT-0042", "Newest", "Active"))

			// The older delivery failed (dropped); newer arrives; EOD re-sends the older bytes.
			Expect(h.deliver(newer)).To(Equal(http.StatusOK))
			Expect(h.deliver(older)).To(Equal(http.StatusOK))
			Expect(h.last().Stale).To(Equal(1))
			s := h.probe(orgID)
			Expect(employee(s, "TRT-0042")).To(HaveKeyWithValue("name", "Newer"))
			Expect(s.Applied).To(Equal(map[string]int{"req-older": 1, "req-newer": 1}))

			Expect(h.deliver(newest)).To(Equal(http.StatusOK))
			Expect(h.last().Stale).To(BeZero())
			Expect(employee(h.probe(orgID), "TRT-0042")).To(HaveKeyWithValue("name", "Newest"))
		})

		It("breaks a timeStamp tie by webhookCounter within a session", func() {
			ts := "2025-05-26 03:18:30"
			Expect(h.deliver(update("req-5", session, 5, ts, person("TRT-0042", "Counter 5", "Active")))).To(Equal(http.StatusOK))
			Expect(h.deliver(update("req-3", session, 3, ts, person("TRT-0042", "Counter 3", "Active")))).To(Equal(http.StatusOK))
			Expect(employee(h.c.State(orgID), "TRT-0042")).To(HaveKeyWithValue("name", "Counter 5"))

			Expect(h.deliver(update("req-7", session, 7, ts, person("TRT-0042", "Counter 7", "Active")))).To(Equal(http.StatusOK))
			Expect(employee(h.c.State(orgID), "TRT-0042")).To(HaveKeyWithValue("name", "Counter 7"))
		})

		It("lets the later arrival win a tie across sessions", func() {
			ts := "2025-05-26 03:18:30"
			Expect(h.deliver(update("req-a", "sessiona1234", 9, ts, person("TRT-0042", "First", "Active")))).To(Equal(http.StatusOK))
			Expect(h.deliver(update("req-b", "sessionb1234", 2, ts, person("TRT-0042", "Second", "Active")))).To(Equal(http.StatusOK))
			Expect(employee(h.c.State(orgID), "TRT-0042")).To(HaveKeyWithValue("name", "Second"))
		})

		DescribeTable("an unknown timeStamp creates but never overwrites known data",
			func(unknown string) {
				Expect(h.deliver(add("req-new", unknown, person("TRT-0001", "Created", "Active")))).To(Equal(http.StatusOK))
				Expect(employee(h.c.State(orgID), "TRT-0001")).To(HaveKeyWithValue("name", "Created"))

				Expect(h.deliver(update("req-known", session, 2, "2025-05-26 03:18:30", person("TRT-0001", "Known", "Active")))).To(Equal(http.StatusOK))
				Expect(h.deliver(add("req-late", unknown, person("TRT-0001", "Unknown", "Active")))).To(Equal(http.StatusOK))
				Expect(h.last().Stale).To(Equal(1))
				Expect(employee(h.probe(orgID), "TRT-0001")).To(HaveKeyWithValue("name", "Known"))
			},
			Entry("empty", ""),
			Entry("ISO 8601 instead of Tartan's layout", "2025-05-26T03:18:30Z"),
			Entry("garbage", "yesterday"),
		)

		It("lets an unknown timeStamp replace another unknown one, the later arrival winning", func() {
			Expect(h.deliver(add("req-1", "", person("TRT-0001", "First", "Active")))).To(Equal(http.StatusOK))
			Expect(h.deliver(update("req-2", "othersession1", 1, "", person("TRT-0001", "Second", "Active")))).To(Equal(http.StatusOK))
			Expect(employee(h.c.State(orgID), "TRT-0001")).To(HaveKeyWithValue("name", "Second"))
		})

		It("keeps a leaver as Not Active", func() {
			Expect(h.deliver(add("req-add", "2025-05-25 03:18:30", person("TRT-0042", "Manas Mallik", "Active")))).To(Equal(http.StatusOK))
			leaver := `{"id":"7","employeeId":"TRT-0042","name":"Manas Mallik","status":"Not Active","terminationDate":"2025-05-20"}`
			Expect(h.deliver(update("req-leave", session, 2, "2025-05-26 03:18:30", leaver))).To(Equal(http.StatusOK))

			s := h.probe(orgID)
			Expect(s.Employees).To(HaveLen(1))
			Expect(employee(s, "TRT-0042")).To(And(
				HaveKeyWithValue("status", "Not Active"),
				HaveKeyWithValue("terminationDate", "2025-05-20")))
		})
	})

	Describe("connections", Label("lifecycle"), func() {
		It("follows requested, accepted and terminated, and ignores an older redelivery", func() {
			requested := connection("connection.events.requested", "req-inv", "2025-05-15 03:11:10", "CONNECTION_INVITED")
			Expect(h.deliver(requested)).To(Equal(http.StatusOK))
			Expect(h.probe(orgID).ConnectionStatus).To(Equal("CONNECTION_INVITED"))

			accepted := connection("connection.events.accepted", "req-acc", "2025-05-16 03:11:10", "CONNECTION_ACCEPTED")
			Expect(h.deliver(accepted)).To(Equal(http.StatusOK))
			Expect(h.probe(orgID).ConnectionStatus).To(Equal("CONNECTION_ACCEPTED"))

			terminated := connection("connection.events.terminated", "req-term", "2025-11-25 07:34:38", "CONNECTION_TERMINATED")
			Expect(h.deliver(terminated)).To(Equal(http.StatusOK))
			Expect(h.probe(orgID).ConnectionStatus).To(Equal("CONNECTION_TERMINATED"))

			failedEarlier := connection("connection.events.failed", "req-fail", "2025-05-17 03:11:10", "CONNECTION_FAILED")
			Expect(h.deliver(failedEarlier)).To(Equal(http.StatusOK))
			Expect(h.last().Stale).To(Equal(1))
			s := h.probe(orgID)
			Expect(s.ConnectionStatus).To(Equal("CONNECTION_TERMINATED"))
			Expect(s.Employees).To(BeEmpty())
			Expect(s.Applied).To(HaveLen(4))
		})

		It("keeps the status when a connection event carries an empty one", func() {
			Expect(h.deliver(connection("connection.events.requested", "req-inv", "2025-05-15 03:11:10", "CONNECTION_INVITED"))).To(Equal(http.StatusOK))
			Expect(h.deliver(connection("connection.events.accepted", "req-blank", "2025-05-16 03:11:10", ""))).To(Equal(http.StatusOK))
			s := h.probe(orgID)
			Expect(s.ConnectionStatus).To(Equal("CONNECTION_INVITED"))
			Expect(s.Applied).To(HaveKeyWithValue("req-blank", 1), "acknowledged and recorded, with nothing to set")
		})
	})

	Describe("payloads", Label("payload"), func() {
		It("records sync.events.initiated without touching employees", func() {
			body := delivery("sync.events.initiated", "sync.events", "req-init", "dsfdbgklvboknbsx", 1, "2025-05-25 03:18:30", `{"newRecords":6,"updatedRecords":0}`)
			Expect(h.deliver(body)).To(Equal(http.StatusOK))
			s := h.probe(orgID)
			Expect(s.Employees).To(BeEmpty())
			Expect(s.Applied).To(Equal(map[string]int{"req-init": 1}))
			Expect(h.last().Outcome).To(Equal(consumer.OutcomeApplied))
		})

		DescribeTable("Tartan's documented quirks are accepted",
			func(body string) {
				Expect(h.deliver([]byte(body))).To(Equal(http.StatusOK))
				Expect(h.last().Outcome).To(Equal(consumer.OutcomeApplied))
				Expect(h.c.State(orgID).Applied).To(HaveLen(1))
			},
			Entry("recordCount null, orgCin empty, hrms a number",
				`{"syncSessionId":"afdsbijodkxdjsdvbioj","webhookCounter":1,"requestId":"3ddd414-12d4-2la6-9ff7-10dvwedb8123","orgId":"`+orgID+`","event":"connection.events.terminated","eventType":"connection.events","recordCount":null,"body":[{"orgId":"`+orgID+`","orgName":"Intellect Design Pvt Ltd","orgCin":"","hrms":1,"status":"CONNECTION_TERMINATED","invitedBy":null,"acceptedBy":null,"terminatedBy":"prashant@intellectdesign.com","remote_org_id":"kjbkfjbhdhkjwk"}],"timeStamp":"2024-11-25 07:34:38","statusCode":"200","message":"success","vendor.orgId":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}`),
			Entry("empty timeStamp, Success, NOT AVAILABLE and null enums",
				`{"syncSessionId":"adfsbvdzfbsvzd","webhookCounter":1,"requestId":"b7cc9282-3587-4403-8589-fd0e9f87cf97","orgId":"`+orgID+`","vendor.orgId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","event":"sync.events.employee.add","eventType":"sync.events.initial","recordCount":1,"body":[{"id":"7","employeeId":"5","gender":null,"maritalStatus":null,"employmentType":null,"designation":"NOT AVAILABLE"}],"timeStamp":"","statusCode":"200","message":"Success"}`),
			Entry("webhookCounter as a string, statusCode as a number",
				`{"syncSessionId":"fdsbdgfvvdsd","webhookCounter":"3","requestId":"x","orgId":"`+orgID+`","event":"sync.events.employee.update","eventType":"sync.events.delta","recordCount":1,"body":[{"employeeId":"5"}],"timeStamp":"2025-05-26 03:19:30","statusCode":200,"message":"success"}`),
			Entry("hrms and orgCin null",
				string(connection("connection.events.requested", "4cfe72cd-a6f1-464b-ab4e-5a752484435e", "2025-05-15 03:11:10", "CONNECTION_INVITED"))),
		)

		It("acknowledges and ignores an unknown event", func() {
			body := delivery("record.employee.remark", "record.events", "req-remark", "s1", 1, "2025-05-26 03:18:30", person("TRT-0042", "Remark", "Active"))
			Expect(h.deliver(body)).To(Equal(http.StatusOK))
			Expect(h.last().Outcome).To(Equal(consumer.OutcomeIgnored))
			s := h.probe(orgID)
			Expect(s.Employees).To(BeEmpty())
			Expect(s.Applied).To(Equal(map[string]int{"req-remark": 1}))
		})

		It("ignores unknown fields and stores records with them as received", func() {
			body := []byte(`{"futureKey":{"nested":[1,2]},"syncSessionId":"s1","webhookCounter":1,"requestId":"req-unk","orgId":"` + orgID + `","event":"sync.events.employee.add","eventType":"sync.events.delta","body":[{"employeeId":"TRT-7","newField":{"x":1.50}}],"timeStamp":"2025-05-26 03:18:30"}`)
			Expect(h.deliver(body)).To(Equal(http.StatusOK))
			Expect(employee(h.probe(orgID), "TRT-7")).To(HaveKeyWithValue("newField", map[string]any{"x": json.Number("1.50")}))
		})

		It("stores hard text exactly", func() {
			name := `Zoë "Z" D'Souza & <Sons> अनन्या`
			rec := `{"employeeId":"TRT-0042","name":"Zoë \"Z\" D'Souza \u0026 <Sons> \u0905\u0928\u0928\u094d\u092f\u093e","addressLine":"Flat 4/B, MG Road – 560001"}`
			Expect(h.deliver(add("req-text", "2025-05-26 03:18:30", rec))).To(Equal(http.StatusOK))

			resp, err := h.srv.Client().Get(h.srv.URL + consumer.ProbePath + "?orgId=" + orgID)
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			var raw bytes.Buffer
			_, err = raw.ReadFrom(resp.Body)
			Expect(err).NotTo(HaveOccurred())
			Expect(raw.String()).To(ContainSubstring(`& <Sons>`), "the probe does not HTML-escape")

			s, err := probe.Parse(raw.Bytes())
			Expect(err).NotTo(HaveOccurred())
			Expect(employee(s, "TRT-0042")).To(Equal(map[string]any{
				"employeeId": "TRT-0042", "name": name, "addressLine": "Flat 4/B, MG Road – 560001",
			}))
		})

		It("skips a record without an employeeId and applies the rest", func() {
			body := add("req-skip", "2025-05-26 03:18:30", `{"name":"no id"}`, `"<up to 10 employee records>"`, person("TRT-1", "Kept", "Active"))
			Expect(h.deliver(body)).To(Equal(http.StatusOK))
			Expect(h.last().Skipped).To(Equal(2))
			Expect(h.last().Records).To(Equal(3))
			Expect(h.c.State(orgID).Employees).To(HaveLen(1))
		})

		DescribeTable("a signed body that is not a usable envelope is 400 with no effect",
			func(body string, reason string) {
				Expect(h.deliver([]byte(body))).To(Equal(http.StatusBadRequest))
				Expect(h.last().Outcome).To(Equal(consumer.OutcomeInvalid))
				Expect(h.last().Reason).To(ContainSubstring(reason))
				Expect(h.c.State(orgID).Applied).To(BeEmpty())
				Expect(h.c.State(orgID).Employees).To(BeEmpty())
			},
			Entry("not JSON", `{"requestId":"r","orgId":"`+orgID+`",`, "not valid JSON"),
			Entry("an array", `[]`, "not a Tartan envelope"),
			Entry("body is not an array", `{"requestId":"r","orgId":"`+orgID+`","event":"sync.events.employee.add","body":{"employeeId":"5"}}`, "not a Tartan envelope"),
			Entry("no requestId", `{"orgId":"`+orgID+`","event":"sync.events.employee.add","body":[{"employeeId":"5"}]}`, "no requestId"),
			Entry("no orgId", `{"requestId":"r","event":"sync.events.employee.add","body":[{"employeeId":"5"}]}`, "no orgId"),
		)
	})

	Describe("HTTP", func() {
		It("refuses a body over MaxBody with 413 and no effect, and accepts one at the limit", func() {
			body := add("req-big", "2025-05-26 03:18:30", person("TRT-1", "Big", "Active"))
			tight := newHarness(consumer.MaxBody(int64(len(body) - 1)))
			Expect(tight.deliver(body)).To(Equal(http.StatusRequestEntityTooLarge))
			Expect(tight.last().Outcome).To(Equal(consumer.OutcomeTooLarge))
			Expect(tight.c.State(orgID).Applied).To(BeEmpty())

			exact := newHarness(consumer.MaxBody(int64(len(body))))
			Expect(exact.deliver(body)).To(Equal(http.StatusOK))
		})

		It("refuses a body over DefaultMaxBody by default", func() {
			pad := strings.Repeat("x", consumer.DefaultMaxBody)
			body := []byte(`{"requestId":"req-huge","orgId":"` + orgID + `","event":"x","pad":"` + pad + `"}`)
			Expect(h.deliver(body)).To(Equal(http.StatusRequestEntityTooLarge))
			Expect(h.c.State(orgID).Applied).To(BeEmpty())
		})

		It("answers 405 to anything but POST on the webhook", func() {
			resp, err := h.srv.Client().Get(h.srv.URL + consumer.WebhookPath)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusMethodNotAllowed))
			Expect(resp.Header.Get("Allow")).To(Equal(http.MethodPost))
			Expect(h.last().Outcome).To(Equal(consumer.OutcomeInvalid))
		})

		It("has no catch-all route", func() {
			resp, err := h.srv.Client().Post(h.srv.URL+"/", "application/json", strings.NewReader(`{}`))
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
			Expect(h.observed()).To(BeEmpty())
		})

		It("observes every request once and stamps it with the clock", func() {
			at := time.Date(2025, 5, 26, 23, 59, 0, 0, time.UTC)
			h = newHarness(consumer.Clock(clock.NewFake(at)))
			body := add("req-1", "2025-05-26 03:18:30", person("TRT-1", "A", "Active"))
			h.deliver(body)
			h.deliver(body)
			h.send(sender.Prepare([]byte(appKey), body, sender.SignatureMissing, sender.HeaderLower))
			vs := h.observed()
			Expect(outcomes(vs)).To(Equal([]consumer.Outcome{consumer.OutcomeApplied, consumer.OutcomeDuplicate, consumer.OutcomeRejected}))
			for _, v := range vs {
				Expect(v.At).To(Equal(at))
			}
		})
	})
})

// repeat returns n copies of o.
func repeat(o consumer.Outcome, n int) []consumer.Outcome {
	out := make([]consumer.Outcome, n)
	for i := range out {
		out[i] = o
	}
	return out
}
