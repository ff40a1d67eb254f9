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
	"github.com/warden-nhi/warden/monitor"
	"github.com/warden-nhi/warden/onboard"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestOnboardWebhook_PendingThenApprovedNotifySigned(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	got := make(chan onboardNotification, 2)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !monitor.VerifySignature(secret, r.Header.Get(monitor.HeaderTimestamp), body, r.Header.Get(monitor.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			t.Errorf("notification signature does not verify")
			return
		}
		var n onboardNotification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("notification body: %v", err)
		}
		got <- n
	}))
	t.Cleanup(hook.Close)
	db := storetest.OpenSQLite(t)
	svc := onboard.New(onboard.Config{Store: db, Identities: db, Notifier: &onboardWebhook{base: "https://warden.example.org",
		hook: &signedWebhook{url: hook.URL, secret: secret, client: hook.Client(), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}})
	alice := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-alice", Name: "alice"})
	bob := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-bob", Name: "bob"})
	r, err := svc.RequestOnboarding(alice, warden.OnboardingInput{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS,
		ExternalID: "arn:aws:iam::402118867530:role/refund-replayer", Purpose: "replays failed refunds", Team: "team-payments",
		Environment: "prod", Permissions: []string{"dynamodb:PutItem"}, ReviewInterval: "90d"})
	if err != nil || r.Status != warden.OnboardPending {
		t.Fatalf("request = %+v, %v", r, err)
	}
	wait := func() onboardNotification {
		t.Helper()
		select {
		case n := <-got:
			return n
		case <-time.After(5 * time.Second):
			t.Fatal("no notification within 5 s")
		}
		return onboardNotification{}
	}
	n := wait()
	if n.Event != "onboarding.pending" || n.Request.ID != r.ID || n.Links["approve"] != "https://warden.example.org/v1/onboarding/requests/"+r.ID+"/approve" ||
		!strings.Contains(strings.Join(n.Answer, "\n"), "warden onboard approve "+r.ID) {
		t.Fatalf("pending notification = %+v", n)
	}
	done, err := svc.ApproveOnboarding(bob, r.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	n = wait()
	if n.Event != "onboarding.approved" || n.Links["identity"] != "https://warden.example.org/v1/identities/"+done.IdentityID {
		t.Fatalf("approved notification = %+v", n)
	}
}
