package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestConsole(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "console")
}

// harness is one console server on a loopback port, serving until the
// spec ends.
type harness struct {
	srv   *Server
	base  string // http://127.0.0.1:PORT
	store string
	stop  context.CancelFunc
	done  chan struct{}
}

// start runs a console with a fresh store (unless the options name one)
// and the given options.
func start(opts ...Option) *harness {
	GinkgoHelper()
	store := filepath.Join(GinkgoT().TempDir(), "console.db")
	all := append([]Option{Addr("127.0.0.1:0"), StorePath(store), Timeout(5 * time.Second)}, opts...)
	srv, err := New(all...)
	Expect(err).NotTo(HaveOccurred())
	h := startServer(srv)
	h.store = srv.store.Path()
	return h
}

func startServer(srv *Server) *harness {
	GinkgoHelper()
	ln, err := srv.Listen()
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{srv: srv, base: "http://" + srv.Addr(), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		_ = srv.Serve(ctx, ln)
	}()
	DeferCleanup(h.close)
	return h
}

var closeOnce sync.Map

// close stops the server and closes its store; a second call does nothing.
func (h *harness) close() {
	if _, done := closeOnce.LoadOrStore(h, true); done {
		return
	}
	h.stop()
	<-h.done
	Expect(h.srv.Close()).To(Succeed())
}

// call makes a request as the page does (same origin) and decodes the
// JSON answer into out (when not nil). It returns the status.
func (h *harness) call(method, path string, body any, out any) int {
	GinkgoHelper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		Expect(err).NotTo(HaveOccurred())
	}
	code, data := h.send(method, path, raw, body != nil)
	if out != nil {
		Expect(json.Unmarshal(data, out)).To(Succeed(), string(data))
	}
	return code
}

// send makes a request as the page does, body as it is (a JSON body when
// isJSON), and returns the status and the answer.
func (h *harness) send(method, path string, body []byte, isJSON bool) (int, []byte) {
	GinkgoHelper()
	req, err := http.NewRequest(method, h.base+path, bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, data
}

// errorOf is the sentence of an error answer.
func (h *harness) errorOf(method, path string, body any) (int, string) {
	GinkgoHelper()
	var e apiError
	code := h.call(method, path, body, &e)
	return code, e.Message
}

func ptr[T any](v T) *T { return &v }
