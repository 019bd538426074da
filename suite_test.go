package tartansim_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// The root suite plays tartansim against its own reference consumer, end to
// end over loopback HTTP: what the foundation promises, seen from outside.
func TestTartansim(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tartansim")
}

var _ = Describe("tartansim against the reference consumer", Label("foundation"), func() {
	var (
		key    = []byte("suite-app-key")
		ref    *consumer.Consumer
		server *httptest.Server
		post   *sender.Sender
		g      *fixtures.Generator
		v      fixtures.Vendor
		ctx    context.Context
	)

	BeforeEach(func() {
		ref = consumer.New(key)
		server = httptest.NewServer(ref.Handler())
		DeferCleanup(server.Close)
		var err error
		post, err = sender.New(server.URL+consumer.WebhookPath, sender.Timeout(5*time.Second))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(post.Close)
		g = fixtures.New(fixtures.NewFaker(uint64(GinkgoRandomSeed())))
		v = g.Vendor()
		ctx = context.Background()
	})

	send := func(body []byte, sig sender.Signature, hc sender.HeaderCase) sender.Result {
		return post.Send(ctx, sender.Prepare(key, body, sig, hc))
	}

	for _, kind := range fixtures.Catalogue() {
		for _, layout := range wire.Layouts() {
			It("acknowledges "+kind.ID()+" in the "+layout.String()+" layout, and records it once", func() {
				ev := g.Sample(kind, v)
				res := send(ev.Encode(layout), sender.SignatureValid, sender.HeaderLower)
				Expect(res.OK()).To(BeTrue(), "%s (seed %d)", res.Summary(), GinkgoRandomSeed())
				Expect(ref.State(ev.OrgID).Applied).To(HaveKeyWithValue(ev.RequestID, 1))
			})
		}
	}

	It("stores every record of an initial sync exactly as sent", func() {
		c := g.Corporate()
		s := g.Session(c, v)
		emps := g.Employees(c, 23)
		add, _ := fixtures.LookupKind("sync.events.employee.add/initial")
		Expect(send(s.Initiated(len(emps), 0, g.Now()).Encode(wire.Python), sender.SignatureValid, sender.HeaderLower).OK()).To(BeTrue())
		for _, ev := range s.Employees(add, emps, fixtures.FieldSet{}, g.Now()) {
			Expect(send(ev.Encode(wire.Indented), sender.SignatureValid, sender.HeaderLower).OK()).To(BeTrue())
		}
		st := ref.State(c.OrgID)
		Expect(st.Employees).To(HaveLen(23))
		byCode := map[string]map[string]any{}
		for _, e := range st.Employees {
			byCode[e["employeeId"].(string)] = e
		}
		for _, e := range emps {
			Expect(byCode).To(HaveKey(e.EmployeeID))
			Expect(byCode[e.EmployeeID]["name"]).To(Equal(e.Name))
			Expect(byCode[e.EmployeeID]["designation"]).To(Equal(e.Designation))
		}
	})

	DescribeTable("rejects a forged delivery with 4xx and no effect",
		func(sig sender.Signature) {
			ev := g.Sample(fixtures.Catalogue()[0], v)
			res := send(ev.Encode(wire.Compact), sig, sender.HeaderLower)
			Expect(res.Status).To(BeNumerically(">=", 400))
			Expect(res.Status).To(BeNumerically("<", 500))
			Expect(ref.State(ev.OrgID).Applied).To(BeEmpty())
			Expect(ref.State(ev.OrgID).ConnectionStatus).To(BeEmpty())
		},
		Entry("missing signature", sender.SignatureMissing),
		Entry("empty signature", sender.SignatureEmpty),
		Entry("signed with another key", sender.SignatureWrongKey),
		Entry("last hex digit changed", sender.SignatureNearMiss),
		Entry("truncated signature", sender.SignatureTruncated),
	)

	DescribeTable("accepts the signature header in any casing",
		func(hc sender.HeaderCase) {
			ev := g.Sample(fixtures.Catalogue()[0], v)
			Expect(send(ev.Encode(wire.Compact), sender.SignatureValid, hc).OK()).To(BeTrue())
		},
		Entry("tartan-signature", sender.HeaderLower),
		Entry("Tartan-Signature", sender.HeaderCanonical),
		Entry("TARTAN-SIGNATURE", sender.HeaderUpper),
	)

	It("rejects a body changed after signing", func() {
		ev := g.Sample(fixtures.Catalogue()[0], v)
		d := sender.Prepare(key, ev.Encode(wire.Compact), sender.SignatureValid, sender.HeaderLower)
		doc := ev.Document()
		Expect(wire.MustParsePath("body[0].orgName").Set(doc, "Tampered Pvt Ltd")).To(Equal(1))
		d.Body = wire.Encode(doc, wire.Compact)
		res := post.Send(ctx, d)
		Expect(res.Status).To(Equal(401))
		Expect(ref.State(ev.OrgID).Applied).To(BeEmpty())
	})
})
