package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/monitor"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestAccessWebhook_PendingRequestNotifiesApproversSigned(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	got := make(chan accessNotification, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !monitor.VerifySignature(secret, r.Header.Get(monitor.HeaderTimestamp), body, r.Header.Get(monitor.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			t.Errorf("notification signature does not verify")
			return
		}
		var n accessNotification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("notification body: %v", err)
		}
		got <- n
	}))
	t.Cleanup(hook.Close)
	db := storetest.OpenSQLite(t)
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-alice", Name: "alice"})
	id := &warden.Identity{Kind: warden.KindWorkload, Provider: "warden", ExternalID: "spiffe://example.org/ledger", Name: "ledger", Environment: "prod", Owner: "team-payments", Managed: true}
	if err := db.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	svc := access.New(access.Config{Store: db, Identities: db, Notifier: &accessWebhook{base: "https://warden.example.org",
		hook: &signedWebhook{url: hook.URL, secret: secret, client: hook.Client(), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}})
	r, _, err := svc.RequestAccess(ctx, warden.AccessInput{Identity: id.ID, Scope: warden.AccessScope{Actions: []string{"write"}}, Duration: "1h", Reason: "replay refunds"})
	if err != nil || r.Status != warden.AccessPending {
		t.Fatalf("request = %+v, %v", r, err)
	}
	select {
	case n := <-got:
		if n.Event != "access.pending" || n.Request.ID != r.ID || n.Links["approve"] != "https://warden.example.org/v1/access/requests/"+r.ID+"/approve" ||
			n.Links["console"] != "https://warden.example.org/ui/access/"+r.ID ||
			!strings.Contains(strings.Join(n.Answer, "\n"), "warden access approve "+r.ID) {
			t.Fatalf("notification = %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5 s")
	}
}
