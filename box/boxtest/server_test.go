package boxtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/box/boxtest"
)

var _ = Describe("a boxtest.Server", func() {
	var srv *boxtest.Server
	BeforeEach(func() {
		hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
		DeferCleanup(hooks.Close)
		var err error
		srv, err = boxtest.NewServer(hooks.URL, []byte("app"), "api", box.AcceptAfter(box.Never))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
	})

	It("serves the API and the controls on loopback", func() {
		Expect(srv.URL).To(HavePrefix("http://127.0.0.1:"))
		resp, err := http.Post(srv.URL+box.ControlPrefix+"eod", "application/json", nil)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		resp, err = http.Get(srv.URL + "/api/vendor/connections/")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(401))
	})

	It("says plainly why an invite or a termination failed", func() {
		_, err := srv.Invite(context.Background(), "nobody", "A", "B", "")
		Expect(err).To(MatchError(ContainSubstring("email is not an email address")))
		Expect(srv.Terminate(context.Background(), "no-such-org")).To(MatchError(ContainSubstring("Connection not found")))
	})

	It("gives each box a seed of its own, so that two boxes in one suite never mint the same org id or requestId", func() {
		hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
		DeferCleanup(hooks.Close)
		other, err := boxtest.NewServer(hooks.URL, []byte("app"), "api", box.AcceptAfter(box.Never))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(other.Close)
		Expect(other.Box.Seed()).NotTo(Equal(srv.Box.Seed()))
		inv := box.Invitation{Email: "hr@acme.in", OrgName: "Acme", FullName: "A"}
		one, _, err := srv.Box.Invite(inv)
		Expect(err).NotTo(HaveOccurred())
		two, _, err := other.Box.Invite(inv)
		Expect(err).NotTo(HaveOccurred())
		Expect(one).NotTo(Equal(two))
		Expect(srv.Box.Idle(context.Background())).To(Succeed())
		Expect(other.Box.Idle(context.Background())).To(Succeed())
		Expect(srv.Box.Deliveries()[0].RequestID).NotTo(Equal(other.Box.Deliveries()[0].RequestID))

		fixed, err := boxtest.NewServer(hooks.URL, []byte("app"), "api", box.Seed(7))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(fixed.Close)
		Expect(fixed.Box.Seed()).To(Equal(uint64(7))) // a seed asked for is kept
	})

	It("refuses keys that are missing or alike", func() {
		_, err := boxtest.NewServer("http://127.0.0.1:1", []byte("same"), "same")
		Expect(err).To(MatchError(box.ErrBadOption))
		_, err = boxtest.NewServer("http://127.0.0.1:1", nil, "api")
		Expect(err).To(MatchError(box.ErrBadOption))
		_, err = boxtest.NewServer("ftp://x", []byte("a"), "b")
		Expect(err).To(HaveOccurred())
	})

	It("makes Converge an error, not a pass, for an Org without a box or a box without a probe", func() {
		_, err := boxtest.Converge(0).Match(boxtest.Org{ID: "x"})
		Expect(err).To(MatchError(ContainSubstring("no Box")))
		id, _, err := srv.Box.Invite(box.Invitation{Email: "hr@acme.in", OrgName: "Acme", FullName: "A"})
		Expect(err).NotTo(HaveOccurred())
		_, err = boxtest.Converge(0).Match(srv.Org(id))
		Expect(err).To(MatchError(ContainSubstring("no state probe")))
	})
})
