package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// The identity page's activity and audit history show the latest entries,
// however long the history is.
func TestIdentity_RecentSectionsShowTheLatestFirst(t *testing.T) {
	f := newFixture(t)
	id := seedIdentity(t, f, warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::1:role/busy", Name: "busy"})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var events []*warden.Event
	for n := 0; n < 45; n++ {
		events = append(events, &warden.Event{Time: base.Add(time.Duration(n) * time.Hour), Source: "cloudtrail", RawID: fmt.Sprintf("ev-%02d", n),
			IdentityID: id.ID, Provider: warden.ProviderAWS, Principal: id.ExternalID, Action: fmt.Sprintf("s3:Action%02d", n), Outcome: warden.OutcomeAllow})
	}
	if _, err := f.db.RecordEvents(adminCtx(), events); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 25; n++ {
		purpose := fmt.Sprintf("purpose %d", n)
		if _, err := f.db.UpdateIdentity(adminCtx(), id.ID, warden.IdentityUpdate{Purpose: &purpose}); err != nil {
			t.Fatal(err)
		}
	}
	q := warden.StatusQuarantined
	reason := "key seen on a paste site"
	if _, err := f.db.UpdateIdentity(adminCtx(), id.ID, warden.IdentityUpdate{Status: &q, StatusReason: &reason}); err != nil {
		t.Fatal(err)
	}

	b := f.signIn(t, warden.RoleAuditor)
	status, page := b.get("/ui/identities/" + id.ID)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	activity := sectionOf(page, "activity")
	latest, earliest := strings.Index(activity, "s3:Action44"), strings.Index(activity, "s3:Action25")
	if latest < 0 || earliest < 0 || latest > earliest || strings.Contains(activity, "s3:Action24") {
		t.Fatalf("activity should list events 44 down to 25:\n%s", activity)
	}
	history := sectionOf(page, "audit-history")
	first := strings.Index(history, "<td>identity.update</td>")
	if first < 0 || !strings.Contains(history[first:], "status") || strings.Contains(history, "identity.create") {
		t.Fatalf("audit history should start with the quarantine and not reach the creation:\n%s", history)
	}
	if !strings.Contains(history, "target_type=identity&amp;target_id="+id.ID) {
		t.Fatalf("audit history should link to the identity's full history:\n%s", history)
	}
}
