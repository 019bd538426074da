package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
)

// testPKI is a certificate authority made for one spec, with a server
// certificate for 127.0.0.1 and a client certificate, written as PEM files.
type testPKI struct {
	dir                string
	ca                 *x509.Certificate
	caKey              *ecdsa.PrivateKey
	server             tls.Certificate
	caFile             string // the CA certificate
	certFile, keyFile  string // the client certificate and its key (0600)
	bothFile           string // the client certificate and key in one file
	otherKeyFile       string // a key that belongs to no certificate
	garbageFile        string // not PEM at all
	serverCertOnlyFile string // a certificate without its key
}

var serial int64

func newKey() *ecdsa.PrivateKey {
	GinkgoHelper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	return k
}

// issue signs a certificate for tmpl's subject with the CA (or self-signs
// when the PKI has no CA yet).
func (p *testPKI) issue(tmpl *x509.Certificate, key *ecdsa.PrivateKey) *x509.Certificate {
	GinkgoHelper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)
	parent, signer := tmpl, key
	if p.ca != nil {
		parent, signer = p.ca, p.caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	Expect(err).NotTo(HaveOccurred())
	cert, err := x509.ParseCertificate(der)
	Expect(err).NotTo(HaveOccurred())
	return cert
}

func pemOf(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

func keyPEM(key *ecdsa.PrivateKey) []byte {
	GinkgoHelper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	Expect(err).NotTo(HaveOccurred())
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func writeFile(path string, data []byte, mode os.FileMode) string {
	GinkgoHelper()
	Expect(os.WriteFile(path, data, mode)).To(Succeed())
	Expect(os.Chmod(path, mode)).To(Succeed()) // whatever the umask
	return path
}

func newPKI() *testPKI {
	p := &testPKI{dir: GinkgoT().TempDir()}
	p.caKey = newKey()
	p.ca = p.issue(&x509.Certificate{
		Subject: pkix.Name{CommonName: "tartansim test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, p.caKey)

	serverKey := newKey()
	server := p.issue(&x509.Certificate{
		Subject: pkix.Name{CommonName: "staging consumer"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"staging.example"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, serverKey)
	p.server = tls.Certificate{Certificate: [][]byte{server.Raw}, PrivateKey: serverKey}

	clientKey := newKey()
	client := p.issue(&x509.Certificate{
		Subject:  pkix.Name{CommonName: "tartansim"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, clientKey)

	p.caFile = writeFile(filepath.Join(p.dir, "ca.pem"), pemOf(p.ca), 0o644)
	p.certFile = writeFile(filepath.Join(p.dir, "client.pem"), pemOf(client), 0o644)
	p.keyFile = writeFile(filepath.Join(p.dir, "client-key.pem"), keyPEM(clientKey), 0o600)
	p.bothFile = writeFile(filepath.Join(p.dir, "client-both.pem"), append(pemOf(client), keyPEM(clientKey)...), 0o600)
	p.otherKeyFile = writeFile(filepath.Join(p.dir, "other-key.pem"), keyPEM(newKey()), 0o600)
	p.garbageFile = writeFile(filepath.Join(p.dir, "garbage.pem"), []byte("not a certificate\n"), 0o600)
	p.serverCertOnlyFile = writeFile(filepath.Join(p.dir, "server.pem"), pemOf(server), 0o644)
	return p
}

// startTLSConsumer serves the reference consumer over TLS with the PKI's
// server certificate; with mTLS it requires a client certificate from the
// PKI's CA.
func (p *testPKI) startTLSConsumer(mTLS bool) *httptest.Server {
	srv := httptest.NewUnstartedServer(consumer.New([]byte(secretKey)).Handler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}}
	if mTLS {
		pool := x509.NewCertPool()
		pool.AddCert(p.ca)
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = pool
	}
	srv.StartTLS()
	DeferCleanup(srv.Close)
	return srv
}

// oneSentence checks that stderr is a single "tartansim: ….\n" line.
func oneSentence(r invocation) {
	GinkgoHelper()
	Expect(r.stderr).To(HavePrefix("tartansim: "))
	Expect(r.stderr).To(HaveSuffix(".\n"))
	Expect(strings.Count(r.stderr, "\n")).To(Equal(1), r.stderr)
}

var _ = Describe("TLS to staging endpoints", Label("tls"), func() {
	var pki *testPKI
	BeforeEach(func() {
		pki = newPKI()
	})
	send := func(url string, args ...string) invocation {
		return tartansim("", append([]string{"send", "sync.events.initiated", "--target", url + consumer.WebhookPath, "--key", secretKey, "--timeout", "5s"}, args...)...)
	}

	Describe("send to a server whose certificate a private CA signed", func() {
		It("exits 3 with one sentence about the certificate without --cacert", func() {
			srv := pki.startTLSConsumer(false)
			r := send(srv.URL)
			Expect(r.code).To(Equal(3), r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring("could not reach " + srv.URL + consumer.WebhookPath + ": TLS: certificate signed by unknown authority"))
		})

		It("exits 0 with --cacert", func() {
			srv := pki.startTLSConsumer(false)
			r := send(srv.URL, "--cacert", pki.caFile)
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stdout).To(ContainSubstring("answer: 200 OK"))
		})

		It("exits 0 with --insecure", func() {
			srv := pki.startTLSConsumer(false)
			r := send(srv.URL, "--insecure")
			Expect(r.code).To(Equal(0), r.output())
		})

		It("exits 3 when the certificate names another host, even with --cacert", func() {
			srv := pki.startTLSConsumer(false)
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
			r := send("https://localhost:"+port, "--cacert", pki.caFile)
			Expect(r.code).To(Equal(3), r.output())
			oneSentence(r)
			Expect(r.stderr).To(ContainSubstring("TLS: certificate is valid for staging.example, not localhost"))
		})
	})

	Describe("send to a server that requires a client certificate (mTLS)", func() {
		It("fails plainly without --cert", func() {
			srv := pki.startTLSConsumer(true)
			r := send(srv.URL, "--cacert", pki.caFile)
			Expect(r.code).To(Equal(3), r.output())
			oneSentence(r)
			Expect(r.stderr).To(HaveSuffix(": TLS: the server requires a client certificate, and none was given.\n"))
		})

		It("exits 0 with --cert and --client-key", func() {
			srv := pki.startTLSConsumer(true)
			r := send(srv.URL, "--cacert", pki.caFile, "--cert", pki.certFile, "--client-key", pki.keyFile)
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stderr).To(BeEmpty(), "no warning for a key file of mode 0600")
		})

		It("exits 0 with --cert naming a file that holds the key too", func() {
			srv := pki.startTLSConsumer(true)
			r := send(srv.URL, "--cacert", pki.caFile, "--cert", pki.bothFile)
			Expect(r.code).To(Equal(0), r.output())
		})

		It("warns when the client key can be read by other users, and not about a certificate", func() {
			srv := pki.startTLSConsumer(true)
			Expect(os.Chmod(pki.keyFile, 0o644)).To(Succeed())
			r := send(srv.URL, "--cacert", pki.caFile, "--cert", pki.certFile, "--client-key", pki.keyFile)
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stderr).To(Equal("warning: --client-key " + pki.keyFile + " can be read by other users (mode 0644); chmod 600 it\n"))

			Expect(os.Chmod(pki.bothFile, 0o640)).To(Succeed())
			r = send(srv.URL, "--cacert", pki.caFile, "--cert", pki.bothFile)
			Expect(r.code).To(Equal(0), r.output())
			Expect(r.stderr).To(Equal("warning: --cert " + pki.bothFile + " can be read by other users (mode 0640); chmod 600 it\n"))
		})
	})

	DescribeTable("refuses unusable TLS files with exit 2 and one sentence",
		func(want string, flags func(*testPKI) []string) {
			r := send("https://127.0.0.1:1", flags(pki)...)
			Expect(r.code).To(Equal(2), r.output())
			oneSentence(r)
			Expect(r.stdout).To(BeEmpty())
			Expect(r.stderr).To(ContainSubstring(want))
			Expect(r.stderr).NotTo(ContainSubstring("BEGIN"), "never quotes a file")
		},
		Entry("--cacert missing", "cannot read --cacert", func(p *testPKI) []string { return []string{"--cacert", filepath.Join(p.dir, "nope.pem")} }),
		Entry("--cacert not PEM", "holds no PEM certificate", func(p *testPKI) []string { return []string{"--cacert", p.garbageFile} }),
		Entry("--cert missing", "cannot read --cert", func(p *testPKI) []string {
			return []string{"--cert", filepath.Join(p.dir, "nope.pem"), "--client-key", p.keyFile}
		}),
		Entry("--client-key missing", "cannot read --client-key", func(p *testPKI) []string {
			return []string{"--cert", p.certFile, "--client-key", filepath.Join(p.dir, "nope.pem")}
		}),
		Entry("--cert unreadable", "permission denied", func(p *testPKI) []string {
			if os.Geteuid() == 0 {
				Skip("root reads any file")
			}
			Expect(os.Chmod(p.certFile, 0)).To(Succeed())
			return []string{"--cert", p.certFile, "--client-key", p.keyFile}
		}),
		Entry("a key that is not the certificate's", "do not go together (the private key does not match the certificate)", func(p *testPKI) []string {
			return []string{"--cert", p.certFile, "--client-key", p.otherKeyFile}
		}),
		Entry("--cert without a key", "holds no private key; pass --client-key FILE", func(p *testPKI) []string { return []string{"--cert", p.serverCertOnlyFile} }),
		Entry("--client-key without --cert", "needs --cert FILE", func(p *testPKI) []string { return []string{"--client-key", p.keyFile} }),
		Entry("--cert not PEM", "holds no PEM certificate", func(p *testPKI) []string { return []string{"--cert", p.garbageFile, "--client-key", p.keyFile} }),
		Entry("certificate and key swapped", "holds no PEM certificate", func(p *testPKI) []string {
			return []string{"--cert", p.keyFile, "--client-key", p.certFile}
		}),
	)

	It("lets run play a scenario over mTLS, and exits 3 without the client certificate", func() {
		srv := pki.startTLSConsumer(true)
		file := filepath.Join(GinkgoT().TempDir(), "tiny.yaml")
		Expect(os.WriteFile(file, []byte("name: tiny\norgs: [{id: corp, employees: 3}]\nsteps:\n  - invite: {org: corp}\n  - initial-sync: {org: corp}\n"), 0o644)).To(Succeed())
		args := []string{"run", file, "--day", "0", "--target", srv.URL + consumer.WebhookPath, "--key", secretKey, "--cacert", pki.caFile}

		r := tartansim("", append(args, "--cert", pki.certFile, "--client-key", pki.keyFile)...)
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(ContainSubstring("1 scenario(s): 1 passed"))

		r = tartansim("", args...)
		Expect(r.code).To(Equal(3), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("TLS: the server requires a client certificate, and none was given"))
	})

	It("lets conformance judge a consumer over mTLS, and exits 3 without the client certificate", func() {
		srv := pki.startTLSConsumer(true)
		args := []string{"conformance", "--label-filter", "SIG-VALID", "--target", srv.URL + consumer.WebhookPath, "--key", secretKey, "--cacert", pki.caFile}

		r := tartansim("", append(args, "--cert", pki.bothFile)...)
		Expect(r.code).To(Equal(0), r.output())
		Expect(r.stdout).To(MatchRegexp(`PASS\s+SIG-VALID`))

		r = tartansim("", args...)
		Expect(r.code).To(Equal(3), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("TLS: the server requires a client certificate, and none was given"))
	})
})
