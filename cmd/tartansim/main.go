// Command tartansim impersonates Tartan's webhook sender: it builds realistic,
// correctly signed Tartan HyperSync events, posts them to a consumer and says
// whether the consumer handled them correctly. Run `tartansim --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
