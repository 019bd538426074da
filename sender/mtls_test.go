package sender_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/sender"
)

// clientCertificate makes a self-signed client certificate.
func clientCertificate() (tls.Certificate, *x509.Certificate) {
	GinkgoHelper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tartansim"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	Expect(err).NotTo(HaveOccurred())
	cert, err := x509.ParseCertificate(der)
	Expect(err).NotTo(HaveOccurred())
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, cert
}

// startMTLSConsumer serves 204 over TLS, asking clients for a certificate
// signed by (here: equal to) trusted, as auth says.
func startMTLSConsumer(auth tls.ClientAuthType, trusted *x509.Certificate, h ...http.HandlerFunc) *consumer {
	handler := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}
	if len(h) > 0 {
		handler = h[0]
	}
	c := &consumer{Server: httptest.NewUnstartedServer(http.HandlerFunc(handler))}
	c.Config.ErrorLog = log.New(io.Discard, "", 0)
	pool := x509.NewCertPool()
	pool.AddCert(trusted)
	c.TLS = &tls.Config{ClientAuth: auth, ClientCAs: pool}
	c.StartTLS()
	DeferCleanup(c.Close)
	return c
}

var _ = Describe("a Sender against a server that requires a client certificate", Label("tls"), func() {
	send := func(ctx SpecContext, s *sender.Sender, n int) []sender.Result {
		results := make([]sender.Result, n)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				results[i] = s.Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
			})
		}
		wg.Wait()
		return results
	}

	It("says the certificate is missing, every time, however the server breaks the connection", func(ctx SpecContext) {
		_, cert := clientCertificate()
		c := startMTLSConsumer(tls.RequireAndVerifyClientCert, cert)
		// Sent at once, many deliveries meet the server's close while still
		// writing: a reset rather than the server's alert.
		s := newSender(c.URL, sender.TLSConfig(trusting(c)), sender.MaxConns(16))
		for _, r := range send(ctx, s, 64) {
			Expect(r.Class).To(Equal(sender.ClassTLS), "%v", r.Err)
			Expect(errors.Is(r.Err, sender.ErrClientCertRequired)).To(BeTrue(), "%v", r.Err)
			Expect(r.Summary()).To(Equal("TLS: the server requires a client certificate, and none was given"))
			Expect(r.Status).To(BeZero())
		}
	}, bounded)

	It("delivers with the client certificate", func(ctx SpecContext) {
		client, cert := clientCertificate()
		c := startMTLSConsumer(tls.RequireAndVerifyClientCert, cert)
		cfg := trusting(c)
		cfg.Certificates = []tls.Certificate{client}
		s := newSender(c.URL, sender.TLSConfig(cfg), sender.MaxConns(4))
		for _, r := range send(ctx, s, 16) {
			Expect(r.OK()).To(BeTrue(), r.Summary())
		}
	}, bounded)

	It("delivers without one to a server that only asks for it", func(ctx SpecContext) {
		_, cert := clientCertificate()
		c := startMTLSConsumer(tls.VerifyClientCertIfGiven, cert)
		s := newSender(c.URL, sender.TLSConfig(trusting(c)))
		for _, r := range send(ctx, s, 4) {
			Expect(r.OK()).To(BeTrue(), r.Summary())
		}
	}, bounded)

	It("reports a reset from a server that asks for a certificate as a reset once the exchange is under way", func(ctx SpecContext) {
		_, cert := clientCertificate()
		c := startMTLSConsumer(tls.VerifyClientCertIfGiven, cert, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "{")
			_ = http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler) // the connection dies mid-body
		})
		r := newSender(c.URL, sender.TLSConfig(trusting(c))).Send(ctx, sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower))
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(r.Class).To(Equal(sender.ClassReset), "%v", r.Err)
		Expect(errors.Is(r.Err, sender.ErrClientCertRequired)).To(BeFalse())
	}, bounded)
})

var _ = Describe("a Lane against a server that asks for a client certificate", Label("tls", "lane"), func() {
	It("reports a later reset on the same connection as a reset, not as a missing certificate", func(ctx SpecContext) {
		_, cert := clientCertificate()
		var n atomic.Int32
		c := startMTLSConsumer(tls.VerifyClientCertIfGiven, cert, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if n.Add(1) == 2 {
				panic(http.ErrAbortHandler) // the second request: the connection dies before an answer
			}
		})
		l := viaLane.newPoster(c.URL, sender.TLSConfig(trusting(c)))
		d := sender.Prepare(testKey, testBody, sender.SignatureValid, sender.HeaderLower)
		Expect(l.Send(ctx, d).OK()).To(BeTrue())
		r := l.Send(ctx, d)
		Expect(r.Class).To(Equal(sender.ClassReset), "%v", r.Err)
		Expect(errors.Is(r.Err, sender.ErrClientCertRequired)).To(BeFalse(), "%v", r.Err)
	}, bounded)
})
