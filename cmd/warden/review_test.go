package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/review"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestReviewCLI_StartStatusAnswer drives warden review against a real API
// server on loopback: an admin starts a campaign, an approver answers,
// the status shows the progress and the items.
func TestReviewCLI_StartStatusAnswer(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	admin, alice := apiToken(t, db, "root", warden.RoleAdmin), apiToken(t, db, "alice", warden.RoleApprover)
	cfg, err := reviewFlags{privilegedEvery: "90d", standardEvery: "180d", highRisk: 60, due: "14d", grace: "7d", reminder: "3d", sweep: time.Minute}.
		config(db, enforce.New(enforce.Config{Store: db, Identities: db}), "https://warden.example.org", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	serveAPI(t, db, httpapi.Config{Reviews: review.New(cfg)})
	ledger := &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:payments:ledger",
		Name: "ledger", Owner: "team-payments", Environment: "prod", Managed: true}
	ftp := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/legacy-ftp",
		Name: "legacy-ftp", Owner: "alice@example.com", Environment: "prod", Managed: true}
	for _, i := range []*warden.Identity{ledger, ftp} {
		if err := db.CreateIdentity(ctx, i); err != nil {
			t.Fatal(err)
		}
	}

	t.Setenv(envToken, alice)
	if _, _, err := runCLI(t, "", "review", "start"); err == nil || !strings.Contains(err.Error(), "inventory:write") {
		t.Fatalf("approver start: %v", err)
	}
	t.Setenv(envToken, admin)
	out := mustRun(t, "", "review", "start", "--tier", "all", "--due", "14d", "--grace", "7d", "--name", "Q2 recertification", "--json")
	var c warden.ReviewCampaign
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Progress.Total != 2 {
		t.Fatalf("start output %q: %v", out, err)
	}
	if _, _, err := runCLI(t, "", "review", "start", "--due", "tomorrow"); err == nil || !strings.Contains(err.Error(), "due") {
		t.Fatalf("bad --due: %v", err)
	}
	if out := mustRun(t, "", "review", "list"); !strings.Contains(out, c.ID) || !strings.Contains(out, "Q2 recertification") || !strings.Contains(out, "0 (0%)") {
		t.Fatalf("list output:\n%s", out)
	}
	out = mustRun(t, "", "review", "status", c.ID)
	if !strings.Contains(out, "0 of 2 answered (0%)") || !strings.Contains(out, ledger.ExternalID) || !strings.Contains(out, ftp.ExternalID) || !strings.Contains(out, "pending") {
		t.Fatalf("status output:\n%s", out)
	}
	// Items are listed by owner: alice@ first.
	if strings.Index(out, ftp.ExternalID) > strings.Index(out, ledger.ExternalID) {
		t.Fatalf("items not grouped by owner:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(mustRun(t, "", "review", "status", c.ID, "--json", "--owner", "team-payments")), "\n")
	if len(lines) != 2 {
		t.Fatalf("status --json: %d lines, want the campaign and one item", len(lines))
	}
	var item warden.ReviewItem
	if err := json.Unmarshal([]byte(lines[1]), &item); err != nil || item.IdentityID != ledger.ID {
		t.Fatalf("item line %q: %v", lines[1], err)
	}

	t.Setenv(envToken, alice)
	out = mustRun(t, "", "review", "answer", item.ID, "keep", "--comment", "posts the ledger nightly")
	if !strings.Contains(out, "status:      answered") || !strings.Contains(out, "keep by token:") || !strings.Contains(out, "next review:") {
		t.Fatalf("answer output:\n%s", out)
	}
	if _, _, err := runCLI(t, "", "review", "answer", item.ID, "reduce"); err == nil || !strings.Contains(err.Error(), "already answered") {
		t.Fatalf("second answer: %v", err)
	}
	if _, _, err := runCLI(t, "", "review", "answer", item.ID, "maybe"); err == nil || !strings.Contains(err.Error(), "keep, reduce or remove") {
		t.Fatalf("bad answer: %v", err)
	}
	var ftpItem warden.ReviewItem
	line := strings.Split(strings.TrimSpace(mustRun(t, "", "review", "status", c.ID, "--json", "--identity", ftp.ExternalID)), "\n")[1]
	if err := json.Unmarshal([]byte(line), &ftpItem); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "", "review", "answer", ftpItem.ID, "remove"); err == nil || !strings.Contains(err.Error(), "--comment") {
		t.Fatalf("remove without comment: %v", err)
	}
	mustRun(t, "", "review", "answer", ftpItem.ID, "remove", "--comment", "the FTP drop was retired in March")
	if got, _ := db.FindIdentityByID(ctx, ftp.ID); got.Status != warden.StatusDisabled {
		t.Fatalf("removed identity = %s", got.Status)
	}
	out = mustRun(t, "", "review", "status", c.ID)
	if !strings.Contains(out, "status:      closed") || !strings.Contains(out, "2 of 2 answered (100%): 1 keep, 0 reduce, 1 remove") {
		t.Fatalf("status after answers:\n%s", out)
	}
}

func TestReviewWebhook_ReminderIsSignedWithAnswerCommands(t *testing.T) {
	hook, got := webhookReceiver[reviewNotification](t)
	db := storetest.OpenSQLite(t)
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-root", Name: "root"})
	id := &warden.Identity{Kind: warden.KindWorkload, Provider: "warden", ExternalID: "spiffe://example.org/ledger", Name: "ledger", Environment: "prod", Owner: "team-payments", Managed: true}
	if err := db.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	notifier := &reviewWebhook{base: "https://warden.example.org", hook: hook}
	svc := review.New(review.Config{Store: db, Identities: db, Findings: db, Events: db, Notifier: notifier})
	c, err := svc.StartReview(ctx, warden.ReviewInput{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Sweep(ctx); err != nil || res.Reminded != 1 {
		t.Fatalf("sweep = %+v, %v", res, err)
	}
	n := nextNotification(t, got)
	if n.Event != review.EventReminder || n.To != "team-payments" || n.Campaign.ID != c.ID || len(n.Items) != 1 ||
		n.Links["items"] != "https://warden.example.org/v1/reviews/"+c.ID+"/items?open=true&owner=team-payments" ||
		n.Answer[0] != "warden review answer "+n.Items[0].ID+" keep|reduce|remove" {
		t.Fatalf("notification = %+v", n)
	}
}
