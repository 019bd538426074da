package consumer_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/probe"
)

var _ = Describe("the state probe", Label("probe"), func() {
	var h *harness
	BeforeEach(func() { h = newHarness() })

	get := func(url string) (int, string) {
		GinkgoHelper()
		resp, err := h.srv.Client().Get(url)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		return resp.StatusCode, string(b)
	}

	It("answers 400 without an orgId", func() {
		for _, query := range []string{"", "?orgId=", "?org=" + orgID} {
			status, body := get(h.srv.URL + consumer.ProbePath + query)
			Expect(status).To(Equal(http.StatusBadRequest), query)
			Expect(body).To(MatchJSON(`{"error":"missing orgId query parameter"}`))
		}
	})

	It("answers an unknown org with nothing in it", func() {
		status, body := get(h.srv.URL + consumer.ProbePath + "?orgId=nobody")
		Expect(status).To(Equal(http.StatusOK))
		Expect(body).To(MatchJSON(`{"orgId":"nobody","connectionStatus":"","employees":[],"applied":{},"pending":0}`))
	})

	It("answers 405 to a POST", func() {
		resp, err := h.srv.Client().Post(h.srv.URL+consumer.ProbePath+"?orgId="+orgID, "application/json", strings.NewReader("{}"))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusMethodNotAllowed))
	})

	It("lists employees once each, sorted by employeeId, and only for their org", func() {
		Expect(h.deliver(add("req-1", "2025-05-26 03:18:30",
			person("TRT-0010", "C", "Active"), person("TRT-0002", "B", "Active"), person("5", "A", "Active")))).To(Equal(http.StatusOK))
		Expect(h.deliver(update("req-2", "s2", 1, "2025-05-27 03:18:30", person("TRT-0002", "B2", "Active")))).To(Equal(http.StatusOK))

		s := h.probe(orgID)
		ids := []any{}
		for _, e := range s.Employees {
			ids = append(ids, e["employeeId"])
		}
		Expect(ids).To(Equal([]any{"5", "TRT-0002", "TRT-0010"}))
		Expect(h.probe("3fa85f64-5717-4562-b3fc-2c963f66afa6").Employees).To(BeEmpty())
	})

	It("hands out copies that cannot change what is stored", func() {
		Expect(h.deliver(add("req-1", "2025-05-26 03:18:30",
			`{"employeeId":"5","name":"A","bankDetails":{"bankName":"SBI"}}`))).To(Equal(http.StatusOK))
		s := h.c.State(orgID)
		s.Employees[0]["name"] = "changed"
		s.Employees[0]["bankDetails"].(map[string]any)["bankName"] = "changed"
		s.Applied["req-1"] = 7

		again := h.c.State(orgID)
		Expect(again.Employees[0]).To(HaveKeyWithValue("name", "A"))
		Expect(again.Employees[0]).To(HaveKeyWithValue("bankDetails", map[string]any{"bankName": "SBI"}))
		Expect(again.Applied).To(Equal(map[string]int{"req-1": 1}))
	})
})

var _ = Describe("the probe State the consumer serves", Label("probe"), func() {
	It("round-trips a State served by the consumer", func() {
		h := newHarness()
		Expect(h.deliver(add("req-1", "2025-05-26 03:18:30",
			`{"employeeId":"5","salary":1e6,"ratio":0.10,"tags":["a",null,true],"addr":{"pin":"560080"}}`))).To(Equal(http.StatusOK))
		s := h.c.State(orgID)
		b, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		back, err := probe.Parse(b)
		Expect(err).NotTo(HaveOccurred())
		Expect(back).To(Equal(s))
		Expect(back.Employees[0]).To(HaveKeyWithValue("salary", json.Number("1e6")))
	})
})

var _ = Describe("NewServer", func() {
	It("sets every timeout to its exported default", func() {
		h := http.NewServeMux()
		srv := consumer.NewServer("127.0.0.1:0", h)
		Expect(srv.Addr).To(Equal("127.0.0.1:0"))
		Expect(srv.Handler).To(BeIdenticalTo(h))
		Expect(srv.ReadHeaderTimeout).To(Equal(consumer.DefaultReadHeaderTimeout))
		Expect(srv.ReadTimeout).To(Equal(consumer.DefaultReadTimeout))
		Expect(srv.WriteTimeout).To(Equal(consumer.DefaultWriteTimeout))
		Expect(srv.IdleTimeout).To(Equal(consumer.DefaultIdleTimeout))
		for _, d := range []any{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout} {
			Expect(d).To(BeNumerically(">", 0))
		}
	})
})
