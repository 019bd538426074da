package probe_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tartansim/tartansim/probe"
)

var _ = Describe("an HTTP state probe that fails", Label("probe", "secrets"), func() {
	It("never puts the probe URL's password or query values in its error", func(ctx SpecContext) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := ln.Addr().String()
		Expect(ln.Close()).To(Succeed())

		_, err = probe.HTTP("http://ci:pa55word@"+addr+"/probe?token=t0ps3cret", nil)(ctx, "org-1")
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring("pa55word"))
		Expect(err.Error()).NotTo(ContainSubstring("t0ps3cret"))
		Expect(err.Error()).To(ContainSubstring("token=xxxxx"))
		Expect(err.Error()).To(ContainSubstring("connection refused"))
	})

	It("says which status it got, and nothing of the URL", func(ctx SpecContext) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
		DeferCleanup(srv.Close)
		_, err := probe.HTTP(srv.URL+"/probe?token=t0ps3cret", nil)(ctx, "org-1")
		Expect(err).To(MatchError("probe answered 502 Bad Gateway"))
		Expect(strings.Contains(err.Error(), "t0ps3cret")).To(BeFalse())
	})

	It("query-escapes the org ID, so that it arrives whole and adds no parameter", func(ctx SpecContext) {
		got := make(chan url.Values, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.URL.Query()
			w.WriteHeader(http.StatusNotFound)
		}))
		DeferCleanup(srv.Close)
		const orgID = "a&b=c d+e#f"
		st, err := probe.HTTP(srv.URL+"/probe?token=t", nil)(ctx, orgID)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.OrgID).To(Equal(orgID))
		Expect(<-got).To(Equal(url.Values{"token": {"t"}, "orgId": {orgID}}))
	})
})
