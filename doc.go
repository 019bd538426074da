// Package tartansim is a test harness that impersonates Tartan HyperSync's
// webhook sender. Its packages:
//
//   - fixtures: realistic, deterministic Tartan data and events
//   - wire: ordered JSON in Tartan's byte layouts, and override paths
//   - sender: signing, verification and delivery with injected faults
//   - consumer: the reference consumer, the default target
//   - scenarios: timelines of Tartan behaviour on a virtual clock
//
// The command is in cmd/tartansim; the root suite_test.go runs tartansim
// against the reference consumer.
package tartansim
