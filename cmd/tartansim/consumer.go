package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/tartansim/tartansim/consumer"
)

// defaultConsumerAddr is where 'tartansim consumer' listens by default:
// loopback only, so nothing outside the machine reaches it unless asked.
const defaultConsumerAddr = "127.0.0.1:8080"

func (a *app) consumerCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "consumer",
		Short: "Run the reference consumer (webhook + state probe) and print each verdict",
		Long: `Run tartansim's reference consumer: the webhook at /webhook and the state probe
(contract v1.1) at /probe?orgId=..., printing one line per delivery with what it
decided. It verifies signatures over the raw bytes, is idempotent by requestId
and never lets an older redelivery overwrite newer data.

Without a key it uses the public demo key that 'tartansim send' also uses when
it has none, so the two work together with no set-up. Stop it with Ctrl-C.`,
		Example: `  tartansim consumer
  tartansim send sync.events.employee.add --dry-run | sh      # in another terminal
  TARTAN_APP_KEY=... tartansim consumer --addr 127.0.0.1:9090`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			key, err := a.keyFor("", false)
			if err != nil {
				return err
			}
			if string(key) == DemoKey {
				fmt.Fprintf(a.stderr, "using the public demo key; set %s for a real one\n", envKey)
			}
			return a.serveConsumer(addr, key)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultConsumerAddr, "address to listen on")
	a.common.register(cmd.Flags(), flagKey)
	return cmd
}

func (a *app) serveConsumer(addr string, key []byte) error {
	var mu sync.Mutex // verdicts arrive from many connections at once
	c := consumer.New(key, consumer.Observe(func(v consumer.Decision) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(a.stdout, "%s %s\n", v.At.UTC().Format("15:04:05.000"), v)
	}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr("cannot listen on %s: %v", addr, errors.Unwrap(err))
	}
	srv := consumer.NewServer(addr, c.Handler())
	fmt.Fprintf(a.stdout, "reference consumer listening: webhook http://%s%s  probe http://%s%s?orgId=...\n",
		ln.Addr(), consumer.WebhookPath, ln.Addr(), consumer.ProbePath)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-a.ctx.Done():
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		return &exitError{exitInterrupted, errors.New("interrupted; the consumer stopped")}
	}
}
