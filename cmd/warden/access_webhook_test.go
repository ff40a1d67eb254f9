package main

import (
	"context"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestAccessWebhook_PendingRequestNotifiesApproversSigned(t *testing.T) {
	hook, got := webhookReceiver[accessNotification](t)
	db := storetest.OpenSQLite(t)
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-alice", Name: "alice"})
	id := &warden.Identity{Kind: warden.KindWorkload, Provider: "warden", ExternalID: "spiffe://example.org/ledger", Name: "ledger", Environment: "prod", Owner: "team-payments", Managed: true}
	if err := db.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	svc := access.New(access.Config{Store: db, Identities: db, Notifier: &accessWebhook{base: "https://warden.example.org", hook: hook}})
	r, _, err := svc.RequestAccess(ctx, warden.AccessInput{Identity: id.ID, Scope: warden.AccessScope{Actions: []string{"write"}}, Duration: "1h", Reason: "replay refunds"})
	if err != nil || r.Status != warden.AccessPending {
		t.Fatalf("request = %+v, %v", r, err)
	}
	n := nextNotification(t, got)
	if n.Event != "access.pending" || n.Request.ID != r.ID || n.Links["approve"] != "https://warden.example.org/v1/access/requests/"+r.ID+"/approve" ||
		n.Links["console"] != "https://warden.example.org/ui/access/"+r.ID ||
		!strings.Contains(strings.Join(n.Answer, "\n"), "warden access approve "+r.ID) {
		t.Fatalf("notification = %+v", n)
	}
}
