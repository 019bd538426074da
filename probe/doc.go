// Package probe is the state probe contract (v1.1): what a consumer says it
// holds about one org (State), how such an answer is read (Parse), the
// client of a probe served over HTTP (HTTP, Error), the same contract as a
// Go function (Func), and a handler that serves it (Handler).
//
// The judge reads states through a Func; the reference consumer serves its
// own through Handler. Neither contains the other.
//
//	read := probe.HTTP("http://127.0.0.1:8080/_tartansim/state", nil)
//	st, err := read(ctx, orgID)
//	// st.Employees, st.ConnectionStatus, st.Applied, st.Pending
package probe
