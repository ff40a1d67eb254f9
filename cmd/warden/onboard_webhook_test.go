package main

import (
	"context"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/onboard"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestOnboardWebhook_PendingThenApprovedNotifySigned(t *testing.T) {
	hook, got := webhookReceiver[onboardNotification](t)
	db := storetest.OpenSQLite(t)
	svc := onboard.New(onboard.Config{Store: db, Identities: db, Notifier: &onboardWebhook{base: "https://warden.example.org", hook: hook}})
	alice := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-alice", Name: "alice"})
	bob := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-bob", Name: "bob"})
	r, err := svc.RequestOnboarding(alice, warden.OnboardingInput{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS,
		ExternalID: "arn:aws:iam::402118867530:role/refund-replayer", Purpose: "replays failed refunds", Team: "team-payments",
		Environment: "prod", Permissions: []string{"dynamodb:PutItem"}, ReviewInterval: "90d"})
	if err != nil || r.Status != warden.OnboardPending {
		t.Fatalf("request = %+v, %v", r, err)
	}
	n := nextNotification(t, got)
	if n.Event != "onboarding.pending" || n.Request.ID != r.ID || n.Links["approve"] != "https://warden.example.org/v1/onboarding/requests/"+r.ID+"/approve" ||
		!strings.Contains(strings.Join(n.Answer, "\n"), "warden onboard approve "+r.ID) {
		t.Fatalf("pending notification = %+v", n)
	}
	done, err := svc.ApproveOnboarding(bob, r.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	n = nextNotification(t, got)
	if n.Event != "onboarding.approved" || n.Links["identity"] != "https://warden.example.org/v1/identities/"+done.IdentityID {
		t.Fatalf("approved notification = %+v", n)
	}
}
