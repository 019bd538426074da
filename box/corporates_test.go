package box_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/consumer"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
)

func TestCorporatesSayWhoEachIsAndWhatIsArmed(t *testing.T) {
	key := []byte("the-app-key")
	c := consumer.New(key)
	hooks := httptest.NewServer(c.Handler())
	defer hooks.Close()
	b, err := box.New(hooks.URL+consumer.WebhookPath, key, "the-api-key", box.AcceptAfter(box.Never), box.Employees(7))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.Corporates(); len(got) != 0 {
		t.Fatalf("corporates before any invite: %v", got)
	}
	acme, _, err := b.Invite(box.Invitation{Email: "hr@acme.in", OrgName: "Acme Pvt Ltd", FullName: "Asha Rao", RemoteOrgID: "acme-42"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Invite(box.Invitation{Email: "hr@bharat.in", OrgName: "Bharat Steel", FullName: "Ravi Iyer"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := b.Corporates()
	if len(got) != 2 || got[0].OrgID != acme || got[0].Name != "Acme Pvt Ltd" || got[0].RemoteOrgID != "acme-42" || got[0].Employees != 7 || got[0].Status != fixtures.StatusInvited {
		t.Fatalf("corporates %+v", got)
	}
	if got[0].Verdict.Deliveries != 1 || got[0].Verdict.Acknowledged != 1 {
		t.Fatalf("the invite's delivery: %+v", got[0].Verdict)
	}
	for name, want := range map[string]int{"acme": 1, "ACME PVT": 1, "Bharat": 1, "": 0, "Zed": 0, "Acme Pvt Ltd and more": 0} {
		if ids := b.Named(name); len(ids) != want || (want == 1 && ids[0] != map[bool]string{true: acme, false: got[1].OrgID}[name != "Bharat"]) {
			t.Errorf("Named(%q) = %v, want %d", name, ids, want)
		}
	}
	if a := b.ArmedFailures(); a.Next != 0 {
		t.Fatalf("armed before FailNext: %+v", a)
	}
	b.FailNext(sender.FaultDrop, 3)
	if a := b.ArmedFailures(); a.Next != 3 || a.Fault != "drop" {
		t.Fatalf("armed %+v", a)
	}
	b.FailNext(sender.FaultDrop, 0)
	if a := b.ArmedFailures(); a != (box.Armed{}) {
		t.Fatalf("disarmed %+v", a)
	}
}
