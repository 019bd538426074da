package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("recover every failure since", Label("api"), func() {
	It("hands the time range to Tartan's resend, and refuses what it cannot read, naming it", func() {
		var got []time.Time
		h := start(RecoverThrough(func(_ context.Context, since, until time.Time) (int, error) {
			got = append(got, since, until)
			return 3, nil
		}))
		var r Recovered
		Expect(h.call(http.MethodPost, "/api/console/recover", RecoverRequest{Since: "2026-12-06T09:00:00Z", Until: "2026-12-06T10:00:00Z"}, &r)).To(Equal(http.StatusAccepted))
		Expect(r.Handed).To(Equal(3))
		Expect(got).To(Equal([]time.Time{time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}))

		for _, c := range []struct {
			body  any
			field string
		}{
			{RecoverRequest{}, "since"},
			{RecoverRequest{Since: "yesterday"}, "since"},
			{RecoverRequest{Since: "2026-12-06T09:00:00Z", Until: "soon"}, "until"},
			{RecoverRequest{Since: "2026-12-06T09:00:00Z", Until: "2026-12-06T08:00:00Z"}, "until"},
			{map[string]string{"from": "2026-12-06T09:00:00Z"}, "from"},
		} {
			var e apiError
			Expect(h.call(http.MethodPost, "/api/console/recover", c.body, &e)).To(Equal(http.StatusBadRequest), "%v", c.body)
			Expect(e.Field).To(Equal(c.field))
		}
		Expect(got).To(HaveLen(2), "nothing handed for a refused request")
	})

	It("says there is nothing to recover through when no mock Tartan API is beside the console", func() {
		h := start()
		code, msg := h.errorOf(http.MethodPost, "/api/console/recover", RecoverRequest{Since: "2026-12-06T09:00:00Z"})
		Expect(code).To(Equal(http.StatusNotFound))
		Expect(msg).To(HavePrefix("This console has no mock Tartan API beside it"))
	})
})

var _ = Describe("the org filter by name", Label("api"), func() {
	It("matches the orgs the namer names, as well as an id's prefix", func() {
		var named string
		h := start(OrgNames(func(name string) []string {
			if strings.EqualFold(name, "acme") {
				return []string{named}
			}
			return nil
		}))
		var a, b AttemptView
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, &a)).To(Equal(http.StatusOK))
		Expect(h.call(http.MethodPost, "/api/console/send", TestSend{Event: "sync.events.initiated"}, &b)).To(Equal(http.StatusOK))
		Expect(a.OrgID).NotTo(Equal(b.OrgID))
		named = b.OrgID
		var page Page
		Expect(h.call(http.MethodGet, "/api/console/deliveries?org=ACME", nil, &page)).To(Equal(http.StatusOK))
		Expect(page.Attempts).To(HaveLen(1))
		Expect(page.Attempts[0].ID).To(Equal(b.ID))
		Expect(h.call(http.MethodGet, "/api/console/deliveries?org="+a.OrgID[:8], nil, &page)).To(Equal(http.StatusOK))
		Expect(page.Attempts).To(HaveLen(1))
		Expect(page.Attempts[0].ID).To(Equal(a.ID))
		Expect(h.call(http.MethodGet, "/api/console/deliveries?org=zeta", nil, &page)).To(Equal(http.StatusOK))
		Expect(page.Attempts).To(BeEmpty())
	})
})
