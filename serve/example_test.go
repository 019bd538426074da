package serve_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/serve"
)

// Tartan in a box on a loopback port the system picks, sending to the
// console's built-in reference consumer: the console's page and API, and
// Tartan's API beside them.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "serve-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	srv, err := serve.New(serve.Options{
		Console: []console.Option{console.Addr("127.0.0.1:0"), console.StorePath(filepath.Join(dir, "console.db"))},
		APIKey:  "the-api-key",
		Box:     []box.Option{box.AcceptAfter(box.Never)},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ln, err := srv.Listen()
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	get := func(path string) {
		resp, err := http.Get(srv.URL() + path)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("GET /%s: %d %s\n", path, resp.StatusCode, bytes.TrimSpace(body))
	}
	get("_tartansim/verdicts")             // the box's verdicts: no corporate yet
	get("api/v2/employee_list?org=acme-1") // Tartan's API wants the API key
	// Output:
	// GET /_tartansim/verdicts: 200 []
	// GET /api/v2/employee_list?org=acme-1: 401 {"detail":"Invalid token."}
}
