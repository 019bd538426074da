package consumer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/sender"
)

// A consumer behind a test server receives one signed delivery, as Tartan
// sends it, and shows what it now holds about the org.
func ExampleConsumer() {
	key := []byte("app-key")
	c := consumer.New(key, consumer.Observe(func(v consumer.Decision) { fmt.Println(v) }))
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()

	body := []byte(`{"syncSessionId":"fdsbdgfvvdsd","webhookCounter":2,"requestId":"b7cc9282-3587-4403-8589-fd0e9f87cf97","orgId":"f47ac10b","event":"sync.events.employee.update","eventType":"sync.events.delta","recordCount":1,"body":[{"employeeId":"TRT-0042","name":"Zoë D'Souza","status":"Not Active","terminationDate":"2025-05-20"}],"timeStamp":"2025-05-26 03:19:30","statusCode":"200","message":"success","vendor.orgId":"3fa85f64"}`)
	req, err := http.NewRequest(http.MethodPost, srv.URL+consumer.WebhookPath, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set(sender.HeaderContentType, sender.ContentType)
	req.Header.Set(sender.HeaderSignature, sender.Sign(key, body))
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	state, err := json.Marshal(c.State("f47ac10b"))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(state))
	// Output:
	// 200 applied sync.events.employee.update (sync.events.delta) requestId=b7cc9282-3587-4403-8589-fd0e9f87cf97 orgId=f47ac10b records=1 stale=0
	// 200 OK
	// {"orgId":"f47ac10b","connectionStatus":"","employees":[{"employeeId":"TRT-0042","name":"Zoë D'Souza","status":"Not Active","terminationDate":"2025-05-20"}],"applied":{"b7cc9282-3587-4403-8589-fd0e9f87cf97":1},"pending":0}
}

// An update that failed in the morning comes again at the end of the day,
// after a newer one: it is acknowledged, but the newer data stays.
func Example_redelivery() {
	key := []byte("app-key")
	c := consumer.New(key, consumer.Observe(func(v consumer.Decision) { fmt.Println(v) }))
	deliver := func(requestID, timeStamp, name string) {
		body := fmt.Appendf(nil, `{"syncSessionId":"s%[1]s","webhookCounter":2,"requestId":%[1]q,"orgId":"o1","event":"sync.events.employee.update","eventType":"sync.events.delta","body":[{"employeeId":"5","name":%[3]q}],"timeStamp":%[2]q}`,
			requestID, timeStamp, name)
		req := httptest.NewRequest(http.MethodPost, consumer.WebhookPath, bytes.NewReader(body))
		req.Header.Set(sender.HeaderSignature, sender.Sign(key, body))
		c.ServeHTTP(httptest.NewRecorder(), req)
	}

	deliver("r2", "2025-05-26 15:00:00", "Afternoon")
	deliver("r1", "2025-05-26 09:00:00", "Morning") // the EOD redelivery
	fmt.Println(c.State("o1").Employees[0]["name"])
	// Output:
	// 200 applied sync.events.employee.update (sync.events.delta) requestId=r2 orgId=o1 records=1 stale=0
	// 200 applied sync.events.employee.update (sync.events.delta) requestId=r1 orgId=o1 records=1 stale=1
	// Afternoon
}
