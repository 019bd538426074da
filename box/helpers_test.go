package box_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/sender"

	. "github.com/onsi/ginkgo/v2"
)

// ctx is a context that ends with the spec.
func ctx() context.Context {
	c, cancel := context.WithCancel(context.Background())
	DeferCleanup(cancel)
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

// lossyHandler acknowledges the second employee batch of every session
// without passing it on: data lost behind a 2xx.
type lossyHandler struct {
	mu   sync.Mutex
	next http.Handler
}

func (h *lossyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var env struct {
		Event   string `json:"event"`
		Counter int    `json:"webhookCounter"`
	}
	_ = json.Unmarshal(body, &env)
	if env.Event == "sync.events.employee.add" && env.Counter == 3 {
		w.WriteHeader(http.StatusOK)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next.ServeHTTP(w, r)
}

// sigOf is the signature a delivery carries, as Tartan spells the header.
func sigOf(d box.Delivery) string {
	s, _ := sender.SignatureHeader(d.Header)
	return s
}

func stringsReplace(s, old, new string) string { return strings.ReplaceAll(s, old, new) }
