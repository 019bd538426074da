package spec_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/tartansim/tartansim/conformance"
	"github.com/tartansim/tartansim/conformance/spec"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/sender"
)

// A suite_test.go that judges a consumer: here the reference consumer, in
// a test server, with its state read by a Go function. Declare stands at
// the top level of the file (var _ = spec.Declare(…)); it is called inside
// a function here only so that the example compiles without running.
func ExampleDeclare() {
	var target conformance.Target

	BeforeSuite(func() {
		key := []byte(os.Getenv("TARTAN_APP_KEY"))
		ref := consumer.New(key)
		srv := httptest.NewServer(ref.Handler())
		DeferCleanup(srv.Close)
		target = conformance.Target{
			URL:   srv.URL + consumer.WebhookPath,
			Key:   key,
			Probe: probe.HTTP(srv.URL+consumer.ProbePath, nil),
			// Seed 0: the run's GinkgoRandomSeed().
		}
	})

	spec.Declare(func() conformance.Target { return target })
}

// A forged delivery that the consumer acknowledged, as BeRejected reports
// it: the exact bytes, the answer, the seed and a curl line that sends
// them again.
func ExampleBeRejected() {
	body := `{"requestId":"r-1","orgId":"o-1","event":"sync.events.initiated","body":[{"name":"D'Souza"}]}`
	d := &scenarios.Delivery{
		Seq: 2, Event: "sync.events.initiated", WebhookCounter: 1, RequestID: "r-1", OrgID: "o-1",
		Forged: true, Fault: "signature:wrong-key",
		Body: []byte(body),
		Header: http.Header{
			sender.HeaderContentType: {sender.ContentType},
			sender.HeaderSignature:   {sender.Sign([]byte(sender.WrongKey), []byte(body))},
		},
		Attempts: []scenarios.Attempt{{
			Kind: "first", At: 10 * scenarios.Moment(time.Hour), Status: 200,
			Result: sender.Result{Status: 200, Latency: 2 * time.Millisecond, Snippet: []byte(`{"ok":true}`)},
		}},
	}
	rep := &scenarios.Report{Scenario: "sig-wrong-key", Seed: 42, Target: "http://127.0.0.1:8080/webhook", Deliveries: []*scenarios.Delivery{d}}

	m := spec.BeRejected()
	sent := spec.Deliveries(rep)[0]
	ok, _ := m.Match(sent)
	fmt.Println(ok)
	fmt.Println(m.FailureMessage(sent))
	// Output:
	// false
	// Expected a delivery to be rejected (a 4xx to every send), but send 1 (first) was answered 200 OK in 2ms:
	//     delivery 2 of sig-wrong-key: sync.events.initiated #1, requestId r-1, org o-1, forged (signature:wrong-key)
	//     seed:    42
	//     target:  http://127.0.0.1:8080/webhook
	//     headers:
	//       content-type: application/json
	//       tartan-signature: bd4e1a39fbc3bf13114a1ee52b78b0490c8e5ae5c6a2d24288ee1b8b69d85b56
	//     body (93 bytes):
	//       {"requestId":"r-1","orgId":"o-1","event":"sync.events.initiated","body":[{"name":"D'Souza"}]}
	//     answers:
	//       1. first at day 1 10:00:00: 200 OK in 2ms, answer body "{\"ok\":true}"
	//     reproduce it:
	//       printf '%s' '{"requestId":"r-1","orgId":"o-1","event":"sync.events.initiated","body":[{"name":"D'\''Souza"}]}' | curl -sS -X POST 'http://127.0.0.1:8080/webhook' -H 'content-type: application/json' -H 'tartan-signature: bd4e1a39fbc3bf13114a1ee52b78b0490c8e5ae5c6a2d24288ee1b8b69d85b56' --data-binary @-
}
