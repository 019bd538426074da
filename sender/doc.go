// Package sender delivers webhooks the way Tartan's HyperSync sender does:
// one HTTP POST per event, the exact body bytes signed with HMAC-SHA256 in a
// lower-case tartan-signature header, a failure on anything but a 2xx answer.
//
// Sign and Verify are the signature; Prepare turns a body into a Delivery
// (the bytes plus the headers, with an optional faulty signature variant); a
// Sender posts Deliveries to one consumer and reports each outcome as a
// Result, optionally injecting a Fault (a dropped delivery, a lost ack).
//
//	key := []byte("the integrator's app key")
//	body := []byte(`{"event":"sync.events.initiated","recordCount":null}`)
//	d := sender.Prepare(key, body, sender.SignatureValid, sender.HeaderLower)
//
//	s, err := sender.New("https://consumer.example/webhooks/tartan",
//		sender.Timeout(5*time.Second), sender.MaxConns(4))
//	if err != nil {
//		return err // wraps sender.ErrBadTarget or sender.ErrBadOption
//	}
//	defer s.Close()
//
//	r := s.Send(ctx, d)
//	if r.Failed() {
//		// r.Class is "status", "timeout", "refused", …; Tartan would
//		// re-send these identical bytes at the end of the day.
//		log.Println(r.Summary())
//	}
//
// The Sender never follows redirects, reads at most SnippetBytes plus 64 KiB
// of any answer, speaks HTTP/1.1 only and keeps at most MaxConns connections
// open; it is safe for concurrent use.
package sender
