package sender_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
)

var _ = Describe("sender.Classify", Label("results"), func() {
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: err}
	}
	DescribeTable("maps an exchange error to its class",
		func(err error, want sender.ErrorClass) {
			Expect(sender.Classify(err)).To(Equal(want))
			if err != nil { // wrapping never changes the class
				Expect(sender.Classify(fmt.Errorf("sender: post x: %w", err))).To(Equal(want))
			}
		},
		Entry("nil", nil, sender.ClassNone),
		Entry("the context deadline", context.DeadlineExceeded, sender.ClassTimeout),
		Entry("an i/o timeout", opErr("read", os.ErrDeadlineExceeded), sender.ClassTimeout),
		Entry("a DNS timeout", &net.DNSError{Err: "i/o timeout", Name: "x.example", IsTimeout: true}, sender.ClassTimeout),
		Entry("a DNS miss", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, sender.ClassDNS),
		Entry("refused", opErr("dial", os.NewSyscallError("connect", syscall.ECONNREFUSED)), sender.ClassRefused),
		Entry("reset", opErr("read", os.NewSyscallError("read", syscall.ECONNRESET)), sender.ClassReset),
		Entry("aborted", opErr("read", syscall.ECONNABORTED), sender.ClassReset),
		Entry("broken pipe", opErr("write", os.NewSyscallError("write", syscall.EPIPE)), sender.ClassReset),
		Entry("closed before an answer", io.EOF, sender.ClassReset),
		Entry("closed mid-answer", io.ErrUnexpectedEOF, sender.ClassReset),
		Entry("an unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, sender.ClassTLS),
		Entry("a wrong host name", x509.HostnameError{Host: "x.example", Certificate: &x509.Certificate{}}, sender.ClassTLS),
		Entry("an expired certificate", x509.CertificateInvalidError{Reason: x509.Expired}, sender.ClassTLS),
		Entry("not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, sender.ClassTLS),
		Entry("an alert from the peer", opErr("remote error", errors.New("tls: bad certificate")), sender.ClassTLS),
		Entry("a local handshake failure", errors.New("tls: handshake failure"), sender.ClassTLS),
		Entry("an HTTP answer to HTTPS", errors.New("http: server gave HTTP response to HTTPS client"), sender.ClassTLS),
		Entry("a cancelled context", context.Canceled, sender.ClassOther),
		Entry("anything else", errors.New("malformed HTTP response"), sender.ClassOther),
	)
})

var _ = Describe("sender.ErrorClass", Label("results"), func() {
	all := []sender.ErrorClass{
		sender.ClassNone, sender.ClassStatus, sender.ClassRedirect, sender.ClassTimeout, sender.ClassRefused,
		sender.ClassReset, sender.ClassTLS, sender.ClassDNS, sender.ClassDropped, sender.ClassAckLost, sender.ClassOther,
	}

	It("has short kebab-case names", func() {
		var names []string
		for _, c := range all {
			names = append(names, c.String())
		}
		Expect(names).To(Equal([]string{
			"none", "status", "redirect", "timeout", "refused", "reset", "tls", "dns", "dropped", "ack-lost", "other",
		}))
		Expect(sender.ErrorClass(99).String()).To(Equal("ErrorClass(99)"))
	})

	It("round-trips through JSON as its name", func() {
		for _, c := range all {
			text, err := json.Marshal(map[string]sender.ErrorClass{"class": c})
			Expect(err).NotTo(HaveOccurred())
			Expect(string(text)).To(Equal(`{"class":"` + c.String() + `"}`))
			var back map[string]sender.ErrorClass
			Expect(json.Unmarshal(text, &back)).To(Succeed())
			Expect(back["class"]).To(Equal(c))
		}
	})

	It("refuses to encode or decode an unknown class", func() {
		_, err := sender.ErrorClass(-1).MarshalText()
		Expect(err).To(HaveOccurred())
		var c sender.ErrorClass
		Expect(c.UnmarshalText([]byte("ack_lost"))).To(MatchError(ContainSubstring(`"ack_lost"`)))
	})
})

var _ = Describe("sender.Result", Label("results"), func() {
	boom := errors.New("boom")
	DescribeTable("is OK only for a 2xx answer read without error",
		func(r sender.Result, ok bool) {
			Expect(r.OK()).To(Equal(ok))
			Expect(r.Failed()).To(Equal(!ok))
		},
		Entry("200", sender.Result{Status: 200, Sent: true}, true),
		Entry("299", sender.Result{Status: 299, Sent: true}, true),
		Entry("the zero Result", sender.Result{}, false),
		Entry("199", sender.Result{Status: 199}, false),
		Entry("a redirect", sender.Result{Status: 301, Class: sender.ClassRedirect}, false),
		Entry("a 500", sender.Result{Status: 500, Class: sender.ClassStatus}, false),
		Entry("200 then a read error", sender.Result{Status: 200, Class: sender.ClassReset, Err: boom}, false),
		Entry("200 with an error and no class", sender.Result{Status: 200, Err: boom}, false),
		Entry("dropped", sender.Result{Class: sender.ClassDropped}, false),
		Entry("ack lost", sender.Result{Class: sender.ClassAckLost, Sent: true}, false),
	)

	DescribeTable("sums itself up in one line",
		func(r sender.Result, want string) {
			Expect(r.Summary()).To(Equal(want))
		},
		Entry(nil, sender.Result{Status: 200, Latency: 3210 * time.Microsecond}, "200 OK in 3.2ms"),
		Entry(nil, sender.Result{Status: 503, Class: sender.ClassStatus, Latency: 1200 * time.Microsecond},
			"503 Service Unavailable in 1.2ms"),
		Entry(nil, sender.Result{Status: 599, Class: sender.ClassStatus, Latency: 42 * time.Microsecond}, "599 in 42µs"),
		Entry(nil, sender.Result{Status: 308, Class: sender.ClassRedirect, Location: "https://new.example/hooks"},
			"308 Permanent Redirect to https://new.example/hooks (not followed)"),
		Entry(nil, sender.Result{Class: sender.ClassTimeout, Err: context.DeadlineExceeded, Latency: 10*time.Second + 3*time.Millisecond},
			"timed out after 10s"),
		Entry(nil, sender.Result{Class: sender.ClassRefused, Err: syscall.ECONNREFUSED}, "connection refused"),
		Entry(nil, sender.Result{Class: sender.ClassReset, Err: syscall.ECONNRESET}, "connection reset by the server"),
		Entry(nil, sender.Result{Status: 200, Class: sender.ClassReset, Err: io.ErrUnexpectedEOF},
			"200 OK, then connection closed by the server"),
		Entry(nil, sender.Result{Class: sender.ClassTLS, Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}},
			"TLS: certificate signed by unknown authority"),
		Entry(nil, sender.Result{Class: sender.ClassDNS, Err: &net.DNSError{Err: "no such host", Name: "hooks.invalid"}},
			"DNS: no such host hooks.invalid"),
		Entry(nil, sender.Result{Class: sender.ClassDropped}, "dropped (nothing sent)"),
		Entry(nil, sender.Result{Class: sender.ClassAckLost, Sent: true}, "ack lost (request sent, response not read)"),
		Entry(nil, sender.Result{Class: sender.ClassOther, Err: show.Refuse("sender", "post http://x/: %w", context.Canceled)},
			"post http://x/: context canceled"),
	)
})
