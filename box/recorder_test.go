package box_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	. "github.com/onsi/ginkgo/v2"
)

// recorder is a consumer that keeps the exact bytes and signature of every
// request and answers 200, unless hold is set: then it waits for release
// first (a consumer slow enough to keep a sync in progress).
type recorder struct {
	mu      sync.Mutex
	got     []received
	hold    chan struct{} // non-nil: block until closed
	arrived chan struct{} // signalled when a request arrives while held
	srv     *httptest.Server
}

type received struct {
	body []byte
	sig  string
}

func newRecorder() *recorder {
	r := &recorder{arrived: make(chan struct{}, 1000)}
	r.srv = httptest.NewServer(r)
	DeferCleanup(r.srv.Close)
	return r
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{body: body, sig: req.Header.Get("tartan-signature")})
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		r.arrived <- struct{}{}
		<-hold
	}
	w.WriteHeader(http.StatusOK)
}

func (r *recorder) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// awaitArrival waits until a request arrives while held, or the spec's
// context ends.
func (r *recorder) awaitArrival(ctx context.Context) {
	GinkgoHelper()
	select {
	case <-r.arrived:
	case <-ctx.Done():
		Fail("no request reached the consumer before the spec timed out")
	}
}

// holdAll makes every request wait until release is called.
func (r *recorder) holdAll() (release func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	r.hold = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.hold = nil
			r.mu.Unlock()
			close(ch)
		})
	}
}
