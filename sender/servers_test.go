package sender_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/sender"
)

// bounded keeps every network spec short even when the code under test hangs.
var bounded = SpecTimeout(10 * time.Second)

var (
	testKey  = []byte("app-key-123")
	testBody = []byte(`{"event":"sync.events.initiated","recordCount":null}`)
)

// consumer is a loopback httptest server that counts the connections it
// accepts. It is closed when the spec ends.
type consumer struct {
	*httptest.Server
	conns  atomic.Int64 // connections opened
	closed atomic.Int64 // connections the server closed (or handed over)
}

func startConsumer(h http.HandlerFunc, configure ...func(*http.Server)) *consumer {
	c := &consumer{Server: httptest.NewUnstartedServer(h)}
	c.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			c.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			c.closed.Add(1)
		}
	}
	c.Config.ErrorLog = log.New(io.Discard, "", 0)
	for _, f := range configure {
		f(c.Config)
	}
	c.Start()
	DeferCleanup(c.Close)
	return c
}

func startTLSConsumer(h http.HandlerFunc) *consumer {
	c := &consumer{Server: httptest.NewUnstartedServer(h)}
	c.Config.ErrorLog = log.New(io.Discard, "", 0)
	c.StartTLS()
	DeferCleanup(c.Close)
	return c
}

// trusting returns a TLS configuration that trusts c's certificate.
func trusting(c *consumer) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(c.Certificate())
	return &tls.Config{RootCAs: pool}
}

func newSender(target string, opts ...sender.Option) *sender.Sender {
	GinkgoHelper()
	s, err := sender.New(target, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return s
}

// rawConsumer accepts HTTP/1.1 requests on loopback and records each one as
// the bytes that arrived on the wire, so header spelling can be checked
// (Go's own server canonicalises header names). It answers 204 and closes.
type rawConsumer struct {
	ln       net.Listener
	requests chan string
	wg       sync.WaitGroup
}

func startRawConsumer() *rawConsumer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	c := &rawConsumer{ln: ln, requests: make(chan string, 16)}
	c.wg.Go(c.serve)
	DeferCleanup(func() {
		_ = c.ln.Close()
		c.wg.Wait()
	})
	return c
}

func (c *rawConsumer) URL() string { return "http://" + c.ln.Addr().String() + "/hooks/tartan" }

func (c *rawConsumer) serve() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.wg.Go(func() { c.handle(conn) })
	}
}

func (c *rawConsumer) handle(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	var raw strings.Builder
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		raw.WriteString(line)
		if line == "\r\n" {
			break
		}
		name, value, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if strings.EqualFold(name, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(value))
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return
	}
	raw.Write(body)
	c.requests <- raw.String()
	_, _ = io.WriteString(conn, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
}

// next returns the next request the raw consumer received.
func (c *rawConsumer) next() string {
	GinkgoHelper()
	var raw string
	Eventually(c.requests).WithTimeout(5 * time.Second).Should(Receive(&raw))
	return raw
}

// splitRequest splits a raw request into its header lines (request line
// first) and its body.
func splitRequest(raw string) (lines []string, body string) {
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	return strings.Split(head, "\r\n"), body
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr() string {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	return addr
}

// via is a way to post: through the Sender's pooled transport, or through
// a Lane of it (the load engine's path). The specs about a delivery's
// outcome run both ways, so that both answer to one contract.
type via struct {
	name string
	lane bool
}

var (
	viaSender = via{"Sender.Send", false}
	viaLane   = via{"Lane.Send", true}
	vias      = []via{viaSender, viaLane}
)

// poster is what both ways have in common.
type poster interface {
	Send(context.Context, sender.Delivery) sender.Result
}

// newPoster makes a Sender for target, and a Lane of it when v says so;
// both are closed when the spec ends (the Lane first).
func (v via) newPoster(target string, opts ...sender.Option) poster {
	GinkgoHelper()
	s := newSender(target, opts...)
	if !v.lane {
		return s
	}
	l := s.Lane()
	DeferCleanup(l.Close)
	return l
}
