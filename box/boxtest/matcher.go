package boxtest

import (
	"context"
	"errors"
	"fmt"
	"text/template"
	"time"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/tartansim/tartansim/judge"
)

type convergeMessage struct {
	Org     string
	Seed    uint64
	Within  time.Duration
	Verdict judge.Verdict
}

var convergeTemplate = template.Must(gcustom.ParseTemplate(`{{if .Failure}}Expected the consumer's state of org {{.Data.Org}} to converge (seed {{.Data.Seed}}), but {{if not .Data.Verdict.Judged}}it was not judged: {{.Data.Verdict.Reason}}{{else}}{{.Data.Verdict.Ended}}, after {{.Data.Verdict.Polls}} probe reads, and it differs:
{{range .Data.Verdict.Differences}}    - {{.}}
{{end}}{{end}}{{else}}Expected the consumer's state of org {{.Data.Org}} not to converge (seed {{.Data.Seed}}), but it did, with a processing lag of {{.Data.Verdict.Lag}}
{{end}}`))

// Converge succeeds when the box's verdict about an Org, once every
// session queued for it has been sent and judged, is "converged": the
// consumer's state, read through the box's probe and settled, equals the
// truth of what it acknowledged. It waits at most within (0:
// judge.DefaultSettle plus a minute for the sends); running out of time
// is an error, as is a box without a probe. The failure message lists the
// differences and the seed.
//
//	Expect(srv.Org(orgID)).To(boxtest.Converge(0))
func Converge(within time.Duration) types.GomegaMatcher {
	if within <= 0 {
		within = judge.DefaultSettle + time.Minute
	}
	msg := &convergeMessage{Within: within}
	return gcustom.MakeMatcher(func(o Org) (bool, error) {
		if o.Box == nil {
			return false, errors.New("boxtest: the Org has no Box")
		}
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		if !o.Box.HasProbe() {
			return false, fmt.Errorf("boxtest: org %s cannot be judged: the box has no state probe (box.WithProbe)", o.ID)
		}
		v, err := o.Box.AwaitVerdict(ctx, o.ID)
		msg.Org, msg.Seed, msg.Verdict = o.ID, o.Box.Seed(), v
		if err != nil {
			return false, fmt.Errorf("boxtest: no verdict about org %s within %s: %w", o.ID, within, err)
		}
		return v.Judged && v.Converged, nil
	}).WithPrecompiledTemplate(convergeTemplate, msg)
}
