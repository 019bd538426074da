package consumer

import (
	"net/http"
	"time"
)

// Server timeouts set by NewServer. The consumer answers from memory in well
// under a millisecond, so these only bound slow or stalled peers: a client
// that trickles its headers or body, or never reads the response.
const (
	// DefaultReadHeaderTimeout bounds reading the request headers.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds reading the whole request, body included
	// (up to DefaultMaxBody).
	DefaultReadTimeout = 15 * time.Second
	// DefaultWriteTimeout bounds the time from the end of the request
	// headers to the end of the response.
	DefaultWriteTimeout = 15 * time.Second
	// DefaultIdleTimeout bounds how long a keep-alive connection waits for
	// the next request.
	DefaultIdleTimeout = 60 * time.Second
)

// NewServer returns an *http.Server for h on addr with the Default…Timeout
// values set, so that no peer can hold a connection open for ever. Start it
// with ListenAndServe (or ListenAndServeTLS: Tartan delivers only to HTTPS
// endpoints) and stop it with Shutdown.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
	}
}
