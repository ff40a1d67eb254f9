package demo_test

import (
	"context"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/demo"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/offboard"
	"github.com/warden-nhi/warden/onboard"
	"github.com/warden-nhi/warden/review"
)

// TestLoadWorkflows_ShowsEachGovernanceWorkflow: after the demo's
// workflows, a newcomer finds an onboarded dev identity, an admin request
// waiting for approvers, an approved claim, a privileged review campaign
// with one answer, and an offboarding whose identity waits for an owner.
func TestLoadWorkflows_ShowsEachGovernanceWorkflow(t *testing.T) {
	ctx := context.Background()
	db := openDemo(t)
	ev, err := govern.NewEvaluator(govern.EvaluatorConfig{Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	actions := enforce.New(enforce.Config{Store: db, Identities: db})
	w := demo.Workflows{
		Onboarding:  onboard.New(onboard.Config{Store: db, Identities: db, Policy: onboard.DefaultPolicy()}),
		Reviews:     review.New(review.Config{Store: db, Identities: db, Findings: db, Events: db, Actions: actions}),
		Offboarding: offboard.New(offboard.Config{Store: db, Identities: db, Credentials: db, Provenance: db, Actions: actions}),
	}
	if err := demo.LoadWorkflows(ctx, w); err != nil {
		t.Fatal(err)
	}

	requests, _, err := db.FindOnboardingRequests(ctx, warden.OnboardingFilter{})
	if err != nil || len(requests) != 3 {
		t.Fatalf("onboarding requests = %d, %v", len(requests), err)
	}
	states := map[string]bool{}
	for _, r := range requests {
		states[string(r.Type)+"/"+string(r.Status)] = true
	}
	for _, want := range []string{"new/approved", "new/pending", "claim/approved"} {
		if !states[want] {
			t.Errorf("no onboarding request %s: %v", want, states)
		}
	}
	campaigns, _, err := db.FindReviewCampaigns(ctx, warden.ReviewCampaignFilter{})
	if err != nil || len(campaigns) != 1 || campaigns[0].Progress.Answered != 1 || campaigns[0].Progress.Total < 2 {
		t.Fatalf("review campaigns = %+v, %v", campaigns, err)
	}
	offs, _, err := db.FindOffboardings(ctx, warden.OffboardingFilter{})
	if err != nil || len(offs) != 1 || len(offs[0].Items) != 1 {
		t.Fatalf("offboardings = %+v, %v", offs, err)
	}
	if id, err := db.FindIdentityByID(ctx, offs[0].Items[0].IdentityID); err != nil || id.Owner != "" || id.Name != "report-preview" {
		t.Fatalf("offboarded identity = %+v, %v", id, err)
	}
}
