// Package judge decides whether a consumer handled Tartan's webhooks
// correctly, apart from any consumer it judges.
//
// A Truth is what a correct consumer holds, computed from the exact bytes
// of the genuine deliveries it acknowledged (Apply), those it may or may
// not hold (Uncertain) and those it must ignore (Forge), with Tartan's
// ordering rule (wire.Stamp). Await reads the consumer's state through a
// probe.Func until it settles (Settling), compares it with the truth and
// returns one Verdict per org, with structured Differences that name the
// delivery that carried each expected value.
//
// The rules, in one place:
//
//   - An empty timeStamp is older than any known one; equal stamps in one
//     session compare by webhookCounter; writes of one employee whose stamps
//     tie across sessions are both correct, and either value is accepted.
//
//   - applied: every acknowledged delivery at most once; exactly once for a
//     delivery that carried a value the truth keeps (a record, the
//     connection status); once or not at all for the others (a session's
//     start, an unknown event, a write made stale); never for a forged one.
//
//   - A zero Settling waits DefaultSettle in every door; JudgeAtOnce reads
//     the state once.
//
//     t := judge.NewTruth()
//     _ = t.Apply(body) // each acknowledged genuine delivery
//     v, err := judge.Await(ctx, probe.HTTP(probeURL, nil), orgID, t.Org(orgID),
//     judge.CompareAll, lastAck, judge.DefaultSettling())
//     fmt.Println(v) // "converged", or the differences
package judge
