package serve

import (
	"context"
	"net"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/console"
	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/show"
)

// Options configure a Server.
type Options struct {
	// Console configures the console: its address, store (required), app
	// key, token, seed, settings and the rest (see package console).
	Console []console.Option
	// APIKey is the key the consumer's calls to the mock Tartan API carry
	// (Authorization: Token …). It is required, and is never the app key:
	// Tartan issues two keys.
	APIKey string
	// Box configures each box the API runs: its seed, when a corporate
	// accepts an invite, the sender's options (see package box). The box's
	// target, key, probe, subscription and layout are the console's.
	Box []box.Option
}

// ErrNoAPIKey is New's error for Options without an APIKey.
var ErrNoAPIKey = error(&show.Refusal{Pkg: "serve", Why: "no API key for the mock Tartan API"})

// Server is Tartan in a box: the console and the mock Tartan API beside
// it. Create it with New, then Listen and Serve; Close it when Serve has
// returned.
type Server struct {
	console *console.Server
	api     *mockAPI
}

// New opens the console with o.Console and wires the mock Tartan API into
// it. Its errors are console.New's (a store in use or damaged, an address
// off loopback without a token, …) and ErrNoAPIKey.
func New(o Options) (*Server, error) {
	if o.APIKey == "" {
		return nil, ErrNoAPIKey
	}
	api := &mockAPI{apiKey: o.APIKey, opts: o.Box}
	opts := append(append([]console.Option(nil), o.Console...),
		console.OnSettings(api.follow), console.EODThrough(deliverylog.FromAPI, api.redeliver),
		console.ResendThrough(deliverylog.FromAPI, api.rehand), console.RecoverThrough(api.recoverSince), console.OrgNames(api.named))
	c, err := console.New(opts...)
	if err != nil {
		return nil, err
	}
	api.console = c
	api.follow(c.Settings())
	c.Mount("/api/", api.handler(false))
	c.MountControls(box.ControlPrefix, api.handler(true))
	return &Server{console: c, api: api}, nil
}

// Console returns the console: its settings, log and runs.
func (s *Server) Console() *console.Server { return s.console }

// Listen binds the console's address (see console.Server.Listen).
func (s *Server) Listen() (net.Listener, error) { return s.console.Listen() }

// URL is the console page's address; the API is under URL + "api/".
func (s *Server) URL() string { return s.console.URL() }

// Serve answers on ln until ctx ends (see console.Server.Serve).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error { return s.console.Serve(ctx, ln) }

// Close stops the box, then closes the console and its store.
func (s *Server) Close() error {
	s.api.close()
	return s.console.Close()
}
